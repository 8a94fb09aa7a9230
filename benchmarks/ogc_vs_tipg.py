"""Benchmark: the project's OGC API (items, features, CQL2, vector tiles) against tipg on the same PostGIS.

Usage (tipg lives in its own venv, never in the project's dependencies; wrk is the Debian package):
  python3 -m venv /tmp/tipg-venv && /tmp/tipg-venv/bin/pip install tipg==1.6.1 uvicorn
  GAZ_DATABASE_URL=... .venv/bin/python benchmarks/ogc_vs_tipg.py [--duration 10] [--concurrency 16]

Data: a scratch database with the Ordos manifest plus the national NBS 2023 province/city/county codes and the
2,843 DataV national county polygons (imported as source ``datav-national``, repaired, unknown codes skipped).
tipg reads a schema ``published`` holding one view per compared collection, made from the very SELECT the
contexts publish to our API, through a login role that may read that schema only (no users/keys tables).
Both servers: one uvicorn worker on loopback, a pool of ``concurrency`` database connections each.
Load: wrk (2 threads, ``concurrency`` connections, closed loop), the same seeded request list for both, picked in
the same seeded order; each kind runs for ``duration`` seconds per server, after a 2 s warm-up. wrk, in C, leaves
the servers the CPU: the generator in Python used before (httpx, on the same 2 cores) capped both servers (the
same items pages of ours: 24 req/s through it, 207 through wrk).
Besides requests/s and latency: the CPU each server (its process) and PostgreSQL spent per request, a figure that
holds on a shared machine (run on a cluster of its own: other databases' work would count). The unfiltered first
page is also timed with one client (wrk, one connection): its latency without queueing.
Equivalence: before timing, every kind's first 20 requests are sent to both and the answers' features compared.
"""

from __future__ import annotations

import argparse
import math
import os
import platform
import random
import shutil
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
from load import LUA
from serving import free_port, postgres_cpu_seconds, postmaster_pid, server_process, tree_cpu_seconds
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
    first_page = (f"{ours_items}?limit=10", f"{tipg_items}?limit=10")
    kinds: dict[str, list[tuple[str, str]]] = {"items first page (limit 10)": [first_page] * 200}
    kinds |= {"items page (limit 10)": [], "items bbox 1° (limit 10)": []}
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


def run_wrk(base: str, paths: list[str], connections: int, duration: float, workdir: Path) -> dict[str, float]:
    """wrk against ``base`` over ``paths`` (seeded order): requests/s, p50/p99 ms, requests, errors."""
    listed, script = workdir / "paths.txt", workdir / "paths.lua"
    listed.write_text("".join(quote(p, safe="/?&=,:();") + "\n" for p in paths))
    script.write_text(LUA % listed)
    threads = min(2, connections)
    command = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{duration:g}s", "--timeout", "30s", "-s", str(script)]
    output = subprocess.run([*command, base], capture_output=True, text=True, check=True).stdout
    line = next(part for part in output.splitlines() if part.startswith("RESULT "))
    values = {k: float(v) for k, v in (pair.split("=") for pair in line.split()[1:])}
    return {
        "rps": values["requests"] / (values["duration_us"] / 1e6),
        "p50": values["p50"] / 1000,
        "p99": values["p99"] / 1000,
        "n": values["requests"],
        "errors": values["errors"] + values["non2xx"],
    }


