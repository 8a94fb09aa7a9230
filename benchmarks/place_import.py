"""Benchmark: the place-name bulk import, the GeoPackage export of a list and the national exchange file, on the
Ordos data.

Usage: GAZ_DATABASE_URL=... .venv/bin/python benchmarks/place_import.py [--rows 5000] [--data-root DIR]

Creates a scratch database next to the configured one, loads the Ordos manifest, then times in one run:
  1. importing N made-up (illustrative) place names from one CSV (80 % points, 10 % lines, 10 % polygons, near the
     village reference points), against the named baseline: service.create_place one record per transaction for
     the first --baseline rows of the same file;
  2. re-importing the same file (every row unchanged, nothing written);
  3. the GeoPackage export of the list of all N (by their tag) and the exchange file of the whole city.
The names and locations are illustrative data for timing only (示例… names), never shown as real.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import time
from pathlib import Path

import shapely
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from app import schema
from app.manifest import load_manifest
from core.database import transaction
from core.errors import InvalidInput
from core.settings import Settings
from core.values import GeoPoint
from gazetteer.places import exchange, service
from gazetteer.places import export as place_export
from gazetteer.places import importer as place_import
from gazetteer.points import service as reference_points

PROJECT = Path(__file__).resolve().parent.parent
SYLLABLES = "东西南北中新和平安宁兴盛德泰福康乐永昌丰"
GENERICS = {"point": ("广场", "9"), "line": ("路", "7"), "polygon": ("湖", "1")}
TAG = "示例基准"


def fresh_ordos_database(url: str, name: str, data_root: Path) -> str:
    admin = create_engine(make_url(url).set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    target = make_url(url).set(database=name).render_as_string(hide_password=False)
    engine = create_engine(target)
    schema.upgrade(engine)
    load_manifest(engine, PROJECT / "data" / "ordos.toml", data_root, progress=False)
    engine.dispose()
    return target


def illustrative_rows(anchors: list[dict], count: int, rng: random.Random) -> list[dict]:
    """``count`` made-up places near the village reference points, each named uniquely."""
    rows = []
    for number in range(count):
        anchor = anchors[number % len(anchors)]
        kind = "point" if number % 10 < 8 else "line" if number % 10 == 8 else "polygon"
        x, y = anchor["lon"] + rng.uniform(-0.002, 0.002), anchor["lat"] + rng.uniform(-0.002, 0.002)
        if kind == "point":
            wkt = f"POINT ({x:.6f} {y:.6f})"
        elif kind == "line":
            wkt = shapely.LineString([(x, y), (x + 0.001, y + 0.0005), (x + 0.002, y)]).wkt
        else:
            wkt = shapely.box(x, y, x + 0.001, y + 0.001).wkt
        digits = [SYLLABLES[(number // len(SYLLABLES) ** i) % len(SYLLABLES)] for i in range(3)]
        generic, category = GENERICS[kind]
        rows.append(
            {"name": f"示例{''.join(digits)}{generic}", "category": category, "unit": anchor["unit_code"], "wkt": wkt}
        )
    return rows


def as_csv(rows: list[dict]) -> bytes:
    lines = ["name,category,unit,wkt,tags"] + [
        f'{r["name"]},{r["category"]},{r["unit"]},"{r["wkt"]}",{TAG}' for r in rows
    ]
    return "\n".join(lines).encode("utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=5000)
    parser.add_argument("--baseline", type=int, default=500, help="rows created one by one for the baseline")
    parser.add_argument("--data-root", type=Path, default=Settings().data_root)
    args = parser.parse_args()
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    url = fresh_ordos_database(Settings().database_url, "gaz_bench_place_import", args.data_root)
    engine = create_engine(url)
    with engine.connect() as conn:
        anchors = [p for p in reference_points.list_points(conn, within="1506", level="village") if p["unit_code"]]
        before = service.place_name_count(conn)
    rows = illustrative_rows(anchors, args.rows, random.Random(20261129))
    content = as_csv(rows)
    print(f"data: Ordos manifest ({before} place-name records), {len(rows)} illustrative rows, {len(content):,} bytes")

    started = time.perf_counter()
    with transaction(engine) as conn:
        report = place_import.import_places(
            conn, content, name="bench.csv", crs="EPSG:4490", skip_invalid=True, actor="bench"
        )
    imported = time.perf_counter() - started
    print(f"1. import: {report.summary()} in {imported:.2f} s ({report.read / imported:,.0f} rows/s)")
    for rejected in report.rejected[:3]:
        print(f"   e.g. rejected row {rejected.row}: {rejected.reason}")

    baseline_rows = rows[: args.baseline]
    started = time.perf_counter()
    refused = 0
    for row in baseline_rows:
        geometry = shapely.from_wkt(row["wkt"])
        point = GeoPoint(geometry.x, geometry.y) if geometry.geom_type == "Point" else None
        try:
            with transaction(engine) as conn:
                service.create_place(
                    conn,
                    name=row["name"] + "甲",  # another name: the import's records stay as they are
                    category=row["category"],
                    unit=row["unit"],
                    point=point,
                    geometry=None if point else geometry,
                    actor="bench",
                )
        except InvalidInput:
            refused += 1
    one_by_one = time.perf_counter() - started
    per_row_import = imported / report.read
    per_row_single = one_by_one / len(baseline_rows)
    print(
        f"   baseline create_place one by one: {len(baseline_rows)} rows ({refused} refused) in {one_by_one:.2f} s "
        f"({len(baseline_rows) / one_by_one:,.0f} rows/s); the import is {per_row_single / per_row_import:.1f}x "
        "faster per row"
    )

    started = time.perf_counter()
    with transaction(engine) as conn:
        again = place_import.import_places(
            conn, content, name="bench.csv", crs="EPSG:4490", skip_invalid=True, actor="bench"
        )
    print(f"2. re-import of the same file: {again.summary()} in {time.perf_counter() - started:.2f} s")

    with engine.connect() as conn:
        started = time.perf_counter()
        listed = service.list_by_tag(conn, TAG, limit=10_000)
        gpkg = place_export.export_hits(conn, listed["results"], "gpkg", "list")
        print(
            f"3. GeoPackage of the list ({listed['count']} records): {time.perf_counter() - started:.2f} s, "
            f"{len(gpkg.content) / 1e6:.1f} MB"
        )
        started = time.perf_counter()
        filed = exchange.exchange_file(conn, "1506")
        print(
            f"   exchange file of the city ({filed.records} records): {time.perf_counter() - started:.2f} s, "
            f"{len(filed.content) / 1e6:.1f} MB"
        )
    engine.dispose()


if __name__ == "__main__":
    main()
