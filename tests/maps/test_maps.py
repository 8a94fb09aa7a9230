"""The map viewer: pages served offline (no CDN reference), AMap pages shifted to GCJ-02, bad parameters refused."""

from __future__ import annotations

import html
import json
import re
from typing import Any

import httpx
import pytest
import shapely
import shapely.geometry
from sqlalchemy import Engine

from core.crs import wgs84_to_gcj02
from core.database import transaction
from core.settings import MapSettings
from core.values import GeoPoint
from gazetteer.places import service as gazetteer
from tests.conftest import LiveServer, server_config
from tests.facilities.test_coverage import add
from tests.facilities.test_facilities import editor
from tests.factories import role_key

PAGES = ("/maps/", "/maps/boundaries", "/maps/places", "/maps/coverage")
EXTERNAL = re.compile(r"""(?:src|href)\s*=\s*["'](?:https?:)?//""", re.IGNORECASE)


def test_viewer_links_every_map(ordos_api: httpx.Client) -> None:
    page = ordos_api.get("/maps/")
    assert page.status_code == 200
    assert "GazViewer.start(" in page.text and "/maps/assets/viewer/viewer.js" in page.text
    for path in PAGES[1:]:
        assert f'"href": "{path}"' in page.text  # in the viewer's options: its script writes the links


@pytest.mark.parametrize("path", PAGES)
def test_pages_load_nothing_from_outside(ordos_api: httpx.Client, path: str) -> None:
    page = ordos_api.get(path)
    assert page.status_code == 200, page.text[:500]
    assert not EXTERNAL.findall(page.text), EXTERNAL.findall(page.text)
    assets = re.findall(r"""(?:src|href)="(/maps/assets/[^"]+)\"""", page.text)
    assert any(a.endswith("leaflet.js") for a in assets)
    for asset in assets:
        assert ordos_api.get(asset).status_code == 200, asset
    assert "L.control.layers" in page.text and "L.control.scale" in page.text


def test_assets_outside_the_packages_are_not_served(ordos_api: httpx.Client) -> None:
    assert ordos_api.get("/maps/assets/leaflet/../../../../../etc/passwd").status_code == 404
    assert ordos_api.get("/maps/assets/leaflet/%2e%2e/__init__.py").status_code == 404
    assert ordos_api.get("/maps/assets/jquery/jquery.js").status_code == 404


@pytest.mark.parametrize(
    ("path", "needle"),
    [
        ("/maps/boundaries?basemap=google", "basemap"),
        ("/maps/places?basemap=tianditu", "GAZ_TIANDITU_KEY"),
        ("/maps/coverage?walk_m=-5", "walk_m"),
        ("/maps/coverage?bed_target=0", "target"),
        ("/maps/?basemap=google", "basemap"),
        ("/maps/?as_of=2018-13-01", "as_of"),
    ],
)
def test_bad_map_parameters(ordos_api: httpx.Client, path: str, needle: str) -> None:
    response = ordos_api.get(path)
    assert response.status_code == 422, response.text[:300]
    assert needle in response.text


def test_amap_basemap_draws_data_shifted_to_gcj02(api: httpx.Client, ordos_engine: Engine) -> None:
    site = add(
        api, editor(ordos_engine), name="服务站(fixture)", kind="community_eldercare_site", lon=109.78, lat=39.61
    )
    plain = api.get("/maps/coverage").text
    shifted = api.get("/maps/coverage?basemap=amap").text
    lon, lat = (float(v[0]) for v in wgs84_to_gcj02([site["lon"]], [site["lat"]]))
    assert f"[{site['lat']}, {site['lon']}]" in plain
    assert f"[{lat}, {lon}]" in shifted
    assert f"[{site['lat']}, {site['lon']}]" not in shifted  # never the unshifted point on a GCJ-02 basemap
    assert "GCJ-02" in shifted and "autonavi" in shifted
    assert "ILLUSTRATIVE" in plain


