"""The map pages in a real browser: headless Chromium (Debian's) loads each page from the live server with every
outside host unresolvable, reads the layers and feature counts from Leaflet in the page, compares them with the
API's answers, and keeps a screenshot of each page under .run/artifacts/maps/ (git-ignored)."""

from __future__ import annotations

import html
import json
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine, text

from tests.test_coverage import add
from tests.test_facilities import editor

PROJECT = Path(__file__).resolve().parent.parent
ARTIFACTS = PROJECT / ".run" / "artifacts" / "maps"
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
    # the network is off for the page: every host but the test server fails to resolve
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
    "--virtual-time-budget=10000",
    "--window-size=1280,900",
]


def chromium_binary() -> str:
    """Debian's Chromium; its absence fails the test (scripts/setup.sh installs it)."""
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        pytest.fail("Chromium is not installed (apt-get install chromium fonts-wqy-microhei; scripts/setup.sh does it)")
    return found


def chromium(url: str, *args: str) -> str:
    """Run headless Chromium on ``url`` with a fresh profile; its standard output."""
    with tempfile.TemporaryDirectory() as profile:
        done = subprocess.run(
            [chromium_binary(), *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *args, url],
            capture_output=True,
            text=True,
            timeout=120,
        )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


@pytest.fixture
def browse() -> Iterator[Any]:
    """Load a map page: screenshot kept as an artifact, then the layer summary Leaflet wrote into the page."""
    chromium_binary()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)

    def run(url: str, screenshot: str) -> dict[str, Any]:
        shot = ARTIFACTS / screenshot
        shot.unlink(missing_ok=True)
        chromium(url, f"--screenshot={shot}")
        assert shot.is_file() and shot.stat().st_size > 20_000, f"{shot} is missing or looks blank"
        found = re.search(r'data-layer-counts="([^"]*)"', chromium(url, "--dump-dom"))
        assert found, "the page never reported its layers: Leaflet did not run (an asset from outside?)"
        summary: dict[str, Any] = json.loads(html.unescape(found.group(1)))
        assert summary["leaflet"], "Leaflet is not loaded in the page"
        return summary

    yield run


def counts(summary: dict[str, Any]) -> dict[str, int]:
    return {label: layer["features"] for label, layer in summary["overlays"].items()}


def unit_points(engine: Engine, level: str | None) -> int:
    with engine.connect() as conn:
        if level is None:  # everything the places map shows: points of Ordos units and unmatched points
            sql = "SELECT count(*) FROM reference_point WHERE unit_code IS NULL OR unit_code LIKE '1506%'"
            return int(conn.execute(text(sql)).scalar_one())
        return int(
            conn.execute(
                text("SELECT count(*) FROM reference_point WHERE unit_level = :l AND unit_code LIKE '1506%'"),
                {"l": level},
            ).scalar_one()
        )


def test_index_page_in_the_browser(api: httpx.Client) -> None:
    links = re.findall(r'href="(/maps/[a-z]+)"', chromium(f"{api.base_url}/maps/", "--dump-dom"))
    assert links == ["/maps/boundaries", "/maps/places", "/maps/coverage"]


def test_boundaries_map_matches_the_api(api: httpx.Client, ordos_engine: Engine, browse: Any) -> None:
    summary = browse(f"{api.base_url}/maps/boundaries", "boundaries.png")
    layers = counts(summary)
    banners = api.get("/api/v1/units/150600/children").json()
    with_polygon = [b for b in banners if api.get(f"/api/v1/units/{b['code']}").json()["polygon"] is not None]
    assert layers["旗区 Banners (registered polygons)"] == len(with_polygon) == 9
    assert layers["旗区名称 Banner labels"] == len(with_polygon)
    assert layers["市界 City outline (registered)"] == 1
    assert layers["乡镇级单位 Township-level units (points)"] == unit_points(ordos_engine, "township") > 0
    assert layers["村级单位 Village-level units (points)"] == unit_points(ordos_engine, "village") > 0
    assert summary["overlays"]["村级单位 Village-level units (points)"]["shown"] is False
    assert summary["overlays"]["旗区 Banners (registered polygons)"]["shown"] is True


def test_places_map_clusters_every_point(api: httpx.Client, ordos_engine: Engine, browse: Any) -> None:
    layers = counts(browse(f"{api.base_url}/maps/places", "places.png"))
    assert sum(layers.values()) == unit_points(ordos_engine, None) > 0
    assert layers["村级地名 Village-level places"] == unit_points(ordos_engine, "village")


def test_coverage_map_matches_the_coverage_api(api: httpx.Client, ordos_engine: Engine, browse: Any) -> None:
    headers = editor(ordos_engine)
    with ordos_engine.connect() as conn:
        communities = conn.execute(
            text(
                "SELECT ST_X(r.geom) AS lon, ST_Y(r.geom) AS lat FROM reference_point r JOIN admin_unit a"
                " ON a.code = r.unit_code WHERE a.kind = '社区' ORDER BY r.id LIMIT 3"
            )
        ).all()
    for number, spot in enumerate(communities):
        add(
            api,
            headers,
            name=f"示例服务站{number}(fixture)",
            kind="community_eldercare_site",
            lon=spot.lon,
            lat=spot.lat,
        )
    add(
        api,
        headers,
        name="示例公墓(fixture)",
        kind="cemetery",
        cemetery_type="public_welfare",
        lon=109.98,
        lat=39.81,
        unit_code="150602001",
    )
    add(api, headers, name="示例养老院(fixture)", kind="eldercare_institution", beds=90, lon=109.98, lat=39.81)
    # a name that would break out of a JavaScript template literal: the page must still work
    add(
        api,
        headers,
        name="恶意`${document.body.remove()}`</script>(fixture)",
        kind="funeral_home",
        lon=109.98,
        lat=39.81,
    )
    layers = counts(browse(f"{api.base_url}/maps/coverage", "coverage.png"))
    sites = api.get("/api/v1/facilities?kind=community_eldercare_site&status=operating").json()
    everything = api.get("/api/v1/facilities").json()
    circle = api.get("/api/v1/coverage/eldercare?level=county").json()
    covered = sum(a["covered"] for a in circle["areas"])
    located = sum(a["located"] for a in circle["areas"])
    assert layers["社区养老服务设施及1000 m 圈 Community eldercare sites and circles"] == 2 * len(sites) == 6
    assert layers["已覆盖社区/村 Covered communities and villages"] == covered > 0
    assert layers["未覆盖社区/村 Uncovered communities and villages"] == len(circle["uncovered"]) == located - covered
    assert layers["其他设施 Other facilities (cemeteries, funeral homes, institutions)"] == len(everything) - len(sites)
    banners = len(api.get("/api/v1/coverage/beds").json()["banners"])
    assert layers["社区一刻钟覆盖率(旗区) Community share in the circle, per banner"] == banners
    assert layers["每千老人床位(旗区) Beds per 1,000 aged 60+, per banner"] == banners
    assert layers["乡镇公益性公墓覆盖率(旗区) Share of townships with a public-welfare cemetery, per banner"] == banners
    burial = api.get("/api/v1/coverage/burial").json()
    without = {t["code"] for t in burial["townships"] if not t["has_public_welfare_cemetery"]}
    with ordos_engine.connect() as conn:
        located_towns = {
            r[0]
            for r in conn.execute(text("SELECT DISTINCT unit_code FROM reference_point WHERE unit_level = 'township'"))
        }
    assert layers["无公益性公墓的乡镇(点) Townships without a public-welfare cemetery"] == len(without & located_towns)
