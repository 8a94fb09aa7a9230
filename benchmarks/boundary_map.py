"""Benchmark: the boundaries map page with a topology check and a comparison drawn, on the Ordos data.

Usage: GAZ_DATABASE_URL=... .venv/bin/python benchmarks/boundary_map.py [--data-root DIR]

Creates a scratch database next to the configured one, loads the Ordos manifest, stores a topology check of the
nine banners (registered polygons) and a comparison AMap 2020 / DataV 2021, then times in one run building the
page /maps/boundaries with both drawn (each finding and piece a polygon with its popup), against the named
baseline: the same page without them. Both on the none and the AMap (GCJ-02, every vertex shifted) basemaps.
"""

from __future__ import annotations

import argparse
import os
import platform
from pathlib import Path

from coverage_maps import fresh_ordos_database, median_time
from sqlalchemy import create_engine

from boundaries.checks import service as checks
from boundaries.compare import service as compare
from core.database import transaction
from core.settings import Settings
from maps import service as maps


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data-root", type=Path, default=Settings().data_root)
    args = parser.parse_args()
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    engine = create_engine(fresh_ordos_database(Settings().database_url, "gaz_bench_boundary_map", args.data_root))
    with transaction(engine) as conn:
        check = checks.run_topology_check(conn, parent="150600", level="county", actor="bench")
        comparison = compare.compare_sources(conn, parent="150600", level="county", second="datav-2021", actor="bench")
    findings = sum(int(k["count"]) for k in check["summary"]["by_kind"].values())
    pieces = comparison["summary"]["disputed"]["count"]
    print(f"data: Ordos manifest; check #{check['id']} with {findings} findings, comparison with {pieces} pieces")
    note = Settings().maps.compliance_note
    drawn_ids = {"check_id": check["id"], "comparison_id": comparison["id"]}
    with engine.connect() as conn:
        for basemap in ("none", "amap"):
            plain = maps.boundaries_map(conn, basemap=basemap, compliance_note=note)
            base = median_time(lambda b=basemap: maps.boundaries_map(conn, basemap=b, compliance_note=note), 3)
            full = maps.boundaries_map(conn, basemap=basemap, compliance_note=note, **drawn_ids)
            drawn = median_time(
                lambda b=basemap: maps.boundaries_map(conn, basemap=b, compliance_note=note, **drawn_ids), 3
            )
            print(
                f"basemap {basemap}: with check and comparison {drawn * 1000:.0f} ms, {len(full) / 1e6:.1f} MB; "
                f"baseline without {base * 1000:.0f} ms, {len(plain) / 1e6:.1f} MB (median of 3)"
            )
    engine.dispose()


if __name__ == "__main__":
    main()