ORDOS_BBOX = "106.6,37.5,111.6,40.9"


def located_standard_names(api: httpx.Client, category: str | None = None) -> int:
    """The API's count of standard names valid today with a (public) location in Ordos (OGC API, bbox)."""
    params = {"status": "standard", "bbox": ORDOS_BBOX, "limit": "1"} | ({"category": category} if category else {})
    response = api.get("/ogc/collections/place-names/items", params=params)
    assert response.status_code == 200, response.text
    return int(response.json()["numberMatched"])


def test_place_popups_carry_name_category_unit_and_romanization(ordos_api: httpx.Client) -> None:
    page = ordos_api.get("/maps/places").text
    popups = [json.loads(p) for p in re.findall(r'bindPopup\(("(?:[^"\\]|\\.)*")', page)]
    assert len(popups) == located_standard_names(ordos_api) > 100
    jiaotong = next(p for p in popups if p.startswith("<b>交通街道</b>"))
    record = ordos_api.get("/api/v1/places/search", params={"q": "交通街道"}).json()["results"][0]
    assert "拼写 romanization: Jiaotong Jiedao (derived)" in jiaotong
    assert "类别 category: 24 乡级行政区域" in jiaotong
    assert "单位 unit: 鄂尔多斯市/东胜区 150602000000" in jiaotong
    assert f'href="/api/v1/places/{record["id"]}"' in jiaotong
    assert any("Ejin Horo Zhen (official)" in p for p in popups)  # the official Mongolian-based form
    assert not any("概化 generalised" in p for p in popups)  # every loaded record is public


def test_a_secret_place_shows_only_its_generalised_location(api: httpx.Client, ordos_engine: Engine) -> None:
    """A hand-made secret record (fixture) is drawn on the 0.1° grid, never at its true point."""
    with transaction(ordos_engine) as conn:
        secret = gazetteer.create_place(
            conn,
            name="保密测试点",  # a hand-made fixture record
            category="6",
            unit="150602",
            point=GeoPoint.from_input(109.987654, 39.812345, "EPSG:4490"),
            secrecy="secret",
            actor="test",
        )
    page = api.get("/maps/places").text
    assert "109.987654" not in page and "39.812345" not in page
    popup = next(
        json.loads(p) for p in re.findall(r'bindPopup\(("(?:[^"\\]|\\.)*")', page) if "保密测试点" in json.loads(p)
    )
    assert "概化 generalised" in popup and f'href="/api/v1/places/{secret["id"]}"' in popup
    served = api.get(f"/api/v1/places/{secret['id']}").json()["point"]
    assert (served["lon"], served["lat"]) == (pytest.approx(110.0), pytest.approx(39.8))
    assert f"[{served['lat']}, {served['lon']}]" in page  # the generalised point, as the lookup API gives it
    shifted = api.get("/maps/places?basemap=amap").text
    lon, lat = (float(v[0]) for v in wgs84_to_gcj02([served["lon"]], [served["lat"]]))
    assert f"[{lat}, {lon}]" in shifted and f"[{served['lat']}, {served['lon']}]" not in shifted


HOSTILE = "恶意`${document.body.remove()}`</script><b>(fixture)"


def test_a_hostile_facility_name_stays_text(api: httpx.Client, ordos_engine: Engine) -> None:
    add(api, editor(ordos_engine), name=HOSTILE, kind="community_eldercare_site", lon=109.78, lat=39.61)
    page = api.get("/maps/coverage").text
    assert "</script><b>(fixture)" not in page  # never raw in the page
    assert not re.search(r"bindTooltip\(\s*`", page)  # no tooltip in a JavaScript template literal
    tooltips = [json.loads(t) for t in re.findall(r'bindTooltip\(("(?:[^"\\]|\\.)*")', page)]
    assert "恶意`${document.body.remove()}`&lt;/script&gt;&lt;b&gt;(fixture)" in tooltips


