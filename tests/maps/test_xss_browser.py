"""Stored XSS and the security headers. Script payloads are planted through the API in every user-editable name
that reaches a page — a draft polygon's source, a prohibited-zone layer and feature name, facility and place
names, a claim's label (a comparison), a campaign's title and inspectors, a marker's number, an observation's
notes, a dispute's title — then every HTML page showing them is loaded in headless Chromium (tests/cdp.py), every
popup and tooltip the map pages bound is opened, and: no payload runs (``window.__xss`` stays undefined), each
shows as the text typed, and no page breaks its own Content-Security-Policy. On each page a payload is then
injected by hand into the live DOM, as if escaping had failed: the browser refuses to run it (the policy).
Every HTML page, and every other response, carries the security headers."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from fnmatch import fnmatch
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

import httpx
import pytest
import shapely
from shapely.geometry import mapping, shape
from sqlalchemy import Engine, text

from app.main import create_app
from boundaries.lines import service as lines
from core.database import transaction
from core.security_headers import NONCE_PLACEHOLDER
from core.settings import MapSettings
from maps.builders import TILE_ORIGINS
from tests.cdp import Browser, wait_for
from tests.conftest import LiveServer, server_config
from tests.facilities.test_coverage import ROAD, add
from tests.factories import role_key

# An element with an inline handler and a script element: either would set window.__xss if it reached the DOM.
XSS = '<img src=x onerror="window.__xss=1"><script>window.__xss=2</script>'
SHORT_XSS = '<img src=x onerror="window.__xss=5">'  # where at most 50 characters are taken (a marker's number)
SPOT = (109.98, 39.81)  # in 东胜区 (150602), away from its edges

# Installed in every page before its own scripts (CDP scripts are not subject to the page's policy).
RECORD_VIOLATIONS = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", (e) =>
  window.__violations.push(`${e.effectiveDirective} ${e.blockedURI} ${e.sample}`));
"""
# Opens every popup and tooltip bound in a map page (each overlay's leaves, with the popup or tooltip bound on
# the leaf or on a group above it) through Leaflet, which writes their content with innerHTML; returns the text
# shown, with the layer switcher's and the panels' text.
OPEN_EVERYTHING = """
(() => {
  const find = (re) => Object.keys(window).filter((k) => re.test(k)).map((k) => window[k]);
  const map = find(/^map_[0-9a-f]+$/)[0];
  const overlays = find(/^layer_control_[0-9a-f]+_layers$/)[0].overlays;
  const shown = [];
  const show = (overlay, content, layer) => {
    const made = overlay.setLatLng(map.getCenter())
      .setContent(typeof content === "function" ? content(layer) : content).openOn(map);
    shown.push(made.getElement().textContent);
    map.removeLayer(made);
  };
  const walk = (layer, popup, tooltip) => {
    popup = (layer.getPopup && layer.getPopup()) || popup;
    tooltip = (layer.getTooltip && layer.getTooltip()) || tooltip;
    if (typeof layer.getLayers === "function") {
      layer.getLayers().forEach((child) => walk(child, popup, tooltip));
      return;
    }
    if (popup) show(L.popup(), popup.getContent(), layer);
    if (tooltip) show(L.tooltip(), tooltip.getContent(), layer);
  };
  Object.values(overlays).forEach((overlay) => walk(overlay, null, null));
  shown.push(document.querySelector(".leaflet-control-layers").textContent);
  document.querySelectorAll(".map-panel, .map-legend").forEach((e) => shown.push(e.textContent));
  return shown.length + " " + shown.join("\\n");
})()
"""
# What an attacker would run if escaping failed somewhere: an element with an inline handler, and a script
# element without the response's nonce. The policy must stop both.
INJECT = """
(() => {
  document.body.insertAdjacentHTML("beforeend", '<img src="/x" onerror="window.__xss=3">');
  const script = document.createElement("script");
  script.textContent = "window.__xss = 4";
  document.body.append(script);
})()
"""


@pytest.fixture
def browser() -> Iterator[Browser]:
    chrome = Browser()
    try:
        chrome.page("Page.enable")
        chrome.page("Page.addScriptToEvaluateOnNewDocument", source=RECORD_VIOLATIONS)
        yield chrome
    finally:
        chrome.close()


