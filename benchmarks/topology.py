"""Benchmark: the topology check over the 2,843 national county polygons, against GEOS coverage validation.

Usage: GAZ_DATABASE_URL=... .venv/bin/python benchmarks/topology.py [--data-root DIR] [--repeat 2]

Creates a scratch database next to the configured one, migrates it, imports the national province, city and
county codes and the DataV county polygons (GCJ-02, repaired on import, unknown codes skipped), then in one run:
  1. the project's check (`boundaries.checks.run_topology_check`, all counties as one layer): read from
     PostGIS, analyse, store every finding — overlaps, gaps and slivers reported separately;
  2. the analysis alone (`boundaries.checks.topology.analyse`) on the same polygons in memory;
  3. the named baseline: shapely's `coverage_invalid_edges` (GEOS 3.14 CoverageValidator) on the same array;
  4. where the analysis spends its time: its stages timed alone on the same layer in the metric plane (the
     unshared edges, GEOS noding and polygonizing of them, the largest inscribed circles of the faces no polygon
     covers) against the same baseline, and the vertices on the edges GEOS coverage validation flags.
2 and 3 run alternately, best of ``--repeat`` each (the machine is shared: alternating exposes both to the same
load). Prints the machine, the data size and the figures.
"""

from __future__ import annotations

import argparse
import os
import platform
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import shapely
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from app import schema
from boundaries import service
from boundaries.checks import queries
from boundaries.checks.metric import frame_for
from boundaries.checks.service import member_units, run_topology_check
from boundaries.checks.topology import Tolerances, analyse, unshared_edges, widths_m
from core.database import transaction
from core.settings import Settings

DIVISIONS = [
    "national/china_provinces_nbs2023.csv",
    "national/china_cities_nbs2023.csv",
    "national/china_areas_nbs2023.csv",
]
POLYGONS = "national/china_counties_datav_gcj02.geojson.gz"
SOURCE = "datav-national"
SCRATCH = "gaz_bench_topology"


