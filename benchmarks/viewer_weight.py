"""Benchmark: page weight and time to a drawn map of the viewer (/maps/), on the Ordos data and then with the
national division codes and county polygons loaded, for two versions of the code in the same run (issue 13).

Usage: GAZ_DATABASE_URL=... PYTHONPATH=. .venv/bin/python benchmarks/viewer_weight.py [--before DIR] [--runs 3]

Creates a scratch database next to the configured one, loads the Ordos manifest (data/ordos.toml), and serves it
with this tree's code and, with ``--before``, with another checkout of the project (e.g. ``git archive`` of the
commit before the vector tiles) on the same database, one after the other. Each load is a new visitor in headless
Chromium (tests/cdp.py, every outside host unresolvable, the cache emptied) after one load that built the page:
bytes transferred (page, assets, vector tiles: gzip-compressed as sent), first contentful paint, load event, and the
time the map is drawn (the load event, or later the first full draw of every vector tile layer shown). Then the
national codes (5 files, 665k units) and the 2,785 county polygons are imported (as benchmarks/national_import.py
does) and the loads are measured again.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from national_data import DIVISION_FILES, DIVISIONS_VALID_FROM, import_county_polygons
from serving import free_port, server_process
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from app import schema
from app.manifest import load_manifest
from boundaries import service
from core.database import transaction
from core.settings import Settings
from tests.cdp import Browser, wait_for

PROJECT = Path(__file__).resolve().parent.parent
MEASURE_JS = """(() => {
  const nav = performance.getEntriesByType('navigation')[0];
  const paint = performance.getEntriesByType('paint').find((p) => p.name === 'first-contentful-paint');
  const resources = performance.getEntriesByType('resource');
  const sum = (list) => list.reduce((n, r) => n + r.transferSize, 0);
  const tiles = resources.filter((r) => r.name.includes('/tiles/'));
  const shown = (window.gazViewer && gazViewer.tiled || []).filter((t) => t.layer._map);
  return {page_bytes: nav.transferSize, page_raw_bytes: nav.decodedBodySize,
    asset_bytes: sum(resources.filter((r) => !r.name.includes('/tiles/'))), tile_bytes: sum(tiles),
    tile_requests: tiles.length, server_ms: nav.responseStart - nav.requestStart,
    first_contentful_paint_ms: paint && paint.startTime, load_ms: nav.loadEventEnd,
    drawn_ms: Math.max(nav.loadEventEnd, ...shown.map((t) => t.layer.drawnAt))};
})()"""
DRAWN_JS = (
    "!!document.body.dataset.layerCounts && performance.getEntriesByType('navigation')[0].loadEventEnd > 0 &&"
    " (!window.gazViewer || !gazViewer.tiled || gazViewer.tiled.every((t) => !t.layer._map || t.layer.drawnAt))"
)


def fresh_database(url: str, name: str) -> str:
    admin = create_engine(make_url(url).set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return make_url(url).set(database=name).render_as_string(hide_password=False)


@contextmanager
def served(code: Path, database_url: str) -> Iterator[str]:
    """uvicorn serving ``code``'s app (its own folder first on the path) on a free loopback port."""
    port = free_port()
    env = os.environ | {"GAZ_DATABASE_URL": database_url, "PYTHONPATH": str(code)}
    command = [sys.executable, "-m", "uvicorn", "--factory", "app.main:create_app", "--port", str(port)]
    with server_process([*command, "--log-level", "warning"], port, env, cwd=code):
        yield f"http://127.0.0.1:{port}"


def load(browser: Browser, url: str) -> dict[str, Any]:
    browser.open("about:blank")
    browser.page("Network.clearBrowserCache")
    browser.open(url)
    wait_for(lambda: browser.evaluate(DRAWN_JS), "the viewer to be drawn", timeout=60)
    return dict(browser.evaluate(MEASURE_JS))


def measure(code: Path, database_url: str, runs: int) -> dict[str, Any]:
    """The built load, then ``runs`` loads of the kept page by new visitors (medians, and every run)."""
    with served(code, database_url) as base:
        browser = Browser()
        try:
            browser.page("Page.enable")
            browser.page("Page.bringToFront")
            browser.page(
                "Emulation.setDeviceMetricsOverride", width=1400, height=900, deviceScaleFactor=1, mobile=False
            )
            built = load(browser, base + "/maps/")
            kept = [load(browser, base + "/maps/") for _ in range(runs)]
        finally:
            browser.close()
    median = {k: statistics.median(r[k] or 0 for r in kept) for k in kept[0]}
    return {"built": built, "kept_median": median, "kept": kept}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--before", type=Path, help="another checkout of the project to measure in the same run")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--data-root", type=Path, default=Settings().data_root)
    args = parser.parse_args()
    codes = {"before": args.before, "after": PROJECT} if args.before else {"after": PROJECT}
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}", file=sys.stderr)
    url = fresh_database(Settings().database_url, "gaz_bench_viewer")
    engine = create_engine(url)
    schema.upgrade(engine)
    load_manifest(engine, PROJECT / "data" / "ordos.toml", args.data_root, progress=False)
    results: dict[str, Any] = {"ordos": {name: measure(code, url, args.runs) for name, code in codes.items()}}
    for relative in DIVISION_FILES:
        with transaction(engine) as conn:
            service.import_divisions(conn, args.data_root / relative, valid_from=DIVISIONS_VALID_FROM)
    with transaction(engine) as conn:
        import_county_polygons(conn, args.data_root)
        units = conn.execute(text("SELECT count(*) FROM admin_unit")).scalar_one()
    results["national"] = {name: measure(code, url, args.runs) for name, code in codes.items()}
    results["national_units"] = units
    results["load_average"] = os.getloadavg()[0]
    engine.dispose()
    admin = create_engine(make_url(url).set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text('DROP DATABASE IF EXISTS "gaz_bench_viewer" WITH (FORCE)'))
    admin.dispose()
    print(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
