"""Benchmark: the project's OGC API (items, features, CQL2, vector tiles) against tipg on the same PostGIS.

Usage (tipg lives in its own venv, never in the project's dependencies):
  python3 -m venv /tmp/tipg-venv && /tmp/tipg-venv/bin/pip install tipg uvicorn
  GAZ_DATABASE_URL=... .venv/bin/python benchmarks/ogc_vs_tipg.py [--duration 10] [--concurrency 16]

Data: a scratch database with the Ordos manifest plus the national NBS 2023 province/city/county codes and the
2,843 DataV national county polygons (imported as source ``datav-national``, repaired, unknown codes skipped).
tipg reads a schema ``published`` holding one view per compared collection, made from the very SELECT the
contexts publish to our API, through a login role that may read that schema only (no users/keys tables).
Both servers: one uvicorn worker on loopback, a pool of ``concurrency`` database connections each.
Load: one closed-loop generator (httpx, asyncio), ``concurrency`` requests in flight, the same seeded request
list for both, each kind run for ``duration`` seconds per server.
Equivalence: before timing, every kind's first requests are sent to both and the feature ids compared.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import os
import platform
import random
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import make_url

from app import schema
from app.manifest import load_manifest
from boundaries import service as boundaries
from core.database import transaction
from core.settings import Settings
from ogc.collections import published

PROJECT = Path(__file__).resolve().parent.parent
DATABASE = "gaz_bench_ogc"
ROLE = "gaz_bench_tipg"
POLYGONS = "polygons-datav-national"
COMPARED = (POLYGONS, "reference-points")
NATIONAL_CODES = ("china_provinces_nbs2023.csv", "china_cities_nbs2023.csv", "china_areas_nbs2023.csv")
SEED = 20261129
CHINA = (74.0, 18.0, 134.0, 53.0)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def prepare(url: str, data_root: Path) -> Engine:
    """Scratch database: schema, Ordos manifest, national codes and county polygons, the published views."""
    admin = create_engine(make_url(url).set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{DATABASE}"'))
    admin.dispose()
    engine = create_engine(make_url(url).set(database=DATABASE))
    schema.upgrade(engine)
    list(load_manifest(engine, PROJECT / "data" / "ordos.toml", data_root, progress=False))
    for name in NATIONAL_CODES:  # one transaction per file, as `gaz import` does
        with transaction(engine) as conn:
            boundaries.import_divisions(
                conn, data_root / "national" / name, valid_from=date.fromisoformat("2023-06-30")
            )
    with transaction(engine) as conn:
        report = boundaries.import_polygons(
            conn,
            data_root / "national" / "china_counties_datav_gcj02.geojson.gz",
            source="datav-national",
            status="reference",
            valid_from=date.fromisoformat("2021-08-01"),
            crs="GCJ-02",
            on_invalid="repair",
            skip_invalid=True,
        )
        print(f"national county polygons: {report.summary()}")
    with transaction(engine) as conn:
        conn.execute(text("DROP SCHEMA IF EXISTS published CASCADE"))
        conn.execute(text("CREATE SCHEMA published"))
        collections = published(conn)
        for collection_id in COMPARED:
            collection = collections[collection_id]
            select = text(collection.sql).bindparams(**collection.params)
            compiled = select.compile(dialect=postgresql.dialect(), compile_kwargs={"literal_binds": True})
            columns = ", ".join(f't."{name}"' for name in collection.properties)
            kind = {"polygon": "MultiPolygon", "point": "Point"}.get(collection.geometry_type, "Geometry")
            view = (
                f"CREATE VIEW published.{view_name(collection_id)} AS SELECT t.id, {columns},"  # noqa: S608 (names are constants)
                f" t.geom::geometry({kind}, 4490) AS geom FROM ({compiled}) t"
            )
            conn.execute(text(view))
        role_exists = conn.execute(text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": ROLE}).first()
        if not role_exists:
            conn.execute(text(f"CREATE ROLE {ROLE} LOGIN"))
        conn.execute(text(f"GRANT USAGE ON SCHEMA published TO {ROLE}"))
        conn.execute(text(f"GRANT SELECT ON ALL TABLES IN SCHEMA published TO {ROLE}"))
        readable = conn.execute(
            text(
                "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
                " WHERE c.relkind IN ('r', 'v') AND n.nspname NOT IN ('pg_catalog', 'information_schema')"
                " AND has_table_privilege(:r, c.oid, 'SELECT') ORDER BY 1"
            ),
            {"r": ROLE},
        ).scalars()
        print(f"tipg role {ROLE} may read: {', '.join(readable)}")
        sizes = {
            cid: conn.execute(text(f"SELECT count(*) FROM published.{view_name(cid)}")).scalar()  # noqa: S608
            for cid in COMPARED
        }
        print(f"published rows: {sizes}")
    return engine


def view_name(collection_id: str) -> str:
    return collection_id.replace("-", "_")


def start(command: list[str], env: dict[str, str], port: int, probe: str) -> subprocess.Popen[bytes]:
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}{probe}", timeout=5).status_code == 200:
                return process
        except httpx.HTTPError:
            pass
        if process.poll() is not None:
            raise RuntimeError(f"{command[0]} exited: {process.stderr.read().decode() if process.stderr else ''}")
        time.sleep(0.3)
    process.kill()
    raise RuntimeError(f"{command} did not start")


def tile_in_china(rng: random.Random, z: int) -> tuple[int, int, int]:
    lon = rng.uniform(CHINA[0], CHINA[2])
    lat = rng.uniform(CHINA[1], CHINA[3])
    n = 2**z
    return z, int((lon + 180) / 360 * n), int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)


def request_kinds(engine: Engine) -> dict[str, list[tuple[str, str]]]:
    """Per kind of request, a seeded list of (our path, tipg path) pairs asking the same thing."""
    rng = random.Random(SEED)
    with transaction(engine) as conn:
        view = f"published.{view_name(POLYGONS)}"
        ids = conn.execute(text(f"SELECT id FROM {view} ORDER BY id")).scalars().all()  # noqa: S608
        codes = conn.execute(text(f"SELECT unit_code FROM {view}")).scalars().all()  # noqa: S608
    ours_items = f"/ogc/collections/{POLYGONS}/items"
    tipg_items = f"/collections/published.{view_name(POLYGONS)}/items"
    kinds: dict[str, list[tuple[str, str]]] = {"items page (limit 10)": [], "items bbox 1° (limit 10)": []}
    kinds |= {"feature by id": [], "property filter unit_code": [], "CQL2 S_INTERSECTS point": []}
    kinds |= {"vector tile z6": [], "points page (limit 100)": []}
    for _ in range(200):
        offset = rng.randrange(0, len(ids) - 10)
        kinds["items page (limit 10)"].append(
            (f"{ours_items}?limit=10&offset={offset}", f"{tipg_items}?limit=10&offset={offset}")
        )
        lon, lat = rng.uniform(CHINA[0], CHINA[2] - 1), rng.uniform(CHINA[1], CHINA[3] - 1)
        bbox = f"{lon:.4f},{lat:.4f},{lon + 1:.4f},{lat + 1:.4f}"
        kinds["items bbox 1° (limit 10)"].append(
            (f"{ours_items}?limit=10&bbox={bbox}", f"{tipg_items}?limit=10&bbox={bbox}")
        )
        feature = rng.choice(ids)
        kinds["feature by id"].append((f"{ours_items}/{feature}", f"{tipg_items}/{feature}"))
        code = rng.choice(codes)
        kinds["property filter unit_code"].append((f"{ours_items}?unit_code={code}", f"{tipg_items}?unit_code={code}"))
        point = f"S_INTERSECTS(geom,POINT({lon + 0.5:.4f} {lat + 0.5:.4f}))"
        kinds["CQL2 S_INTERSECTS point"].append(
            (f"{ours_items}?filter={point}", f"{tipg_items}?filter-lang=cql2-text&filter={point}")
        )
        z, x, y = tile_in_china(rng, 6)
        kinds["vector tile z6"].append(
            (
                f"/tiles/{POLYGONS}/{z}/{x}/{y}.mvt",
                f"/collections/published.{view_name(POLYGONS)}/tiles/WebMercatorQuad/{z}/{x}/{y}",
            )
        )
        offset = rng.randrange(0, 80)
        kinds["points page (limit 100)"].append(
            (
                f"/ogc/collections/reference-points/items?limit=100&offset={offset}",
                f"/collections/published.reference_points/items?limit=100&offset={offset}",
            )
        )
    return kinds


def feature_ids(response: httpx.Response) -> Any:
    if response.headers.get("content-type", "").startswith("application/vnd.mapbox"):
        return len(response.content) > 0
    body = response.json()
    if body.get("type") == "Feature":
        return [body["id"]]
    return (body.get("numberMatched"), sorted(str(f["id"]) for f in body["features"]))


def check_equivalence(ours: str, tipg: str, kinds: dict[str, list[tuple[str, str]]]) -> None:
    with httpx.Client(timeout=60) as client:
        for kind, pairs in kinds.items():
            differ = 0
            for our_path, tipg_path in pairs[:20]:
                a, b = client.get(ours + our_path), client.get(tipg + tipg_path)
                if a.status_code != 200 or b.status_code != 200:
                    raise RuntimeError(f"{kind}: {a.status_code} {a.text[:200]} / {b.status_code} {b.text[:200]}")
                differ += feature_ids(a) != feature_ids(b)
            print(f"  {kind}: {20 - differ}/20 answers with the same features (ids, numberMatched)")


async def closed_loop(base: str, paths: list[str], concurrency: int, duration: float) -> dict[str, float]:
    latencies: list[float] = []
    errors = 0
    stop = time.perf_counter() + duration
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=base, timeout=60, limits=limits) as client:

        async def worker(offset: int) -> None:
            nonlocal errors
            index = offset
            while time.perf_counter() < stop:
                began = time.perf_counter()
                response = await client.get(paths[index % len(paths)])
                latencies.append(time.perf_counter() - began)
                errors += response.status_code != 200
                index += concurrency

        began = time.perf_counter()
        await asyncio.gather(*(worker(i) for i in range(concurrency)))
        elapsed = time.perf_counter() - began
    ordered = sorted(latencies)
    return {
        "rps": len(latencies) / elapsed,
        "p50": statistics.median(ordered) * 1000,
        "p99": ordered[int(0.99 * (len(ordered) - 1))] * 1000,
        "n": len(latencies),
        "errors": errors,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per kind and server")
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--tipg-venv", type=Path, default=Path("/tmp/tipg-venv"))
    parser.add_argument("--data-root", type=Path)
    args = parser.parse_args()
    settings = Settings()
    data_root = args.data_root or settings.data_root
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, {platform.platform()}; Python {sys.version.split()[0]}"
    )
    started = time.perf_counter()
    engine = prepare(settings.database_url, data_root)
    print(f"prepared in {time.perf_counter() - started:.0f} s")
    bench_url = make_url(settings.database_url).set(database=DATABASE)
    ours_port, tipg_port = free_port(), free_port()
    # Both pools hold as many connections as requests in flight (ours would otherwise open and close overflow ones).
    pool = str(args.concurrency)
    ours_env = {
        **os.environ,
        "GAZ_DATABASE_URL": bench_url.render_as_string(hide_password=False),
        "GAZ_POOL_SIZE": pool,
    }
    socket_dir = bench_url.query.get("host") or bench_url.host or "localhost"
    tipg_env = {
        **os.environ,
        "DATABASE_URL": f"postgresql://{ROLE}@{quote(str(socket_dir), safe='')}/{DATABASE}",  # socket dir as host
        "TIPG_DB_SCHEMAS": '["published"]',
        "DB_MAX_CONN_SIZE": pool,
        "TIPG_DB_EXCLUDE_FUNCTION_SCHEMAS": '["public", "published"]',
    }
    uvicorn_ours = [str(PROJECT / ".venv/bin/uvicorn"), "app.main:create_app", "--factory"]
    servers = [
        start([*uvicorn_ours, "--port", str(ours_port), "--log-level", "warning"], ours_env, ours_port, "/ogc"),
        start(
            [str(args.tipg_venv / "bin/uvicorn"), "tipg.main:app", "--port", str(tipg_port), "--log-level", "warning"],
            tipg_env,
            tipg_port,
            "/collections",
        ),
    ]
    try:
        ours, tipg = f"http://127.0.0.1:{ours_port}", f"http://127.0.0.1:{tipg_port}"
        kinds = request_kinds(engine)
        print("equivalence (first 20 requests of each kind):")
        check_equivalence(ours, tipg, kinds)
        print(
            f"\nclosed loop, {args.concurrency} in flight, {args.duration:.0f} s per kind and server, one worker each"
        )
        print(f"{'request':28} {'server':6} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'n':>7} {'errors':>6}")
        pick: Callable[[tuple[str, str]], str]
        for kind, pairs in kinds.items():
            for label, base, pick in (("ours", ours, lambda p: p[0]), ("tipg", tipg, lambda p: p[1])):
                paths = [pick(p) for p in pairs]
                result = asyncio.run(closed_loop(base, paths, args.concurrency, args.duration))
                print(
                    f"{kind:28} {label:6} {result['rps']:8.0f} {result['p50']:8.1f} {result['p99']:8.1f}"
                    f" {result['n']:7.0f} {result['errors']:6.0f}"
                )
    finally:
        for server in servers:
            server.terminate()
            server.wait(timeout=20)
        engine.dispose()


if __name__ == "__main__":
    main()
