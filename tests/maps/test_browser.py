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

from core.database import transaction
from core.values import GeoPoint
from gazetteer.places import service as gazetteer
from gazetteer.places.names import CATEGORIES
from maps.labels import POLYGON_SOURCES
from maps.service import FINDING_STYLES, place_layer_name
from tests.facilities.test_coverage import ROAD, add
from tests.facilities.test_facilities import editor
from tests.facilities.test_graves import GRAVES, import_graves
from tests.maps.test_maps import located_standard_names, stored_check_and_comparison

PROJECT = Path(__file__).resolve().parents[2]
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
    with tempfile.TemporaryDirectory(ignore_cleanup_errors=True) as profile:  # helpers may outlive the browser
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


def unit_points(engine: Engine, level: str) -> int:
    with engine.connect() as conn:
        return int(
            conn.execute(
                text("SELECT count(*) FROM reference_point WHERE unit_level = :l AND unit_code LIKE '1506%'"),
                {"l": level},
            ).scalar_one()
        )


def test_index_page_in_the_browser(api: httpx.Client) -> None:
    links = re.findall(r'href="(/maps/[a-z]+)"', chromium(f"{api.base_url}/maps/", "--dump-dom"))
    assert links == ["/maps/boundaries", "/maps/places", "/maps/coverage"]


# Polygons named by source and registry status (the demo manifest loads AMap 2020 and the DataV outline as registered).
AMAP_LAYER = "旗区边界 高德 AMap 2020 行政区划面（已登记 registered）"
DATAV_LAYER = "旗区边界 阿里云 DataV 2021 行政区划面（参考 reference）"
OUTLINE_LAYER = "市界 City outline 阿里云 DataV 2021 行政区划面（已登记 registered）"


def test_boundaries_map_matches_the_api(api: httpx.Client, ordos_engine: Engine, browse: Any) -> None:
    summary = browse(f"{api.base_url}/maps/boundaries", "boundaries.png")
    layers = counts(summary)
    banners = api.get("/api/v1/units/150600/children").json()
    with_polygon = [b for b in banners if api.get(f"/api/v1/units/{b['code']}").json()["polygon"] is not None]
    assert layers[AMAP_LAYER] == len(with_polygon) == 9
    assert layers[AMAP_LAYER] == ogc_count(api, "polygons-amap-2020")
    assert layers[DATAV_LAYER] == ogc_count(api, "polygons-datav-2021", status="reference") == 9
    assert layers["旗区名称 Banner labels"] == len(with_polygon)
    assert layers[OUTLINE_LAYER] == 1
    assert layers["乡镇级单位 Township-level units (points)"] == unit_points(ordos_engine, "township") > 0
    assert layers["村级单位 Village-level units (points)"] == unit_points(ordos_engine, "village") > 0
    assert summary["overlays"]["村级单位 Village-level units (points)"]["shown"] is False
    assert summary["overlays"][AMAP_LAYER]["shown"] is True


def test_boundaries_map_shows_a_check_and_a_comparison(api: httpx.Client, ordos_engine: Engine, browse: Any) -> None:
    check, comparison = stored_check_and_comparison(api, ordos_engine)
    url = f"{api.base_url}/maps/boundaries?check={check['id']}&comparison={comparison['id']}"
    layers = counts(browse(url, "boundaries-check-comparison.png"))
    findings = api.get(f"/api/v1/boundaries/checks/{check['id']}/findings.geojson").json()["features"]
    drawn = {label: n for label, n in layers.items() if label.startswith(f"检查 #{check['id']} ")}
    expected = {}
    for kind, (_, label) in FINDING_STYLES.items():
        found = sum(1 for f in findings if f["properties"]["kind"] == kind)
        if found:
            expected[f"检查 #{check['id']} {label}"] = found
    assert drawn == expected and sum(drawn.values()) == len(findings) > 0
    pieces = api.get(f"/api/v1/boundaries/comparisons/{comparison['id']}", params={"limit": 10_000}).json()["pieces"]
    first, second = (POLYGON_SOURCES.get(comparison[side], comparison[side]) for side in ("first", "second"))
    prefix = f"比对 #{comparison['id']} "
    assert layers[f"{prefix}争议块 disputed between units"] == sum(
        1 for p in pieces if p["first_unit"] and p["second_unit"]
    )
    assert layers.get(f"{prefix}仅{first}有 only in {first}", 0) == sum(1 for p in pieces if not p["second_unit"])
    assert layers.get(f"{prefix}仅{second}有 only in {second}", 0) == sum(1 for p in pieces if not p["first_unit"])
    assert (
        sum(n for label, n in layers.items() if label.startswith(prefix)) == comparison["summary"]["disputed"]["count"]
    )