def measured(
    server: subprocess.Popen[bytes], postmaster: int, wrk: tuple[str, list[str], int, float, Path]
) -> dict[str, float]:
    """run_wrk(*wrk)'s figures plus the CPU milliseconds per request of the server's process and of PostgreSQL."""
    server_before, database_before = tree_cpu_seconds(server.pid), postgres_cpu_seconds(postmaster)
    result = run_wrk(*wrk)
    per_request = 1000 / max(result["n"], 1)
    result["server_ms"] = (tree_cpu_seconds(server.pid) - server_before) * per_request
    result["database_ms"] = (postgres_cpu_seconds(postmaster) - database_before) * per_request
    return result


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
    if not shutil.which("wrk"):
        sys.exit("wrk not found: apt-get install wrk")
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
        "GAZ_TILE_CACHE_MB": "0",  # build every tile, as tipg does: the benchmark measures the work, not the cache
    }
    socket_dir = bench_url.query.get("host") or bench_url.host or "localhost"
    tipg_env = {
        **os.environ,
        "DATABASE_URL": f"postgresql://{ROLE}@{quote(str(socket_dir), safe='')}/{DATABASE}",  # socket dir as host
        "TIPG_DB_SCHEMAS": '["published"]',
        "DB_MAX_CONN_SIZE": pool,
        "TIPG_DB_EXCLUDE_FUNCTION_SCHEMAS": '["public", "published"]',
    }
    uvicorn_ours = [str(PROJECT / ".venv/bin/uvicorn"), "app.main:create_app", "--factory", "--log-level", "warning"]
    stack = ExitStack()
    tipg_command = [str(args.tipg_venv / "bin/uvicorn"), "tipg.main:app", "--port", str(tipg_port)]
    workdir = Path(tempfile.mkdtemp(prefix="gaz-ogc-bench."))
    try:
        servers = [
            stack.enter_context(
                server_process([*uvicorn_ours, "--port", str(ours_port)], ours_port, ours_env, 60, "/ogc")
            ),
            stack.enter_context(
                server_process([*tipg_command, "--log-level", "warning"], tipg_port, tipg_env, 60, "/collections")
            ),
        ]
        ours, tipg = f"http://127.0.0.1:{ours_port}", f"http://127.0.0.1:{tipg_port}"
        with engine.connect() as conn:
            postmaster = postmaster_pid(conn)
        if postmaster is None:
            raise RuntimeError("PostgreSQL must run on this machine (its CPU is measured): a local superuser URL")
        kinds = request_kinds(engine)
        print("equivalence (first 20 requests of each kind):")
        check_equivalence(ours, tipg, kinds)
        print(
            f"\nwrk, 2 threads, {args.concurrency} connections, {args.duration:g} s per kind and server, one worker"
            f" each; load average {os.getloadavg()[0]:.1f} at the start"
        )
        print(
            f"{'request':28} {'server':6} {'req/s':>7} {'p50 ms':>8} {'p99 ms':>8} {'n':>6} {'errors':>6}"
            f" {'server CPU ms/req':>17} {'PostgreSQL CPU ms/req':>21}"
        )
        sides = (("ours", ours, servers[0], 0), ("tipg", tipg, servers[1], 1))
        for kind, pairs in kinds.items():
            for label, base, server, side in sides:
                paths = [pair[side] for pair in pairs]
                run_wrk(base, paths, args.concurrency, 2, workdir)  # warm-up
                result = measured(server, postmaster, (base, paths, args.concurrency, args.duration, workdir))
                print(
                    f"{kind:28} {label:6} {result['rps']:7.0f} {result['p50']:8.1f} {result['p99']:8.1f}"
                    f" {result['n']:6.0f} {result['errors']:6.0f} {result['server_ms']:17.2f}"
                    f" {result['database_ms']:21.2f}"
                )
        print("\nunfiltered first page (limit 10), one client:")
        for label, base, server, side in sides:
            paths = [kinds["items first page (limit 10)"][0][side]]
            result = measured(server, postmaster, (base, paths, 1, args.duration, workdir))
            print(
                f"{'items first page, 1 client':28} {label:6} {result['rps']:7.0f} {result['p50']:8.1f}"
                f" {result['p99']:8.1f} {result['n']:6.0f} {result['errors']:6.0f} {result['server_ms']:17.2f}"
                f" {result['database_ms']:21.2f}"
            )
    finally:
        stack.close()
        engine.dispose()
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
