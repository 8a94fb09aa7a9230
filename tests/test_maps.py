"""The map viewer: pages served offline (no CDN reference), AMap pages shifted to GCJ-02, bad parameters refused."""

from __future__ import annotations

import json
import re

import httpx
import pytest
from sqlalchemy import Engine

from core.crs import wgs84_to_gcj02
from tests.test_coverage import add
from tests.test_facilities import editor

PAGES = ("/maps/boundaries", "/maps/places", "/maps/coverage")
EXTERNAL = re.compile(r"""(?:src|href)\s*=\s*["'](?:https?:)?//""", re.IGNORECASE)


def test_index_links_every_map(ordos_api: httpx.Client) -> None:
    page = ordos_api.get("/maps/")
    assert page.status_code == 200
    for path in PAGES:
        assert f'href="{path}"' in page.text


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


def test_place_popups_carry_name_category_unit_and_romanization(ordos_api: httpx.Client) -> None:
    page = ordos_api.get("/maps/places").text
    popups = [json.loads(p) for p in re.findall(r'bindPopup\(("(?:[^"\\]|\\.)*")', page)]
    assert len(popups) == ordos_api.get("/health").json()["counts"]["reference_points"]
    jiaotong = next(p for p in popups if p.startswith("<b>交通街道办事处</b>"))
    assert "拼写 romanization: Jiaotong Jiedao (derived)" in jiaotong
    assert "单位 unit: 交通街道 150602001000" in jiaotong and 'href="/api/v1/units/150602001000"' in jiaotong
    assert any("Ejin Horo Zhen (official)" in p for p in popups)  # the official Mongolian-based form


HOSTILE = "恶意`${document.body.remove()}`</script><b>(fixture)"


def test_a_hostile_facility_name_stays_text(api: httpx.Client, ordos_engine: Engine) -> None:
    add(api, editor(ordos_engine), name=HOSTILE, kind="community_eldercare_site", lon=109.78, lat=39.61)
    page = api.get("/maps/coverage").text
    assert "</script><b>(fixture)" not in page  # never raw in the page
    assert not re.search(r"bindTooltip\(\s*`", page)  # no tooltip in a JavaScript template literal
    tooltips = [json.loads(t) for t in re.findall(r'bindTooltip\(("(?:[^"\\]|\\.)*")', page)]
    assert "恶意`${document.body.remove()}`&lt;/script&gt;&lt;b&gt;(fixture)" in tooltips