def stored_check_and_comparison(api: httpx.Client, engine: Engine) -> tuple[dict[str, Any], dict[str, Any]]:
    """A topology check of the Ordos banners (registered polygons) and a comparison AMap 2020 / DataV 2021,
    run and stored through the API."""
    headers = role_key(engine, "inspector")
    check = api.post("/api/v1/boundaries/checks", headers=headers, json={"parent": "150600", "level": "county"})
    assert check.status_code == 201, check.text
    body = {"parent": "150600", "level": "county", "second": "datav-2021"}
    comparison = api.post("/api/v1/boundaries/compare", headers=headers, json=body)
    assert comparison.status_code == 201, comparison.text
    return check.json(), comparison.json()


def geojson_layers(page: str) -> list[dict[str, Any]]:
    """The FeatureCollections embedded in a map page (folium writes each GeoJson layer's data as one literal)."""
    decoder = json.JSONDecoder()
    return [decoder.raw_decode(page, m.end())[0] for m in re.finditer(r"geo_json_[0-9a-f]+_add\(", page)]


def test_boundaries_map_draws_a_check_and_a_comparison(api: httpx.Client, ordos_engine: Engine) -> None:
    check, comparison = stored_check_and_comparison(api, ordos_engine)
    page = api.get(f"/maps/boundaries?check={check['id']}&comparison={comparison['id']}")
    assert page.status_code == 200, page.text[:300]
    text_ = page.text
    by_kind = {k: v["count"] for k, v in check["summary"]["by_kind"].items() if v["count"]}
    assert by_kind, "the Ordos banners' check should find something (the outline and banners disagree)"
    popups = [
        f["properties"]["popup"]
        for layer in geojson_layers(text_)
        for f in layer["features"]
        if "popup" in f["properties"]
    ]
    assert len(popups) == sum(by_kind.values()) + comparison["summary"]["disputed"]["count"]
    spill = api.get(f"/api/v1/boundaries/checks/{check['id']}/findings.geojson?kind=outside_parent").json()
    largest = max(spill["features"], key=lambda f: f["properties"]["area_m2"])
    area = largest["properties"]["area_m2"]
    popup = next(p for p in popups if f"#{largest['properties']['id']}</b>" in p and "spill" in p)
    assert f"{area:,.1f} m² ({area / 1e6:,.4f} km²)" in popup
    assert "类型 kind: 超出上级 spill" in popup and "outside_parent" not in popup  # a label, not the enum
    for code in largest["properties"]["units"]:
        name = api.get(f"/api/v1/units/{code}").json()["name"]
        assert f"{name} {code}" in popup
    assert f"topology check #{check['id']}" in text_ and f"comparison #{comparison['id']}" in text_
    assert "map-legend" in text_ and "超出上级 spill" in text_ and "仅阿里云 DataV 2021 行政区划面有" in text_
    between = [p for p in comparison["pieces"] if p["first_unit"] and p["second_unit"]]
    assert between, "AMap and DataV give some ground to different banners"
    assert any("争议块 disputed between units" in p and "km²" in p for p in popups)


def test_boundaries_map_has_a_layer_per_polygon_source(ordos_api: httpx.Client) -> None:
    text_ = ordos_api.get("/maps/boundaries").text
    assert "旗区边界 高德 AMap 2020 行政区划面（已登记 registered）" in text_
    assert "旗区边界 阿里云 DataV 2021 行政区划面（参考 reference）" in text_
    outline = "市界 City outline 阿里云 DataV 2021 行政区划面（已登记 registered）"  # its status, not a fixed word
    assert json.dumps(outline)[1:-1] in text_  # the layer control's name, written as a JSON string
    features = [f for layer in geojson_layers(text_) for f in layer["features"]]
    sources = {f["properties"]["source"] for f in features if "source" in f["properties"]}
    assert sources == {"高德 AMap 2020 行政区划面", "阿里云 DataV 2021 行政区划面"}  # popups name the vendor
    statuses = {f["properties"].get("status") for f in features if "source" in f["properties"]}
    assert statuses == {"已登记 registered", "参考 reference"}
    assert "amap-2020 (registered)" not in text_


