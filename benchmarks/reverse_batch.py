"""Benchmark: batch reverse geocoding through the API against two SQL baselines, in one run.

Usage: GAZ_DATABASE_URL=... .venv/bin/python benchmarks/reverse_batch.py [--points 100000]

Uses whatever registered polygons are loaded (the Ordos banners, or the national counties) and
random points over their extent. Measures:
  1. POST /api/v1/reverse/batch with all points in one request (a live `gaz serve`, 1 worker),
     the second call (the first builds the in-process index);
  2. baseline A: one SQL query per point (ST_Intersects against the polygon table), on a sample;
  3. baseline B: one SQL statement joining all points with the polygons.
"""

from __future__ import annotations

import argparse
import os
import platform
import time

import httpx
import numpy as np
from serving import served
from sqlalchemy import create_engine, text

from core import auth
from core.database import transaction
from core.settings import Settings

DEEPEST = (
    "SELECT u.code FROM unit_polygon p JOIN admin_unit u ON u.code = p.unit_code AND u.period @> CURRENT_DATE"
    " WHERE p.status = 'registered' AND p.period @> CURRENT_DATE"
    " AND ST_Intersects(p.geom, ST_SetSRID(ST_MakePoint(:x, :y), 4490))"
    " ORDER BY array_position(ARRAY['province','city','county','township','village'], u.level) DESC LIMIT 1"
)
JOINED = (
    "SELECT count(DISTINCT i) FROM unnest(CAST(:xs AS float8[]), CAST(:ys AS float8[])) WITH ORDINALITY AS t(x, y, i)"
    " JOIN unit_polygon p ON p.status = 'registered' AND p.period @> CURRENT_DATE"
    " AND ST_Intersects(p.geom, ST_SetSRID(ST_MakePoint(t.x, t.y), 4490))"
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--points", type=int, default=100_000)
    parser.add_argument("--sample", type=int, default=2_000, help="points for the one-query-per-point baseline")
    args = parser.parse_args()
    settings = Settings()
    engine = create_engine(settings.database_url)
    with engine.connect() as conn:
        extent = conn.execute(
            text(
                "SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e), n FROM ("
                "SELECT ST_Extent(geom) AS e, count(*) AS n FROM unit_polygon"
                " WHERE status = 'registered' AND period @> CURRENT_DATE) s"
            )
        ).one()
    with transaction(engine) as conn:
        key = auth.create_user(conn, f"bench-{os.getpid()}", "inspector")
    rng = np.random.default_rng(11)
    xs = rng.uniform(extent[0], extent[2], args.points)
    ys = rng.uniform(extent[1], extent[3], args.points)
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores; {extent[4]:,} registered polygons; "
        f"{args.points:,} random points over their extent"
    )

    with served() as base:
        body = {"crs": "EPSG:4490", "points": np.column_stack([xs, ys]).tolist()}
        with httpx.Client(base_url=base, timeout=300, headers={"X-API-Key": key}) as client:
            first = time.perf_counter()
            client.post("/api/v1/reverse/batch", json=body).raise_for_status()
            build_s = time.perf_counter() - first
            started = time.perf_counter()
            answer = client.post("/api/v1/reverse/batch", json=body)
            api_s = time.perf_counter() - started
        answer.raise_for_status()
        found = answer.json()["found"]
        print(
            f"API batch: {api_s:.2f} s for {args.points:,} points = {args.points / api_s:,.0f} points/s "
            f"({found:,} inside a polygon; first call with index build {build_s:.2f} s)"
        )

    with engine.connect() as conn:
        started = time.perf_counter()
        for x, y in zip(xs[: args.sample], ys[: args.sample], strict=True):
            conn.execute(text(DEEPEST), {"x": float(x), "y": float(y)}).first()
        per_point_s = time.perf_counter() - started
        started = time.perf_counter()
        joined = conn.execute(text(JOINED), {"xs": xs.tolist(), "ys": ys.tolist()}).scalar_one()
        join_s = time.perf_counter() - started
    print(
        f"baseline A, one SQL query per point: {args.sample / per_point_s:,.0f} points/s "
        f"({per_point_s / args.sample * 1000:.2f} ms/point on {args.sample:,} points)"
    )
    print(f"baseline B, one SQL join of all points: {args.points / join_s:,.0f} points/s ({joined:,} inside)")
    print(
        f"ratio API / A: {(args.points / api_s) / (args.sample / per_point_s):.1f}x, "
        f"API / B: {(args.points / api_s) / (args.points / join_s):.1f}x"
    )
    with transaction(engine) as conn:
        auth.revoke_user(conn, f"bench-{os.getpid()}")
    engine.dispose()


if __name__ == "__main__":
    main()
