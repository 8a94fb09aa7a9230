"""Benchmark: load the national division codes (~665k units) and the 2,843 county polygons.

Usage: GAZ_DATABASE_URL=... .venv/bin/python benchmarks/national_import.py [--data-root DIR]

Creates a scratch database next to the configured one, migrates it, and times in one run:
  1. the project's importer (COPY into a staging table, set-based upsert, indexes and constraints live)
     on all five national files;
  2. the named baseline on the township file (41k rows): a row-by-row INSERT (psycopg executemany)
     into the same table, against the project's importer on the same file into a fresh database;
  3. the national county polygons (GCJ-02, 183 invalid, repaired on import).
Prints the machine, the data sizes and the figures.
"""

from __future__ import annotations

import argparse
import os
import platform
import time
from pathlib import Path

from national_data import DIVISION_FILES, DIVISIONS_VALID_FROM, import_county_polygons
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from app import schema
from boundaries import service
from boundaries.units.divisions import read_divisions
from core.database import transaction
from core.imports import ImportReport
from core.settings import Settings


def fresh_database(url: str, name: str) -> str:
    admin = create_engine(make_url(url).set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    target = make_url(url).set(database=name).render_as_string(hide_password=False)
    engine = create_engine(target)
    schema.upgrade(engine)
    engine.dispose()
    return target


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data-root", type=Path, default=Settings().data_root)
    args = parser.parse_args()
    url = Settings().database_url
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, {platform.system()}")

    engine = create_engine(fresh_database(url, "gaz_bench_national"))
    total_rows = 0
    started = time.perf_counter()
    for relative in DIVISION_FILES:
        t0 = time.perf_counter()
        with transaction(engine) as conn:
            report = service.import_divisions(conn, args.data_root / relative, valid_from=DIVISIONS_VALID_FROM)
        total_rows += report.read
        print(f"  {relative}: {report.read:,} rows in {time.perf_counter() - t0:.1f} s")
    divisions_s = time.perf_counter() - started
    print(
        f"national divisions: {total_rows:,} rows, indexes and constraints included, in {divisions_s:.1f} s "
        f"({total_rows / divisions_s:,.0f} rows/s)"
    )
    t0 = time.perf_counter()
    with transaction(engine) as conn:
        again = service.import_divisions(conn, args.data_root / DIVISION_FILES[-1], valid_from=DIVISIONS_VALID_FROM)
    print(
        f"re-import of the village file: unchanged {again.unchanged:,}, written {again.written} "
        f"in {time.perf_counter() - t0:.1f} s"
    )

    t0 = time.perf_counter()
    with transaction(engine) as conn:
        polygons = import_county_polygons(conn, args.data_root)
    repaired = sum(1 for n in polygons.notes if n.startswith("repaired"))
    print(
        f"national county polygons: {polygons.written:,} written ({repaired} repaired, "
        f"{len(polygons.rejected)} rejected) in {time.perf_counter() - t0:.1f} s"
    )
    engine.dispose()

    # Baseline on the same file: row-by-row INSERT against the project's importer.
    streets = args.data_root / DIVISION_FILES[3]
    rows = read_divisions(streets, ImportReport(source=streets.name))
    base_engine = create_engine(fresh_database(url, "gaz_bench_baseline"))
    t0 = time.perf_counter()
    with base_engine.begin() as conn:
        raw = conn.connection.driver_connection
        assert raw is not None
        with raw.cursor() as cursor:
            cursor.executemany(
                "INSERT INTO admin_unit (code, name, level, kind, is_grouping, parent_code, valid_from)"
                " VALUES (%s, %s, %s, %s, %s, %s, %s)",
                [(r.code, r.name, r.level, r.kind, r.is_grouping, r.parent_code, DIVISIONS_VALID_FROM) for r in rows],
            )
    baseline_s = time.perf_counter() - t0
    base_engine.dispose()
    ours_engine = create_engine(fresh_database(url, "gaz_bench_baseline"))
    t0 = time.perf_counter()
    with transaction(ours_engine) as conn:
        service.import_divisions(conn, streets, valid_from=DIVISIONS_VALID_FROM)
    ours_s = time.perf_counter() - t0
    ours_engine.dispose()
    print(
        f"township file ({len(rows):,} rows): baseline row-by-row INSERT {baseline_s:.2f} s, "
        f"project importer (parse + validate + COPY + upsert) {ours_s:.2f} s, ratio {baseline_s / ours_s:.1f}x"
    )
    admin = create_engine(make_url(url).set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        for name in ("gaz_bench_national", "gaz_bench_baseline"):
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


if __name__ == "__main__":
    main()
