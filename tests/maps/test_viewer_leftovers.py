"""Issue 13 leftovers: on a phone (390×844) a feature popup stays on the screen (headless Chromium, screenshot under
.run/artifacts/maps/); the visible layers exported as CSV from the viewer (downloaded in Chromium) and by HTTP."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import pytest
import shapely
import shapely.geometry

from core.crs import wgs84_to_gcj02
from maps.export import COORDINATE_COLUMNS
from tests.cdp import wait_for
from tests.maps.test_viewer_browser import Viewer, local, started
from tests.maps.test_viewer_panels import open_panel, pick, stored  # noqa: F401  (fixture)

POPUP_BOX = (
    "(() => { const p = document.querySelector('.leaflet-popup');"
    " if (!p) { return null; } const r = p.getBoundingClientRect(); return [r.left, r.right, r.top, r.bottom]; })()"
)


@pytest.fixture
def viewer(api: httpx.Client, stored: dict[str, Any]) -> Iterator[Viewer]:  # noqa: F811
    yield from started(api)


def test_a_feature_popup_stays_on_a_phone_screen(stored: dict[str, Any], viewer: Viewer) -> None:  # noqa: F811
    """A comparison piece's popup (Leaflet maxWidth 340 px of content, 387 px with its margins) opened from the
    list of what was drawn lies within the 390 px screen, below the search box and the panel's heading."""
    viewer.size(390, 844, mobile=True)
    viewer.open("/maps/")
    open_panel(viewer)
    assert pick(viewer, f"comparison/{stored['comparison']['id']}") > 0
    viewer.js("document.querySelector('.gaz-picks').open = true")
    viewer.js("document.querySelectorAll('.gaz-finding')[0].click()")
    wait_for(lambda: viewer.js(POPUP_BOX), "the popup")
    viewer.js("new Promise((done) => setTimeout(done, 800))")
    box = viewer.js(POPUP_BOX)
    viewer.js("document.querySelector('.gaz-picks').open = false")
    viewer.screenshot("viewer-popup-390x844.png")
    assert box[0] >= 0 and box[1] <= 390 and box[2] >= 0 and box[3] <= 844, box
    under = "['.gaz-box', '.gaz-picks > summary'].map((s) => document.querySelector(s).getBoundingClientRect().bottom)"
    assert box[2] >= max(viewer.js(under)), box  # below the search box and the panel's heading
    local(viewer)


@pytest.fixture
def plain_viewer(ordos_api: httpx.Client) -> Iterator[Viewer]:
    yield from started(ordos_api)


def read_csv(data: bytes) -> list[dict[str, str]]:
    assert data.startswith(b"\xef\xbb\xbf")  # UTF-8 with BOM: Excel reads the Chinese as UTF-8
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def settled(viewer: Viewer) -> dict[str, Any]:
    """What the map shows once the layers put on after the view is set are drawn (the same count twice, 1 s apart)."""
    count = "gazViewer.visibleGeoJSON().features.length"
    last = [-1]

    def same() -> bool:
        now = viewer.js(f"new Promise((done) => setTimeout(() => done({count}), 1000))")
        stable, last[0] = now == last[0], now
        return stable

    wait_for(same, "the layers drawn")
    return dict(viewer.js("gazViewer.visibleGeoJSON()"))


def test_the_visible_layers_export_as_csv(plain_viewer: Viewer, tmp_path: Path) -> None:
    """导出 CSV saves what 导出 GeoJSON saves, as a table: one row per feature, the same properties as columns,
    the position as lon/lat in CGCS2000 (a point's own; a point on a line or polygon)."""
    viewer = plain_viewer
    viewer.browser.call("Browser.setDownloadBehavior", behavior="allow", downloadPath=str(tmp_path))
    viewer.open("/maps/")
    villages = "32 村（村委会、嘎查）"  # the village place names, one of the inline (clustered) overlays
    viewer.js(f"gazViewer.map.addLayer(gazViewer.overlays().find((l) => l.name === {villages!r}).layer) && null")
    drawn = settled(viewer)
    viewer.click(".gaz-box button[title^='导出为表格']")
    (path,) = wait_for(lambda: [p for p in tmp_path.glob("*.csv") if p.stat().st_size], "the download")
    assert path.name == f"ordos-map-{date.today().isoformat()}.csv"
    rows = read_csv(path.read_bytes())
    assert len(rows) == len(drawn["features"]) > 100
    keys = list(dict.fromkeys(k for f in drawn["features"] for k in f["properties"]))
    assert list(rows[0]) == [*keys, *COORDINATE_COLUMNS]
    lon, lat = COORDINATE_COLUMNS[1:]
    for feature, row in zip(drawn["features"], rows, strict=True):
        assert all(row[k] == str(v) for k, v in feature["properties"].items() if isinstance(v, str)), row
        if feature["geometry"]["type"] == "Point":
            assert [float(row[lon]), float(row[lat])] == pytest.approx(feature["geometry"]["coordinates"], abs=1e-6)
        else:  # a point on the line or polygon
            shape = shapely.geometry.shape(feature["geometry"])
            assert shape.buffer(1e-5).contains(shapely.Point(float(row[lon]), float(row[lat])))
    village_rows = [r for r in rows if r["layer"] == villages]
    assert len(village_rows) == sum(f["properties"]["layer"] == villages for f in drawn["features"]) > 50
    local(viewer)


