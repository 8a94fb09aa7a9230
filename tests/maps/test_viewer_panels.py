"""The viewer's panels in headless Chromium (tests/cdp.py, every outside host unresolvable): stored checks and
comparisons picked from lists and drawn; screenshots at 1400×900 and 390×844 under .run/artifacts/maps/."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import shapely.geometry
from sqlalchemy import Engine

from tests.boundaries.test_boundary_disputes import vendor_comparison
from tests.cdp import wait_for
from tests.factories import role_key
from tests.maps.test_viewer_browser import Viewer, local, started

PANEL = "document.querySelector('.gaz-picks')"
DRAWN = "(gazViewer.picked && gazViewer.picked.layer ? gazViewer.picked.layer.getLayers().length : -1)"
ENUMS = ("outside_parent", "uncovered_parent", "first_only", "second_only", "between", "overlap", "sliver")


@pytest.fixture
def stored(api: httpx.Client, ordos_engine: Engine) -> dict[str, Any]:
    """A topology check of the banners (AMap 2020) and the AMap/DataV comparison, stored in this order."""
    editor = role_key(ordos_engine)
    check = api.post("/api/v1/boundaries/checks", headers=editor, json={"parent": "150600", "level": "county"})
    assert check.status_code == 201, check.text
    return {"check": check.json(), "comparison": vendor_comparison(api, editor)}


@pytest.fixture
def viewer(api: httpx.Client, stored: dict[str, Any]) -> Iterator[Viewer]:
    yield from started(api)


def open_panel(viewer: Viewer) -> list[str]:
    """Open the panel; the picks it lists (``check/3``, ``comparison/4``), in order."""
    viewer.click(".gaz-picks summary")
    wait_for(lambda: viewer.js("document.querySelectorAll('.gaz-lists h3').length") == 3, "the three lists")
    return list(viewer.js("[...document.querySelectorAll('.gaz-pick')].map((b) => b.dataset.pick)"))


def pick(viewer: Viewer, what: str) -> int:
    viewer.click(f".gaz-pick[data-pick='{what}']")
    return int(wait_for(lambda: viewer.js(DRAWN) + 1, f"{what} drawn")) - 1  # -1 until drawn


def test_a_comparison_picked_from_the_panel_is_drawn_listed_and_kept_in_the_url(
    api: httpx.Client, stored: dict[str, Any], viewer: Viewer
) -> None:
    comparison = stored["comparison"]
    pieces = api.get(f"/api/v1/boundaries/comparisons/{comparison['id']}/pieces.geojson").json()["features"]
    assert pieces
    viewer.size(1400, 900)
    viewer.open("/maps/")
    assert viewer.js(f"{PANEL}.open") is False  # folded until wanted: the lists are asked for on opening
    listed = open_panel(viewer)
    assert listed == [f"check/{stored['check']['id']}", f"comparison/{comparison['id']}"]
    entry = viewer.js(f"document.querySelector(\".gaz-pick[data-pick='comparison/{comparison['id']}']\").innerText")
    assert "已登记 registered / 阿里云 DataV 2021 行政区划面" in entry and f"争议块 {len(pieces)} pieces" in entry, (
        entry
    )
    assert pick(viewer, f"comparison/{comparison['id']}") == len(pieces)
    drawn = viewer.js("gazViewer.drawn.innerText")
    assert f"比对 comparison #{comparison['id']}: {len(pieces)} 个争议块 pieces" in drawn, drawn
    legend = viewer.js("document.querySelector('.map-legends .gaz-pick-legend').innerText")
    assert f"比对 comparison #{comparison['id']}" in legend and "争议块 disputed between units" in legend, legend
    assert viewer.js("document.querySelectorAll('.gaz-finding').length") == len(pieces)
    assert f"pick=comparison/{comparison['id']}" in viewer.js("location.hash")
    viewer.screenshot("viewer-comparison-1400x900.png")

    # the smallest piece: a click on its row zooms the map onto it and opens its popup, in words
    smallest = min(pieces, key=lambda p: p["properties"]["area_m2"])
    row = [p["id"] for p in pieces].index(smallest["id"])
    viewer.js(f"document.querySelectorAll('.gaz-finding')[{row}].click()")
    popup = wait_for(lambda: viewer.js("(document.querySelector('.leaflet-popup-content') || {}).innerText"), "popup")
    assert f"#{smallest['id']}" in popup and "面积 area" in popup and "归属 unit" in popup, popup
    assert not any(enum in popup for enum in ENUMS), popup
    inside = viewer.js(
        f"gazViewer.map.getBounds().contains(L.latLng({smallest['properties']['point'][1]},"
        f" {smallest['properties']['point'][0]}))"
    )
    assert inside and viewer.js("gazViewer.map.getZoom()") >= 12

    # the link reproduces the pick
    url = viewer.js("location.href")
    viewer.browser.open("about:blank")
    viewer.browser.open(url)
    wait_for(lambda: viewer.js("!!window.gazViewer"), "the viewer")
    assert wait_for(lambda: max(viewer.js(DRAWN), 0), "the pick restored") == len(pieces)
    local(viewer)


def test_a_check_picked_from_the_panel_shows_its_findings_in_words(
    api: httpx.Client, stored: dict[str, Any], viewer: Viewer
) -> None:
    check = stored["check"]
    findings = api.get(f"/api/v1/boundaries/checks/{check['id']}/findings.geojson").json()["features"]
    total = sum(k["count"] for k in check["summary"]["by_kind"].values())
    viewer.open("/maps/")
    open_panel(viewer)
    entry = viewer.js(f"document.querySelector(\".gaz-pick[data-pick='check/{check['id']}']\").innerText")
    assert "鄂尔多斯市" in entry and "县级 county" in entry and "已登记 registered" in entry, entry
    drawn = pick(viewer, f"check/{check['id']}")
    assert drawn == len(findings) == total or (drawn == 0 and total == 0)
    if findings:
        viewer.js("document.querySelector('.gaz-finding').click()")
        popup = wait_for(lambda: viewer.js("(document.querySelector('.leaflet-popup-content') || {}).innerText"), "")
        assert "类型 kind" in popup and not any(enum in popup for enum in ENUMS), popup
    viewer.click(".gaz-clear")
    assert viewer.js("gazViewer.picked") is None and "pick=" not in viewer.js("location.hash")
    local(viewer)


def test_the_panel_on_a_phone(stored: dict[str, Any], viewer: Viewer) -> None:
    viewer.size(390, 844, mobile=True)
    viewer.open("/maps/")
    open_panel(viewer)
    width = viewer.js(f"{PANEL}.getBoundingClientRect().right")
    assert width <= 390, width
    assert pick(viewer, f"comparison/{stored['comparison']['id']}") > 0
    assert viewer.js(f"{PANEL}.open") is False  # folded after the pick: the map shows what was drawn
    assert "比对 comparison #" in viewer.js("document.querySelector('.map-legends .gaz-pick-legend').innerText")
    viewer.screenshot("viewer-comparison-390x844.png")
    local(viewer)


KANGBASHI_LINE = "150602000000|150603000000"  # 东胜区 — 康巴什区
MARKERS = "界桩 Boundary markers (最近巡查 last inspection)"
HAZARDS = "边界风险 Boundary hazards (按分值 by score)"


@pytest.fixture
def inspected(api: httpx.Client, ordos_engine: Engine) -> dict[str, Any]:
    """The banners' lines derived; three fixture markers on the 东胜区—康巴什区 line (made up, not real data), the
    last inspection finding HZ-1 missing, HZ-2 displaced 22 m and HZ-3 intact in place."""
    editor, inspector = role_key(ordos_engine), role_key(ordos_engine, "inspector")
    derived = api.post("/api/v1/boundaries/lines/derive", headers=editor, json={"parent": "150600", "level": "county"})
    assert derived.status_code == 201, derived.text
    (line,) = [x for x in api.get("/api/v1/boundaries/lines").json() if x["line_key"] == KANGBASHI_LINE]
    middle = shapely.geometry.shape(line["geometry"]).interpolate(0.5, normalized=True)
    lon, lat = round(middle.x, 6), round(middle.y, 6)
    rows = [f"HZ-{n},150602,150603,paired,{lon + n * 0.001},{lat},EPSG:4490,fixture" for n in (1, 2, 3)]
    csv = "\n".join(["number,unit_a,unit_b,type,x,y,crs,description", *rows])
    imported = api.post("/api/v1/boundaries/markers/import", headers=editor, params={"name": "v.csv"}, content=csv)
    assert imported.status_code == 200, imported.text
    ids = {m["number"]: m for m in api.get("/api/v1/boundaries/markers", params={"line": line["id"]}).json()}
    campaign = api.post(
        "/api/v1/boundaries/inspections",
        headers=editor,
        json={
            "title": "联检 fixture",
            "line_ids": [line["id"]],
            "period_start": "2026-01-01",
            "period_end": "2026-06-30",
            "inspectors": ["甲", "乙"],
            "tolerance_m": 5,
        },
    ).json()
    for number, body in (
        ("HZ-1", {"status": "missing"}),
        ("HZ-2", {"status": "intact", "fix": {"x": ids["HZ-2"]["lon"], "y": ids["HZ-2"]["lat"] + 0.0002}}),
        ("HZ-3", {"status": "intact", "fix": {"x": ids["HZ-3"]["lon"], "y": ids["HZ-3"]["lat"]}}),
    ):
        if "fix" in body:
            body["fix"] |= {"crs": "EPSG:4490"}  # type: ignore[operator]
        sent = api.post(
            f"/api/v1/boundaries/inspections/{campaign['id']}/observations",
            headers=inspector,
            json={
                "submission_id": f"viewer-fixture-{number}",
                "observed_on": "2026-06-01",
                "marker_id": ids[number]["id"],
                **body,
            },
        )
        assert sent.status_code == 201, sent.text
    return {"line": line, "markers": ids}


@pytest.fixture
def lined_viewer(api: httpx.Client, inspected: dict[str, Any]) -> Iterator[Viewer]:
    yield from started(api)


def switch_on(viewer: Viewer, name: str) -> None:
    viewer.js(f"gazViewer.map.addLayer(gazViewer.overlays().find((l) => l.name === {name!r}).layer) && null")


def test_markers_highlighted_by_their_last_inspection_and_the_hazards_layer(
    api: httpx.Client, inspected: dict[str, Any], lined_viewer: Viewer
) -> None:
    viewer = lined_viewer
    viewer.size(1400, 900)
    viewer.open("/maps/")
    overlays = viewer.js("JSON.parse(document.body.dataset.layerCounts).overlays")
    assert overlays[MARKERS] == {"features": 3, "shown": False}
    switch_on(viewer, MARKERS)
    markers = viewer.js(
        f"gazViewer.overlays().find((l) => l.name === {MARKERS!r}).layer.getLayers()"
        ".map((m) => [m.getTooltip().getContent(), m.options.radius, m.options.color])"
    )
    assert sorted(markers) == [
        ["界桩 HZ-1 丢失 missing", 8, "#7b3294"],
        ["界桩 HZ-2 超限移位 displaced", 8, "#d7191c"],
        ["界桩 HZ-3 完好 intact", 4, "#1a9641"],
    ]
    legend = "[...document.querySelectorAll('.map-legend')].find((d) => d.innerText.includes('界桩 markers'))"
    assert viewer.js(f"{legend}.hidden") is False
    assert viewer.js(f"{legend}.querySelector('span').style.borderRadius") == "50%"  # round, as the markers

    hazards = api.get("/api/v1/boundaries/hazards", params={"format": "geojson", "unit": "150600"}).json()
    worst = hazards["features"][0]["properties"]
    assert worst["line_key"] == KANGBASHI_LINE and worst["score"] > 0
    switch_on(viewer, HAZARDS)
    drawn = wait_for(lambda: viewer.js("gazViewer.hazards.getLayers().length"), "the hazard sections", timeout=90)
    assert drawn == len(hazards["features"])
    viewer.js("gazViewer.zoomTo(gazViewer.hazards.getLayers()[0])")
    popup = viewer.js("document.querySelector('.leaflet-popup-content').innerText")
    assert f"{worst['score']:g} (第 1 名 rank)" in popup and "东胜区 — 康巴什区" in popup, popup
    assert all(reason in popup for reason in worst["reasons"]), popup
    assert "< 10" in viewer.js("document.querySelector('.map-legends').innerText")
    viewer.screenshot("viewer-hazards-1400x900.png")
    local(viewer)


def test_the_visible_layers_export_as_geojson(stored: dict[str, Any], viewer: Viewer, tmp_path: Path) -> None:
    """导出 GeoJSON downloads what is on the map: the overlays shown (features named by their layer, text
    unescaped, no popup HTML) and the picked comparison; the file is what a user would save."""
    viewer.browser.call("Browser.setDownloadBehavior", behavior="allow", downloadPath=str(tmp_path))
    viewer.open("/maps/")
    open_panel(viewer)
    pieces = pick(viewer, f"comparison/{stored['comparison']['id']}")
    overlays = viewer.js("JSON.parse(document.body.dataset.layerCounts).overlays")
    shown = sum(o["features"] for o in overlays.values() if o["shown"])
    tiled = "gazViewer.tiled.filter((t) => t.layer._map)"
    wait_for(lambda: viewer.js(f"{tiled}.every((t) => !t.layer.isLoading())"), "the vector tiles drawn")
    shown += viewer.js(f"{tiled}.reduce((n, t) => n + t.layer.drawn().length, 0)")  # the points drawn in view
    viewer.click(".gaz-box button[title^='导出']")
    saved = wait_for(lambda: [p for p in tmp_path.glob("*.geojson") if p.stat().st_size], "the download")
    (path,) = saved
    assert path.name.startswith("ordos-map-")
    exported = json.loads(path.read_text(encoding="utf-8"))
    assert exported["type"] == "FeatureCollection" and exported["display_crs"] == "EPSG:4326"
    assert len(exported["features"]) == shown + pieces
    by_layer: dict[str, int] = {}
    for feature in exported["features"]:
        by_layer[feature["properties"]["layer"]] = by_layer.get(feature["properties"]["layer"], 0) + 1
    assert by_layer[f"比对 comparison #{stored['comparison']['id']}"] == pieces
    assert by_layer["旗区名称 Banner labels"] == overlays["旗区名称 Banner labels"]["features"]
    names = {f["properties"].get("name") for f in exported["features"]}
    assert "康巴什区" in names and "鄂尔多斯市" in names  # a label and the city outline, as text
    assert not any("popup" in f["properties"] or "&" in json.dumps(f["properties"]) for f in exported["features"])
    local(viewer)


def test_a_kept_page_is_built_again_once_the_data_change(api: httpx.Client, ordos_engine: Engine) -> None:
    """The viewer page is kept per data version: the same page while nothing changes, a new one (with the new
    dispute case's layer) after a write."""
    case_layer = "Dispute cases"  # the ASCII part of the layer name (the page writes the rest as \u escapes)
    first = page(api)
    assert page(api) == first and case_layer not in first
    ground = {"type": "Polygon", "coordinates": [[[109.97, 39.8], [109.99, 39.8], [109.99, 39.82], [109.97, 39.8]]]}
    case: dict[str, Any] = {"title": "缓存 fixture", "units": ["150602", "150603"], "opened_on": "2026-01-05"}
    case |= {"geometry": ground, "crs": "EPSG:4490"}
    opened = api.post("/api/v1/boundaries/disputes", headers=role_key(ordos_engine), json=case)
    assert opened.status_code == 201, opened.text
    assert case_layer in page(api)


def page(api: httpx.Client) -> str:
    """The viewer page without its per-response nonce."""
    return re.sub(r'nonce="[0-9a-f]+"', "", api.get("/maps/").text)


@pytest.fixture
def case_viewer(api: httpx.Client) -> Iterator[Viewer]:
    yield from started(api)


def test_an_open_dispute_case_picked_from_the_panel(
    api: httpx.Client, ordos_engine: Engine, case_viewer: Viewer
) -> None:
    viewer = case_viewer
    ground = {"type": "Polygon", "coordinates": [[[109.97, 39.8], [109.99, 39.8], [109.99, 39.82], [109.97, 39.8]]]}
    case: dict[str, Any] = {"title": "示例争议 fixture", "units": ["150602", "150603"], "opened_on": "2026-01-05"}
    case |= {"geometry": ground, "crs": "EPSG:4490", "documents": [{"title": "村民来信", "reference": "信访12号"}]}
    opened = api.post("/api/v1/boundaries/disputes", headers=role_key(ordos_engine), json=case)
    assert opened.status_code == 201, opened.text
    number = opened.json()["id"]
    viewer.open("/maps/")
    assert f"case/{number}" in open_panel(viewer)
    entry = viewer.js(f"document.querySelector(\".gaz-pick[data-pick='case/{number}']\").innerText")
    assert "示例争议 fixture" in entry and "东胜区、康巴什区" in entry and "1 份文件 documents" in entry, entry
    assert pick(viewer, f"case/{number}") == 1
    viewer.js("document.querySelector('.gaz-finding').click()")
    popup = wait_for(lambda: viewer.js("(document.querySelector('.leaflet-popup-content') || {}).innerText"), "popup")
    for expected in (
        "示例争议 fixture",
        "争议案件 dispute case: 未结 open",
        "东胜区 150602000000",
        "村民来信 信访12号",
    ):
        assert expected in popup, (expected, popup)
    assert f"pick=case/{number}" in viewer.js("location.hash")
    local(viewer)