def created(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code in (200, 201), response.text
    answer: dict[str, Any] = response.json()
    return answer


def hostile_marked_line(engine: Engine, tmp_path: Path) -> tuple[int, list[dict[str, Any]]]:
    """The 东胜区–康巴什区 line with one marker numbered with the short payload (imported from a CSV)."""
    with transaction(engine) as conn:
        lines.derive_lines(conn, parent="150600", level="county", actor="test")
        (line,) = [
            li for li in lines.list_lines(conn, unit="150603") if li["units"] == ["150602000000", "150603000000"]
        ]
        spot = max(shapely.get_parts(shape(line["geometry"])), key=lambda g: g.length).interpolate(0.5, normalized=True)
        path = tmp_path / "markers.csv"
        number = '"' + SHORT_XSS.replace('"', '""') + '"'
        path.write_text(
            "number,unit_a,unit_b,type,x,y,crs,description\n"
            f"{number},150602,150603,single,{spot.x:.9f},{spot.y:.9f},EPSG:4490,\n",
            encoding="utf-8",
        )
        lines.import_markers(conn, path, actor="test")
        return line["id"], lines.list_markers(conn, line_id=line["id"])


def plant(api: httpx.Client, engine: Engine, tmp_path: Path) -> dict[str, str]:
    """The payload written through the API (and one marker import) wherever a name can reach a page; the pages
    that show them, by their route."""
    editor, approver, inspector = (
        role_key(engine, "editor"),
        role_key(engine, "approver"),
        role_key(engine, "inspector"),
    )
    square = mapping(shapely.box(SPOT[0] - 0.01, SPOT[1] - 0.01, SPOT[0] + 0.01, SPOT[1] + 0.01))
    polygon = {"geometry": square, "crs": "EPSG:4490", "source": XSS, "status": "draft", "valid_from": "2026-01-01"}
    created(api.post("/api/v1/units/150602/polygons", headers=editor, json=polygon))
    point = {"lon": SPOT[0], "lat": SPOT[1], "crs": "EPSG:4490"}
    proposal = {"name": "测试地", "category": "6", "unit": "150602", "point": point, "meaning": XSS, "origin": XSS}
    place = created(api.post("/api/v1/places", headers=editor, json=proposal))
    decision = {"version": 1, "approving_body": XSS, "document_number": XSS}
    created(api.post(f"/api/v1/places/{place['id']}/approve", headers=approver, json=decision))
    with transaction(engine) as conn:  # names must be readable (romanized): no API takes '<'; older data might
        conn.execute(text("UPDATE place_name SET name = :name WHERE id = :id"), {"name": XSS, "id": place["id"]})
    facility = add(api, editor, name=XSS, kind="cemetery", cemetery_type="public_welfare", lon=109.8, lat=39.601)
    add(api, editor, name=XSS, kind="community_eldercare_site", lon=SPOT[0], lat=SPOT[1])
    add(api, editor, name=XSS, kind="grave", lon=109.8, lat=39.6015)
    road = json.loads(json.dumps(ROAD))
    road["features"][0]["properties"]["name"] = XSS
    layer: dict[str, str | int] = {"layer": XSS, "layer_kind": "river", "buffer_m": 500, "crs": "EPSG:4490"}
    created(api.post("/api/v1/prohibited-layers/import", params=layer, content=json.dumps(road), headers=editor))
    kangbashi = shape(api.get("/api/v1/units/150603", params={"crs": "EPSG:4490"}).json()["polygon"]["geometry"])
    claim = mapping(shapely.union_all([kangbashi, shape(square)]))
    body = {"unit": "150603", "claim": claim, "crs": "EPSG:4490", "label": XSS}
    comparison = created(api.post("/api/v1/boundaries/compare", headers=inspector, json=body))
    check = created(
        api.post("/api/v1/boundaries/checks", headers=inspector, json={"parent": "150600", "level": "county"})
    )
    dispute = {"title": XSS, "units": ["150602", "150603"], "opened_on": "2026-01-05", "note": XSS}
    created(api.post("/api/v1/boundaries/disputes", headers=editor, json=dispute))  # shown on no page (JSON only)
    line_id, (marker,) = hostile_marked_line(engine, tmp_path)
    period = {"period_start": "2026-01-01", "period_end": "2026-12-31"}
    campaign_body = {"title": XSS, "line_ids": [line_id], "inspectors": [XSS], "tolerance_m": 5.0, **period}
    campaign = created(api.post("/api/v1/boundaries/inspections", headers=editor, json=campaign_body))
    observation = {"submission_id": "xss-test-0001", "observed_on": "2026-05-12", "marker_id": marker["id"]}
    observation |= {"status": "intact", "notes": XSS}
    created(
        api.post(f"/api/v1/boundaries/inspections/{campaign['id']}/observations", headers=inspector, json=observation)
    )
    by_name = "name=" + quote(XSS)
    inspection = f"/api/v1/boundaries/inspections/{campaign['id']}"
    return {
        "/maps/": "/maps/",
        "/maps/boundaries": f"/maps/boundaries?check={check['id']}&comparison={comparison['id']}",
        "/maps/places": "/maps/places",
        "/maps/places/{place_name_id}": f"/maps/places/{place['id']}",
        "/maps/coverage": "/maps/coverage",
        "/ogc": "/ogc?f=html",
        "/ogc/conformance": "/ogc/conformance?f=html",
        "/ogc/collections": "/ogc/collections?f=html",
        "/ogc/collections/{collection_id}": "/ogc/collections/facilities?f=html",
        "/ogc/collections/{collection_id}/items": f"/ogc/collections/place-names/items?f=html&{by_name}",
        "/ogc/collections/{collection_id}/items/{feature_id}": f"/ogc/collections/facilities/items/{facility['id']}"
        "?f=html",
        "/api/v1/gazetteer-book/{banner_code}": "/api/v1/gazetteer-book/150602",
        "/field/inspections/{campaign_id}": f"/field/inspections/{campaign['id']}",
        "/api/v1/boundaries/inspections/{campaign_id}/report": f"{inspection}/report",
        "/api/v1/reports/facilities": "/api/v1/reports/facilities?format=html",
    }


def html_routes() -> set[str]:
    """Every route of the app that can answer HTML, from its OpenAPI document: text/html declared, or an ``f``
    parameter (the OGC pages' f=html)."""
    found = set()
    for path, operations in create_app().openapi()["paths"].items():
        get = operations.get("get")
        if get is None:
            continue
        content = get.get("responses", {}).get("200", {}).get("content", {})
        if "text/html" in content or any(p["name"] == "f" for p in get.get("parameters", [])):
            found.add(path)
    return found


DOCS = ("/docs", "/redoc", "/docs/oauth2-redirect")
# Where a page shows a planted name inside other text (beyond the payload itself, which every other page shows).
SHOWN_AS = {
    "/maps/boundaries": [
        f"旗区边界 {XSS}（草稿 draft）",  # the draft polygon's source: its layer in the switcher
        f"registered / {XSS}:150603000000",  # the claim's label, in the panel
    ],
    "/maps/coverage": [f"{XSS} (river) {XSS}"],  # prohibited layer and feature: the popup of a grave inside
    "/field/inspections/{campaign_id}": [SHORT_XSS],  # the marker's number
    "/api/v1/boundaries/inspections/{campaign_id}/report": [SHORT_XSS],
}
# No stored name: the facility report shows figures and unit names only.
WITHOUT_PAYLOAD = ("/ogc", "/ogc/conformance", "/ogc/collections/{collection_id}", "/api/v1/reports/facilities")


def test_planted_payloads_never_run_and_show_as_text(
    api: httpx.Client, ordos_engine: Engine, tmp_path: Path, browser: Browser
) -> None:
    pages = plant(api, ordos_engine, tmp_path)
    for route, url in pages.items():
        browser.open(f"{api.base_url}{url}")
        if route.startswith("/maps/"):
            wait_for(lambda: browser.evaluate("document.body.dataset.layerCounts"), f"the layers of {url}")
            shown = browser.evaluate(OPEN_EVERYTHING)
        else:
            shown = browser.evaluate("document.body.innerText")
        browser.evaluate("new Promise((done) => setTimeout(done, 300))")  # images that fail call onerror by then
        assert browser.evaluate("typeof window.__xss") == "undefined", f"a payload ran on {url}"
        assert browser.evaluate("window.__violations") == [], url
        for expected in [] if route in WITHOUT_PAYLOAD else [XSS, *SHOWN_AS.get(route, [])]:
            assert expected in shown, f"{url} does not show {expected!r} as typed"
        browser.evaluate(INJECT)
        browser.evaluate("new Promise((done) => setTimeout(done, 300))")
        assert browser.evaluate("typeof window.__xss") == "undefined", f"the policy of {url} let an injection run"
        blocked = browser.evaluate("window.__violations")
        assert any(v.startswith("script-src-attr ") for v in blocked), (url, blocked)
        assert any(v.startswith("script-src-elem ") for v in blocked), (url, blocked)


def test_every_html_page_carries_the_security_headers(api: httpx.Client, ordos_engine: Engine, tmp_path: Path) -> None:
    pages = plant(api, ordos_engine, tmp_path)
    assert set(pages) == html_routes(), "a page that answers HTML is not tested here"
    nonces = set()
    for url in [*pages.values(), *DOCS]:
        response = api.get(url)
        assert response.status_code == 200, (url, response.text[:300])
        assert response.headers["content-type"].startswith("text/html"), url
        assert response.headers["x-content-type-options"] == "nosniff", url
        assert response.headers["x-frame-options"] == "DENY", url
        policy = dict(d.strip().split(" ", 1) for d in response.headers["content-security-policy"].split(";"))
        assert policy["default-src"] == "'none'" and policy["frame-ancestors"] == "'none'", url
        assert policy["script-src-attr"] == "'none'" and "unsafe" not in policy["script-src"], url
        (nonce,) = re.findall(r"'nonce-([0-9a-f]{32})'", policy["script-src"])
        nonces.add(nonce)
        assert NONCE_PLACEHOLDER not in response.text, url
        scripts = re.findall(r"<script\b([^>]*)>", response.text)
        inline = [attributes for attributes in scripts if "src=" not in attributes]
        assert all(f'nonce="{nonce}"' in a or "application/json" in a for a in inline), (url, inline)
        assert "https:" not in response.headers["content-security-policy"], url  # nothing from outside
    assert len(nonces) == len(pages) + len(DOCS), "a nonce was used twice"
    for url in ("/health", "/api/v1/places/search?q=x", "/maps/assets/leaflet/leaflet.js", "/api/v1/nowhere"):
        response = api.get(url)
        assert response.headers["x-content-type-options"] == "nosniff", url
        assert response.headers["x-frame-options"] == "DENY", url


@pytest.mark.parametrize("basemap", ["osm", "tianditu", "amap"])
def test_a_map_page_lets_in_only_its_basemap_tiles(
    ordos_api: httpx.Client, shared_ordos_engine: Engine, basemap: str
) -> None:
    url = shared_ordos_engine.url.render_as_string(hide_password=False)
    with LiveServer(url, server_config(url, maps=MapSettings(tianditu_key="test-key"))) as keyed:
        response = keyed.get("/maps/boundaries", params={"basemap": basemap})
    assert response.status_code == 200, response.text[:300]
    policy = dict(d.strip().split(" ", 1) for d in response.headers["content-security-policy"].split(";"))
    allowed = policy["img-src"].split()
    assert allowed == ["'self'", *TILE_ORIGINS[basemap]]
    tiles = {urlsplit(u.replace("{s}", "1")) for u in re.findall(r'L\.tileLayer\(\s*"([^"]+)"', response.text)}
    assert tiles and all(any(fnmatch(f"{t.scheme}://{t.netloc}", origin) for origin in allowed) for t in tiles)
    plain = ordos_api.get("/maps/boundaries").headers["content-security-policy"]
    assert "https:" not in plain  # no basemap, nothing from outside
