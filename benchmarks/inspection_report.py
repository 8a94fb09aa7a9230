"""Benchmark: field observations and the per-line inspection report, on the Ordos data.

Usage: GAZ_DATABASE_URL=... .venv/bin/python benchmarks/inspection_report.py [--spacing-m 250] [--data-root DIR]

Creates a scratch database next to the configured one, loads the Ordos manifest, derives the county lines, and
places illustrative markers every ``spacing`` metres along the longest line (made-up positions for timing only),
then times in one run:
  1. submitting one observation per marker (a GCJ-02 fix a few metres off, one transaction each), against the
     named baseline: the same submissions sent again (the retry path: insert refused by ON CONFLICT, stored row
     compared and returned);
  2. attaching one 64×64 PNG photo per observation (SHA-256, file written under a scratch folder);
  3. building the report page (HTML with the SVG map) and printing it to A4 PDF with headless Chromium.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

import shapely
from pyproj import Geod
from sqlalchemy import create_engine

from boundaries.inspections import photos as field_photos
from boundaries.inspections import report as inspection_report
from boundaries.inspections import service as inspections
from boundaries.lines import service as lines
from core.crs import transform_point
from core.database import transaction
from core.settings import PhotoSettings, Settings

sys.path.insert(0, str(Path(__file__).resolve().parent))
from coverage_maps import fresh_ordos_database  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from tests.boundaries.test_field_photos import tiny_png  # noqa: E402

GRS80 = Geod(ellps="GRS80")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--spacing-m", type=float, default=250.0)
    parser.add_argument("--data-root", type=Path, default=Settings().data_root)
    args = parser.parse_args()
    url = fresh_ordos_database(Settings().database_url, "gaz_bench_inspection", args.data_root)
    engine = create_engine(url)
    random.seed(7)
    with transaction(engine) as conn:
        lines.derive_lines(conn, parent="150600", level="county", actor="bench")
        line = max((li for li in lines.list_lines(conn) if li["kind"] == "shared"), key=lambda li: li["length_km"])
        part = max(shapely.get_parts(shapely.geometry.shape(line["geometry"])), key=lambda g: g.length)
        length_m = line["length_km"] * 1000
        count = int(length_m // args.spacing_m)
        rows = ["number,unit_a,unit_b,type,x,y,crs,description"]
        for n in range(count):
            p = part.interpolate((n + 0.5) / count, normalized=True)
            a, b = (code[:6] for code in line["units"])
            rows.append(f"BENCH-{n:05d},{a},{b},single,{p.x:.9f},{p.y:.9f},EPSG:4490,")
        folder = Path(tempfile.mkdtemp())
        (folder / "markers.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
        lines.import_markers(conn, folder / "markers.csv", actor="bench")
        markers = lines.list_markers(conn, line_id=line["id"])
        campaign = inspections.create_campaign(
            conn, title="benchmark (illustrative)", line_ids=[line["id"]], period_start=date(2026, 1, 1),
            period_end=date(2026, 12, 31), inspectors=["bench"], actor="bench",
        )  # fmt: skip
    bodies = []
    for m in markers:
        lon, lat, _ = GRS80.fwd(m["lon"], m["lat"], random.uniform(0, 360), random.uniform(0, 20))
        x, y = transform_point(lon, lat, "EPSG:4490", "GCJ-02")
        bodies.append({"submission_id": f"bench-{m['id']:08d}", "marker_id": m["id"], "fix": (x, y, "GCJ-02")})

    def submit_all() -> float:
        started = time.perf_counter()
        for body in bodies:
            with transaction(engine) as conn:
                inspections.submit_observation(
                    conn, campaign["id"], observed_on=date(2026, 5, 1), status="intact", actor="bench", **body
                )
        return time.perf_counter() - started

    first, retry = submit_all(), submit_all()
    photo_settings = PhotoSettings(photo_dir=Path(tempfile.mkdtemp()))
    started = time.perf_counter()
    for n, body in enumerate(bodies):
        with transaction(engine) as conn:
            field_photos.add_photo(
                conn, campaign["id"], body["submission_id"], 1, tiny_png(n % 256, 64),
                declared_type="image/png", photos=photo_settings, actor="bench",
            )  # fmt: skip
    photos = time.perf_counter() - started
    with engine.connect() as conn:
        started = time.perf_counter()
        page = inspection_report.report_html(conn, campaign["id"], line["id"])
        html_s = time.perf_counter() - started
        started = time.perf_counter()
        pdf = inspection_report.report_pdf(conn, campaign["id"], line["id"], photo_settings)
        pdf_s = time.perf_counter() - started
    machine = platform.processor() or platform.machine()
    print(f"machine: {machine}, {os.cpu_count()} cores; Python {platform.python_version()}")
    print(f"line {line['line_key']}: {line['length_km']:.1f} km, {len(markers)} illustrative markers")
    print(f"(one every {args.spacing_m:g} m)")
    print(f"submit, new:     {first:.2f} s  ({1000 * first / len(bodies):.2f} ms per observation)")
    print(f"submit, retried: {retry:.2f} s  ({1000 * retry / len(bodies):.2f} ms per observation) [baseline]")
    print(f"photos:          {photos:.2f} s  ({1000 * photos / len(bodies):.2f} ms per 64x64 PNG)")
    print(f"report HTML:     {html_s:.2f} s  ({len(page) / 1024:.0f} KiB)")
    pages = pdf.count(b"/Type /Page") - pdf.count(b"/Type /Pages")
    print(f"report PDF:      {pdf_s:.2f} s  ({len(pdf) / 1024:.0f} KiB, {pages} pages)")
    engine.dispose()


if __name__ == "__main__":
    main()