def scratch_database(url: str) -> str:
    admin = create_engine(make_url(url).set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{SCRATCH}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{SCRATCH}"'))
    admin.dispose()
    target = make_url(url).set(database=SCRATCH).render_as_string(hide_password=False)
    engine = create_engine(target)
    schema.upgrade(engine)
    engine.dispose()
    return target


def drop_scratch(url: str) -> None:
    admin = create_engine(make_url(url).set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{SCRATCH}" WITH (FORCE)'))
    admin.dispose()


def timed(work: Callable[[], Any]) -> tuple[float, float, Any]:
    """Wall-clock and CPU seconds of one run of ``work`` (all single-threaded: CPU time is what the work costs,
    wall time adds what the other users of the shared machine take), and its result."""
    wall, cpu = time.perf_counter(), time.process_time()
    result = work()
    return time.perf_counter() - wall, time.process_time() - cpu, result


def best_alternating(repeat: int, *works: Callable[[], Any]) -> list[tuple[float, float, Any]]:
    """Best wall and CPU time (and last result) of each work, run in turn ``repeat`` times."""
    best: list[tuple[float, float, Any]] = [(float("inf"), float("inf"), None)] * len(works)
    for _ in range(repeat):
        for i, work in enumerate(works):
            wall, cpu, result = timed(work)
            best[i] = (min(best[i][0], wall), min(best[i][1], cpu), result)
    return best


def load() -> str:
    return ", ".join(f"{x:.1f}" for x in os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data-root", type=Path, default=Settings().data_root)
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()
    url = Settings().database_url
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, {platform.system()}")
    print(f"shapely {shapely.__version__}, GEOS {shapely.geos_version_string}")
    engine = create_engine(scratch_database(url))
    try:
        for relative in DIVISIONS:
            with transaction(engine) as conn:
                service.import_divisions(conn, args.data_root / relative, valid_from=date(2023, 6, 30))
        with transaction(engine) as conn:
            report = service.import_polygons(
                conn,
                args.data_root / POLYGONS,
                source=SOURCE,
                status="reference",
                valid_from=date(2021, 8, 1),
                crs="GCJ-02",
                on_invalid="repair",
                skip_invalid=True,
            )
        print(f"county polygons: {report.written:,} written, {len(report.rejected)} rejected (codes not in NBS 2023)")

        t0 = time.perf_counter()
        with transaction(engine) as conn:
            check = run_topology_check(conn, parent=None, level="county", source=SOURCE, actor="benchmark")
        full_s = time.perf_counter() - t0
        summary = check["summary"]
        print(
            f"check {check['id']}: {summary['units_with_polygon']:,} polygons, {summary['faces']:,} faces; "
            f"read + analyse + store {full_s:.2f} s; plane {summary['metric_crs']}, "
            f"{summary['wide_gaps']['count']:,} gaps wider than {check['gap_width_m']:g} m not reported"
        )
        for kind, values in sorted(summary["by_kind"].items()):
            print(f"  {kind:17s} {values['count']:7,d} pieces  {values['area_m2'] / 1e6:12.3f} km²")
        for piece, values in summary["slivers_by_piece"].items():
            print(f"    slivers that are {piece:8s} {values['count']:7,d} pieces  {values['area_m2']:12.1f} m²")

        with engine.connect() as conn:
            _, members = member_units(conn, None, "county", date.today())
            polygons = queries.polygons_of(conn, [m["code"] for m in members], SOURCE, date.today())
        codes = list(polygons)
        geoms = shapely.from_wkb([polygons[c]["wkb"] for c in codes])
        vertices = int(shapely.get_num_coordinates(geoms).sum())
        (baseline_s, baseline_cpu, edges), (analyse_s, analyse_cpu, _) = best_alternating(
            args.repeat,
            lambda: shapely.coverage_invalid_edges(geoms),
            lambda: analyse(codes, list(geoms), None, Tolerances()),
        )
        flagged = int((~shapely.is_empty(edges)).sum())
        print(
            f"same layer in memory: {len(geoms):,} polygons, {vertices:,} vertices; "
            f"best of {args.repeat}, load average {load()}"
        )
        print(
            f"  baseline coverage_invalid_edges: {baseline_s:.2f} s wall, {baseline_cpu:.2f} s CPU "
            f"({flagged:,} polygons with invalid edges)"
        )
        print(
            f"  analyse (overlaps, gaps, slivers with areas): {analyse_s:.2f} s wall, {analyse_cpu:.2f} s CPU; "
            f"ratio {analyse_s / baseline_s:.1f}x wall, {analyse_cpu / baseline_cpu:.1f}x CPU"
        )
        print(f"  full check incl. PostGIS read and storing findings: ratio {full_s / baseline_s:.1f}x wall")
        # The stages as the analysis runs them: in the metric plane.
        frame = frame_for(geoms)
        planes = frame.forward(geoms)
        _, edges_cpu, lines = timed(lambda: unshared_edges(planes))
        _, node_cpu, noded = timed(lambda: shapely.node(lines))
        _, faces_cpu, faces = timed(lambda: shapely.get_parts(shapely.polygonize([noded])))
        hit = shapely.STRtree(planes).query(shapely.point_on_surface(faces), predicate="intersects")[0]
        empty = faces[np.setdiff1d(np.arange(len(faces)), hit)]
        _, mic_cpu, widths = timed(lambda: widths_m(empty, frame, Tolerances().gap_width_m))
        _, invalid_cpu, invalid = timed(lambda: shapely.coverage_invalid_edges(planes))
        print(f"  stages of the analysis in the plane {frame.name}, once each (CPU):")
        print(f"    unshared edges (numpy): {edges_cpu:.2f} s, {shapely.get_num_coordinates(lines):,} vertices")
        print(f"    GEOS node: {node_cpu:.2f} s, {shapely.get_num_geometries(noded):,} noded edges")
        stages = (edges_cpu + node_cpu + faces_cpu) / baseline_cpu
        print(f"    GEOS polygonize: {faces_cpu:.2f} s, {len(faces):,} faces; these three: ratio {stages:.1f}x CPU")
        narrow = int((widths < Tolerances().gap_width_m).sum())
        print(
            f"    largest inscribed circles of the {len(empty):,} faces covered by no polygon: {mic_cpu:.2f} s "
            f"({mic_cpu / baseline_cpu:.1f}x CPU; {narrow:,} narrower than {Tolerances().gap_width_m:g} m, "
            f"i.e. reported with their width)"
        )
        print(
            f"    GEOS coverage_invalid_edges in the plane: {invalid_cpu:.2f} s, "
            f"{int(shapely.get_num_coordinates(invalid).sum()):,} vertices on invalid edges (what noding only "
            f"around them would still node)"
        )
    finally:
        engine.dispose()
        drop_scratch(url)


if __name__ == "__main__":
    main()