def test_the_csv_undoes_the_amap_shift(plain_viewer: Viewer, ordos_api: httpx.Client) -> None:
    """Drawn on AMap (GCJ-02), the rows carry the same CGCS2000 positions as drawn without a basemap."""
    plain_viewer.open("/maps/")
    drawn = plain_viewer.js("gazViewer.visibleGeoJSON()")
    points = [f for f in drawn["features"] if f["geometry"]["type"] == "Point"][:50]
    shifted = []
    for f in points:
        x, y = wgs84_to_gcj02(*f["geometry"]["coordinates"])
        shifted.append({**f, "geometry": {"type": "Point", "coordinates": [float(x), float(y)]}})
    plain = ordos_api.post("/maps/export.csv", json={**drawn, "features": points})
    amap = ordos_api.post("/maps/export.csv", json={**drawn, "display_crs": "GCJ-02", "features": shifted})
    assert plain.status_code == amap.status_code == 200, amap.text
    assert amap.headers["content-type"] == "text/csv; charset=utf-8"
    assert amap.headers["content-disposition"].startswith('attachment; filename="ordos-map-')
    lon, lat = COORDINATE_COLUMNS[1:]
    for before, after in zip(read_csv(plain.content), read_csv(amap.content), strict=True):
        assert float(after[lon]) == pytest.approx(float(before[lon]), abs=2e-6)
        assert float(after[lat]) == pytest.approx(float(before[lat]), abs=2e-6)


POINT = {"type": "Feature", "geometry": {"type": "Point", "coordinates": [109.78, 39.61]}, "properties": {}}


@pytest.mark.parametrize(
    ("body", "needle"),
    [
        ({"type": "Feature", "features": []}, "type"),
        ({"type": "FeatureCollection", "display_crs": "BD-09", "features": []}, "display_crs"),
        (
            {
                "type": "FeatureCollection",
                "features": [{**POINT, "geometry": {"type": "Point", "coordinates": ["1", 2]}}],
            },
            "coordinates",
        ),
        (
            {"type": "FeatureCollection", "features": [{**POINT, "geometry": {"type": "Point", "coordinates": [1]}}]},
            "coordinates",
        ),
        (
            {
                "type": "FeatureCollection",
                "features": [{**POINT, "geometry": {"type": "Point", "coordinates": [190, 39]}}],
            },
            "out of range",
        ),
        (
            {
                "type": "FeatureCollection",
                "features": [{**POINT, "geometry": {"type": "Circle", "coordinates": [1, 2]}}],
            },
            "geometry",
        ),
        (  # read by core.geojson: the bad feature named by its place, an open ring refused (RFC 7946 3.1.6)
            {
                "type": "FeatureCollection",
                "features": [
                    POINT,
                    {**POINT, "geometry": {"type": "Polygon", "coordinates": [[[109, 39], [110, 39], [110, 40]] * 2]}},
                ],
            },
            "feature 1: polygon ring is not closed",
        ),
        (
            {
                "type": "FeatureCollection",
                "features": [{**POINT, "geometry": {"type": "LineString", "coordinates": []}}],
            },
            "feature 0: a line needs at least 2 positions",
        ),
        ({"type": "FeatureCollection", "features": [{**POINT, "geometry": [109, 39]}]}, "geometry"),
        ({"type": "FeatureCollection", "features": [{**POINT, "properties": {"a": {"nested": 1}}}]}, "properties"),
        (
            {"type": "FeatureCollection", "features": [{**POINT, "properties": {str(n): n for n in range(101)}}]},
            "properties",
        ),
        ({"type": "FeatureCollection", "as_of": "2024-13-01", "features": []}, "as_of"),
        ({"type": "FeatureCollection", "as_of": 0, "features": []}, "as_of"),  # a Unix time is no date
    ],
)
def test_bad_exports_are_refused(ordos_api: httpx.Client, body: dict[str, Any], needle: str) -> None:
    response = ordos_api.post("/maps/export.csv", json=body)
    assert response.status_code == 422, response.text
    assert needle in response.text, response.text


def test_a_non_finite_coordinate_is_refused(ordos_api: httpx.Client) -> None:
    body = '{"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {},'
    body += ' "geometry": {"type": "Point", "coordinates": [NaN, 39]}}]}'
    response = ordos_api.post("/maps/export.csv", content=body, headers={"Content-Type": "application/json"})
    assert response.status_code == 422, response.text
