"""Benchmark: the unfiltered pages of every OGC collection (limit 10, first page and a deep offset), now vs before.

Usage: GAZ_DATABASE_URL=... .venv/bin/python benchmarks/ogc_first_pages.py [--repeat 20] [--offset 1000]

In process, on one connection: the items SELECT of each collection's page under EXPLAIN ANALYZE (execution time,
median of 5; the rows the plan's largest Sort node reads, 0 when the page comes from an index in key order), next
to the named baseline in the same run: the SELECT as it was before (each feature's GeoJSON built before the page
was cut, so an offset paid for every skipped feature) with the key-order indexes of migration 0018 dropped inside
a transaction that is rolled back. Then HTTP: `gaz serve` (one worker) on loopback, one client, p50 of ``repeat``
requests of each first page. The database is only read.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import httpx
from serving import served
from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Connection

from ogc import queries, service
from ogc.collections import Collection, published

INDEXES = ("ix_admin_unit_level_id", "ix_unit_polygon_source_id")  # migration 0018


def former_sql(collection: Collection, where: list[str]) -> str:
    """The baseline: the items SELECT before the page was cut first (features built, then LIMIT/OFFSET)."""
    if collection.parts:
        firsts = " UNION ALL ".join(
            f"(SELECT * FROM ({part}) t{queries._where(where)} ORDER BY t.id LIMIT :ogc_limit + :ogc_offset)"  # noqa: S608
            for part in collection.parts
        )
        source = f"({firsts}) t"
    else:
        source = f"({collection.sql}) t{queries._where(where)}"
    return (
        "SELECT json_build_object('type', 'Feature', 'id', t.id, 'geometry', ST_AsGeoJSON(t.geom, 8, 0)::json,"  # noqa: S608
        f" 'properties', {queries._properties_json(collection)})::text FROM {source}"
        " ORDER BY t.id LIMIT :ogc_limit OFFSET :ogc_offset"
    )


def current_plan(conn: Connection, collection: Collection, offset: int) -> tuple[float, int]:
    """EXPLAIN ANALYZE of the page's items SELECT as the current code (ogc.queries.feature_json) sends it."""
    query = service.parse_items_query({"limit": "10", "offset": str(offset)}, collection)
    where, params = service.conditions(collection, query)
    statements: list[tuple[str, Any]] = []

    def capture(_conn: Any, _cursor: Any, statement: str, parameters: Any, _context: Any, _many: bool) -> None:
        statements.append((statement, parameters))

    event.listen(conn.engine, "before_cursor_execute", capture)
    try:
        queries.feature_json(conn, collection, where, params, query.crs, limit=11, offset=offset)
    finally:
        event.remove(conn.engine, "before_cursor_execute", capture)
    statement, parameters = statements[0]
    return explained(conn, lambda: conn.exec_driver_sql("EXPLAIN (ANALYZE, FORMAT JSON) " + statement, parameters))


def former_plan(conn: Connection, collection: Collection, offset: int) -> tuple[float, int]:
    """EXPLAIN ANALYZE of the baseline SELECT of the same page."""
    query = service.parse_items_query({"limit": "10", "offset": str(offset)}, collection)
    where, params = service.conditions(collection, query)
    bound = {**collection.params, **params, "ogc_limit": 11, "ogc_offset": offset}
    sql = "EXPLAIN (ANALYZE, FORMAT JSON) " + former_sql(collection, where)
    return explained(conn, lambda: conn.execute(text(sql), bound))


def explained(conn: Connection, run: Callable[[], Any]) -> tuple[float, int]:
    """Median execution time (ms) of 5 EXPLAIN ANALYZE runs, and the rows read by the plan's largest Sort."""
    times, sorted_rows = [], 0
    for _ in range(5):
        plan = run().scalar_one()[0]
        times.append(float(plan["Execution Time"]))
        sorted_rows = max(sorted_rows, largest_sort(plan["Plan"]))
    return statistics.median(times), sorted_rows


def largest_sort(node: dict[str, Any]) -> int:
    """The most rows any Sort node of the plan read (its input's actual rows times loops)."""
    own = 0
    if node["Node Type"] == "Sort":
        child = node["Plans"][0]
        own = int(child["Actual Rows"] * child["Actual Loops"])
    return max([own, *(largest_sort(c) for c in node.get("Plans", []))])


@contextmanager
def without_indexes(conn: Connection) -> Iterator[None]:
    """The key-order indexes dropped for the baseline, in a transaction rolled back afterwards."""
    with conn.begin() as transaction:
        for index in INDEXES:
            conn.execute(text(f"DROP INDEX IF EXISTS {index}"))
        yield
        transaction.rollback()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--offset", type=int, default=1000, help="the deep page's offset")
    args = parser.parse_args()
    engine = create_engine(os.environ["GAZ_DATABASE_URL"])
    with engine.connect() as conn:
        sizes = conn.execute(
            text(
                "SELECT (SELECT count(*) FROM admin_unit) AS units, (SELECT count(*) FROM unit_polygon) AS polygons,"
                " (SELECT count(*) FROM place_name) AS place_names, (SELECT count(*) FROM reference_point) AS points"
            )
        ).one()
        collections = list(published(conn).values())
        conn.rollback()
        print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}")
        print(
            f"data: {sizes.units:,} units, {sizes.polygons:,} polygons, {sizes.place_names:,} place names,"
            f" {sizes.points:,} reference points"
        )
        print("\nSQL of an items page (limit 10), EXPLAIN ANALYZE execution ms (median of 5) / rows sorted:")
        print("| collection | offset | now ms | now sorted | before ms | before sorted |")
        print("|---|---|---|---|---|---|")
        for collection in collections:
            for offset in (0, args.offset):
                now = current_plan(conn, collection, offset)
                conn.rollback()
                with without_indexes(conn):
                    before = former_plan(conn, collection, offset)
                print(f"| {collection.id} | {offset} | {now[0]:.2f} | {now[1]:,} | {before[0]:.2f} | {before[1]:,} |")
    print(f"\nHTTP, one worker, one client, p50 / max of {args.repeat} first pages (limit 10), current code:")
    with served(workers=1) as base_url, httpx.Client(base_url=base_url, timeout=120) as client:
        for collection in collections:
            times = []
            for _ in range(args.repeat):
                started = time.perf_counter()
                client.get(f"/ogc/collections/{collection.id}/items", params={"limit": "10"}).raise_for_status()
                times.append((time.perf_counter() - started) * 1000)
            print(f"  {collection.id:26} p50 {statistics.median(times):8.1f} ms  max {max(times):8.1f} ms")


if __name__ == "__main__":
    main()
