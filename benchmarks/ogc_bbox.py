"""Benchmark: OGC items in a small bbox (and first pages without one), per request and per SQL statement.

Usage: GAZ_DATABASE_URL=... .venv/bin/python benchmarks/ogc_bbox.py [--repeat 20] [--scale national|ordos]

Starts `gaz serve` (one worker) on loopback and sends each request ``repeat`` times from one client, in turn
(p50 and max of the wall time per request). Then, in process, runs the items SELECT and the numberMatched count
of each request under EXPLAIN ANALYZE (execution time of the median of 5 runs), next to the named baseline: the
same request against the published SELECT the collection had before the bbox work (the secrecy expression
computed per row for place names; COALESCE of polygon and reference point through LATERAL joins for units),
with the count uncapped as it was then. The database is only read.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import time
from dataclasses import replace
from typing import Any

import httpx
from serving import served
from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Connection

from ogc import queries, service
from ogc.collections import Collection, require

BBOX_REQUESTS = {
    "national": [
        ("place-names", "111.1241,27.7501,111.2241,27.8501"),
        ("units-county", "103.6542,30.8831,103.7542,30.9831"),
        ("units-village", "103.6542,30.8831,103.7542,30.9831"),
        ("place-names", None),
        ("units-county", None),
        ("units-village", None),
    ],
    "ordos": [
        ("place-names", "109.75,39.58,109.85,39.68"),
        ("units-county", "109.75,39.58,109.85,39.68"),
        ("units-village", "109.75,39.58,109.85,39.68"),
        ("reference-points", "109.75,39.58,109.85,39.68"),
        ("facilities", "109.75,39.58,109.85,39.68"),
        ("place-signs", "109.75,39.58,109.85,39.68"),
        ("place-names", None),
        ("units-county", None),
    ],
}
# The named baseline: the published SELECTs as they were before (see the module docstring).
_OLD_SECRECY = "(CASE WHEN p.secrecy = 'public' THEN p.geom ELSE ST_SnapToGrid(ST_PointOnSurface(p.geom), 0.1) END)"
BASELINE_PLACE_NAMES = (
    "SELECT p.id, p.place_id, p.name, p.statistical_name, p.romanization, p.romanization_origin, p.category,"  # noqa: S608
    " p.unit_code, p.admin_code, p.status, p.secrecy, p.approval_date, p.valid_from, p.valid_to,"
    f" {_OLD_SECRECY} AS geom FROM place_name p"
)
BASELINE_UNITS = (
    "SELECT u.id, u.code, u.name, u.kind, u.parent_code, u.valid_from, u.valid_to, u.polygon_source,"
    " CASE WHEN u.polygon_geom IS NOT NULL THEN 'polygon' WHEN pt.geom IS NOT NULL THEN 'point' END"
    " AS geometry_kind, COALESCE(u.polygon_geom, pt.geom) AS geom"
    " FROM (SELECT u.id, u.code, u.name, u.level, u.kind, u.parent_code, u.valid_from, u.valid_to,"
    " p.source AS polygon_source, p.geom AS polygon_geom FROM admin_unit u LEFT JOIN LATERAL ("
    " SELECT source, geom FROM unit_polygon WHERE unit_code = u.code AND status = 'registered'"
    " AND period && u.period ORDER BY valid_from DESC LIMIT 1) p ON true"
    " WHERE NOT u.is_grouping AND u.level = '{level}') u LEFT JOIN LATERAL (SELECT geom FROM reference_point"
    " WHERE unit_code = u.code ORDER BY id LIMIT 1) pt ON u.polygon_geom IS NULL"
)


def baseline(collection: Collection) -> Collection | None:
    """The collection with its former published SELECT, or None when it did not change."""
    if collection.id == "place-names":
        return replace(collection, sql=BASELINE_PLACE_NAMES, parts=())
    if collection.id.startswith("units-"):
        level = collection.id.removeprefix("units-")
        return replace(collection, sql=BASELINE_UNITS.replace("{level}", level), parts=())
    return None


def http_p50(base_url: str, collection: str, bbox: str | None, repeat: int) -> tuple[float, float, int | None]:
    """p50 and max wall time (ms) of one request sent ``repeat`` times, and its numberMatched."""
    params = {"limit": "10", **({"bbox": bbox} if bbox else {})}
    times, matched = [], None
    with httpx.Client(base_url=base_url, timeout=120) as client:
        for _ in range(repeat):
            start = time.perf_counter()
            response = client.get(f"/ogc/collections/{collection}/items", params=params)
            times.append((time.perf_counter() - start) * 1000)
            response.raise_for_status()
            matched = response.json().get("numberMatched")
    return statistics.median(times), max(times), matched


def explained_ms(conn: Connection, run: Any) -> list[float]:
    """Execution time (ms, EXPLAIN ANALYZE) of each statement ``run(conn)`` issues (median of 5)."""
    statements: list[tuple[str, Any]] = []

    def capture(_conn: Any, _cursor: Any, statement: str, parameters: Any, _context: Any, _many: bool) -> None:
        if not statement.startswith("EXPLAIN"):
            statements.append((statement, parameters))

    event.listen(conn.engine, "before_cursor_execute", capture)
    try:
        run(conn)
    finally:
        event.remove(conn.engine, "before_cursor_execute", capture)
    times = []
    for statement, parameters in statements:
        runs = []
        for _ in range(5):
            plan = conn.exec_driver_sql("EXPLAIN (ANALYZE, FORMAT JSON) " + statement, parameters).scalar_one()
            runs.append(float(plan[0]["Execution Time"]))
        times.append(statistics.median(runs))
    return times


def sql_times(conn: Connection, collection: Collection, bbox: str | None, *, capped: bool) -> str:
    """EXPLAIN ANALYZE times of the items SELECT and the count of a first page (limit 10)."""
    query = service.parse_items_query({"limit": "10", **({"bbox": bbox} if bbox else {})}, collection)
    where, params = service.conditions(collection, query)

    def page(c: Connection) -> None:
        queries.feature_json(c, collection, where, params, query.crs, limit=11, offset=0)

    def counted(c: Connection) -> None:
        if capped:
            queries.count(c, collection, where, params, cap=service.COUNT_CAP)
        else:
            c.execute(text(f"SELECT count(*) FROM ({collection.sql}) t{queries._where(where)}"), params)  # noqa: S608

    (items_ms,) = explained_ms(conn, page)
    (count_ms,) = explained_ms(conn, counted)
    return f"items {items_ms:8.2f} ms, count {count_ms:8.2f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--scale", choices=tuple(BBOX_REQUESTS), default="national")
    args = parser.parse_args()
    url = os.environ["GAZ_DATABASE_URL"]
    engine = create_engine(url)
    with engine.connect() as conn:
        sizes = conn.execute(
            text(
                "SELECT (SELECT count(*) FROM admin_unit) AS units, (SELECT count(*) FROM unit_polygon) AS polygons,"
                " (SELECT count(*) FROM place_name) AS place_names, (SELECT count(*) FROM reference_point) AS points"
            )
        ).one()
    print(f"machine: {platform.node()}, {os.cpu_count()} cores, {platform.python_version()}; one uvicorn worker")
    print(
        f"data ({args.scale}): {sizes.units:,} units, {sizes.polygons:,} polygons, {sizes.place_names:,} place names,"
        f" {sizes.points:,} reference points"
    )
    requests = BBOX_REQUESTS[args.scale]
    print(f"\nHTTP, one client, {args.repeat} requests each (limit=10):")
    with served(workers=1) as base_url:
        for collection_id, bbox in requests:
            p50, worst, matched = http_p50(base_url, collection_id, bbox, args.repeat)
            print(
                f"  {collection_id:18} bbox={bbox or '-':36} p50 {p50:8.1f} ms  max {worst:8.1f} ms  matched {matched}"
            )
    print("\nSQL (EXPLAIN ANALYZE execution time, median of 5): now | baseline (former SELECT, uncapped count)")
    with engine.connect() as conn:
        for collection_id, bbox in requests:
            collection = require(conn, collection_id)
            now = sql_times(conn, collection, bbox, capped=True)
            old = baseline(collection)
            before = sql_times(conn, old, bbox, capped=False) if old else "unchanged"
            print(f"  {collection_id:18} bbox={bbox or '-':36} {now} | {before}")


if __name__ == "__main__":
    main()