def test_check_findings_are_shifted_on_the_amap_basemap(api: httpx.Client, ordos_engine: Engine) -> None:
    check, _ = stored_check_and_comparison(api, ordos_engine)
    plain = geojson_layers(api.get(f"/maps/boundaries?check={check['id']}").text)
    shifted = geojson_layers(api.get(f"/maps/boundaries?check={check['id']}&basemap=amap").text)
    findings = api.get(f"/api/v1/boundaries/checks/{check['id']}/findings.geojson").json()["features"]
    first = findings[0]
    ring = first["geometry"]["coordinates"][0]
    if first["geometry"]["type"] == "MultiPolygon":
        ring = ring[0]
    lon, lat = ring[0]

    def corners(layers: list[dict[str, Any]]) -> list[list[float]]:
        out = []
        for layer in layers:
            for feature in layer["features"]:
                if feature["properties"].get("popup", "").find(f"#{first['properties']['id']}</b>") >= 0:
                    coords = feature["geometry"]["coordinates"][0]
                    out.append(coords[0][0] if feature["geometry"]["type"] == "MultiPolygon" else coords[0])
        return out

    (plain_corner,) = corners(plain)
    assert plain_corner == pytest.approx([lon, lat], abs=5e-7)  # drawn to 1e-6 degrees (maps.builders)
    x, y = (float(v[0]) for v in wgs84_to_gcj02([lon], [lat]))
    (drawn,) = corners(shifted)
    assert drawn == pytest.approx([x, y], abs=5e-7) and abs(drawn[0] - lon) > 1e-4  # never unshifted on GCJ-02


@pytest.mark.parametrize(
    ("query", "status", "needle"),
    [
        ("check=424242", 404, "no topology check 424242"),
        ("comparison=424242", 404, "no comparison 424242"),
        ("check=abc", 422, "check"),
        ("check=0", 422, "check"),
        ("comparison=-3", 422, "comparison"),
        ("comparison=99999999999999999999", 422, "comparison"),
    ],
)
def test_unknown_or_bad_check_and_comparison_ids(ordos_api: httpx.Client, query: str, status: int, needle: str) -> None:
    response = ordos_api.get(f"/maps/boundaries?{query}")
    assert response.status_code == status, response.text[:300]
    assert needle in response.text


def test_the_compliance_note_is_a_setting(ordos_api: httpx.Client, shared_ordos_engine: Engine) -> None:
    for path in ("/maps/", "/maps/boundaries"):
        assert "示意图，不作为权属争议依据" in ordos_api.get(path).text  # the default wording
    url = shared_ordos_engine.url.render_as_string(hide_password=False)
    wording = "本图仅作示意 (the office's own wording, a fixture)"
    with LiveServer(url, server_config(url, maps=MapSettings(compliance_note=wording))) as client:
        for path in ("/maps/", "/maps/boundaries"):
            page = client.get(path).text
            assert html.escape(wording) in page and "示意图，不作为权属争议依据" not in page, path


def test_a_check_opens_at_its_findings(api: httpx.Client, ordos_engine: Engine) -> None:
    check, _ = stored_check_and_comparison(api, ordos_engine)
    page = api.get(f"/maps/boundaries?check={check['id']}").text
    findings = api.get(f"/api/v1/boundaries/checks/{check['id']}/findings.geojson").json()["features"]
    west, south, east, north = shapely.union_all([shapely.geometry.shape(f["geometry"]) for f in findings]).bounds
    fits = re.findall(r"fitBounds\(\s*(\[\[[^\]]*\],\s*\[[^\]]*\]\])", page)
    (south_west, north_east) = json.loads(fits[-1])
    assert [*south_west, *north_east] == pytest.approx([south, west, north, east], abs=1e-6)
    assert "fitBounds" in api.get("/maps/boundaries").text  # without one, the whole city
