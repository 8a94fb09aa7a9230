"""Benchmark: facility import, the eldercare-circle computation and the map pages, on the Ordos data.

Usage: GAZ_DATABASE_URL=... .venv/bin/python benchmarks/coverage_maps.py [--sites 1000] [--data-root DIR]

Creates a scratch database next to the configured one, loads the Ordos manifest, then times in one run:
  1. importing N made-up (illustrative) community eldercare sites from one CSV (one transaction), against the
     named baseline: the same N records created one by one through service.create_facility (one transaction each);
  2. the eldercare circle for the whole city (one KNN query for all located units), against the named baseline:
     a brute-force SQL cross join of every located unit with every site (min of ST_Distance), checking both agree;
  3. building each map page (boundaries, places, coverage) with the N sites.
The sites are random points near the unit points: illustrative data for timing only, never shown as real.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import statistics
import time
from functools import partial
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from app import schema
from app.manifest import load_manifest
from core.database import transaction
from core.errors import InvalidInput
from core.settings import CoverageSettings, Settings
from facilities import coverage
from facilities import importers as facility_imports
from facilities import registry as service
from facilities.schemas import FacilityIn
from gazetteer.points import service as reference_points
from maps import coverage as coverage_maps
from maps import service as maps

PROJECT = Path(__file__).resolve().parent.parent
WALK_M = 1000.0


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


def median_time(fn: object, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()  # type: ignore[operator]
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sites", type=int, default=1000)
    parser.add_argument("--data-root", type=Path, default=Settings().data_root)
    args = parser.parse_args()
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    url = fresh_ordos_database(Settings().database_url, "gaz_bench_facilities", args.data_root)
    engine = create_engine(url)
    rng = random.Random(20261129)
    with engine.connect() as conn:
        anchors = reference_points.list_points(conn, within="1506", level="village")
    rows = []
    for number in range(args.sites):
        anchor = anchors[number % len(anchors)]
        lon = anchor["lon"] + rng.uniform(-0.02, 0.02)
        lat = anchor["lat"] + rng.uniform(-0.02, 0.02)
        rows.append((f"s{number}", f"示例站点{number}(illustrative)", lon, lat))
    content = (
        "external_id,name,kind,lon,lat\n"
        + "".join(f"{i},{n},community_eldercare_site,{x:.6f},{y:.6f}\n" for i, n, x, y in rows)
    ).encode()
    print(f"data: Ordos manifest ({len(anchors)} located village-level units), {args.sites} illustrative sites")

    started = time.perf_counter()
    with transaction(engine) as conn:
        report = facility_imports.import_facilities(
            conn,
            content,
            name="bench.csv",
            file_format="csv",
            source="bench",
            crs="EPSG:4490",
            illustrative=True,
            skip_invalid=True,
        )
    imported = time.perf_counter() - started
    print(f"1. CSV import: {report.summary()} in {imported:.2f} s ({report.written / imported:,.0f} rows/s)")
    started = time.perf_counter()
    refused = 0
    for _, name, lon, lat in rows:
        body = FacilityIn(
            name=name, kind="community_eldercare_site", lon=lon, lat=lat, crs="EPSG:4490", illustrative=True
        )
        try:
            with transaction(engine) as conn:
                service.create_facility(conn, body, actor="bench")
        except InvalidInput:  # the random points outside Ordos that the import rejected too
            refused += 1
    one_by_one = time.perf_counter() - started
    print(
        f"   baseline create_facility one by one: {len(rows)} ({refused} refused) in {one_by_one:.2f} s "
        f"({len(rows) / one_by_one:,.0f} rows/s); import is {one_by_one / imported:.1f}x faster"
    )
    sites = report.written + len(rows) - refused

    with engine.connect() as conn:
        result = coverage.eldercare_circle(conn, level="county", walk_m=WALK_M)
        fast = median_time(lambda: coverage.eldercare_circle(conn, level="county", walk_m=WALK_M), 7)
        located = [(p["code"], p["lon"], p["lat"]) for p in result["located"]]
        brute_sql = text(
            "SELECT count(*) FILTER (WHERE d <= :walk) FROM ("
            " SELECT min(ST_Distance(f.geom::geography, ST_SetSRID(ST_MakePoint(p.lon, p.lat), 4490)::geography)) AS d"
            " FROM unnest(CAST(:keys AS text[]), CAST(:lons AS float8[]), CAST(:lats AS float8[])) AS p(key, lon, lat)"
            " CROSS JOIN facility f WHERE f.kind = 'community_eldercare_site' AND f.status = 'operating'"
            " GROUP BY p.key) t"
        )
        params = {
            "keys": [p[0] for p in located],
            "lons": [p[1] for p in located],
            "lats": [p[2] for p in located],
            "walk": WALK_M,
        }
        brute_covered = conn.execute(brute_sql, params).scalar_one()
        brute = median_time(lambda: conn.execute(brute_sql, params).scalar_one(), 3)
        covered = sum(a["covered"] for a in result["areas"])
        print(
            f"2. eldercare circle, whole city, {len(located)} located units x {sites} sites: "
            f"{fast * 1000:.0f} ms (median of 7); covered {covered}"
        )
        print(
            f"   baseline brute-force cross join: {brute * 1000:.0f} ms (median of 3); covered {brute_covered}; "
            f"{'agree' if brute_covered == covered else 'DISAGREE'}"
        )
        for name, build in (
            ("boundaries", partial(maps.boundaries_map, compliance_note=Settings().maps.compliance_note)),
            ("places", maps.places_map),
            ("coverage", partial(coverage_maps.coverage_map, settings=CoverageSettings())),
        ):
            page = build(conn)
            seconds = median_time(lambda build=build: build(conn), 3)
            print(f"3. map page {name}: {seconds * 1000:.0f} ms to build (median of 3), {len(page) / 1e6:.1f} MB")
    engine.dispose()


if __name__ == "__main__":
    main()