def ogc_count(api: httpx.Client, collection: str, **filters: str) -> int:
    """The number of features of an OGC API collection valid today (with property filters)."""
    response = api.get(f"/ogc/collections/{collection}/items", params={"limit": 1, **filters})
    assert response.status_code == 200, response.text
    return int(response.json()["numberMatched"])


def test_places_map_has_a_layer_per_category(api: httpx.Client, ordos_engine: Engine, browse: Any) -> None:
    with transaction(ordos_engine) as conn:  # a hand-made secret fixture record: drawn, generalised
        gazetteer.create_place(
            conn,
            name="保密测试点",
            category="6",
            unit="150602",
            point=GeoPoint.from_input(109.987654, 39.812345, "EPSG:4490"),
            secrecy="secret",
            actor="test",
        )
    layers = counts(browse(f"{api.base_url}/maps/places", "places.png"))
    expected = {place_layer_name(c, name): located_standard_names(api, c) for c, name in CATEGORIES.items()}
    expected = {label: n for label, n in expected.items() if n}  # one overlay per category present
    assert layers == expected
    assert sum(layers.values()) == located_standard_names(api) > 100
    assert layers[place_layer_name("6", CATEGORIES["6"])] == 1


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
    # the hand-made line as a river (a road would switch the eldercare circle to network distances)
    river: dict[str, Any] = {"layer": "示例河流(fixture)", "layer_kind": "river", "buffer_m": 500, "crs": "EPSG:4490"}
    assert api.post(
        "/api/v1/prohibited-layers/import", params=river, content=json.dumps(ROAD), headers=headers
    ).is_success
    assert import_graves(api, headers, GRAVES.read_bytes()).is_success
    add(api, headers, name="近路公墓(fixture)", kind="cemetery", cemetery_type="commercial", lon=109.78, lat=39.602)
    layers = counts(browse(f"{api.base_url}/maps/coverage", "coverage.png"))
    sites = api.get("/api/v1/facilities?kind=community_eldercare_site&status=operating").json()
    everything = api.get("/api/v1/facilities").json()
    graves = api.get("/api/v1/facilities?kind=grave").json()
    hits = api.get("/api/v1/coverage/prohibited-zones").json()["hits"]
    assert layers["散埋乱葬坟墓 Individual graves"] == len(graves) == 3
    zones = api.get("/api/v1/coverage/prohibited-zones").json()["layers"]
    assert layers["三沿七区缓冲区 Prohibited-zone buffers"] == sum(z["features"] for z in zones) == 1
    inside = layers["三沿七区内的公墓/坟墓 Cemeteries and graves inside prohibited zones"]
    assert inside == len({h["facility_id"] for h in hits}) == 3  # two graves and the cemetery by the river
    circle = api.get("/api/v1/coverage/eldercare?level=county").json()
    covered = sum(a["covered"] for a in circle["areas"])
    located = sum(a["located"] for a in circle["areas"])
    assert layers["社区养老服务设施及1000 m 圈 Community eldercare sites and circles"] == 2 * len(sites) == 6
    assert layers["已覆盖社区/村 Covered communities and villages"] == covered > 0
    assert layers["未覆盖社区/村 Uncovered communities and villages"] == len(circle["uncovered"]) == located - covered
    others = len(everything) - len(sites) - len(graves)
    assert layers["其他设施 Other facilities (cemeteries, funeral homes, institutions)"] == others
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
