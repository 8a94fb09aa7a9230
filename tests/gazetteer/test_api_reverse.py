"""Reverse lookup: the unit path at a point given in any accepted CRS."""

from __future__ import annotations

import math

import httpx
import pytest
from shapely.geometry import Point, shape

from core.crs import transform_point, wgs84_to_gcj02

KANGBASHI_WGS84 = (109.78, 39.61)


def test_point_in_kangbashi(ordos_api: httpx.Client) -> None:
    body = ordos_api.get("/api/v1/reverse", params={"lon": 109.78, "lat": 39.61}).json()
    assert [(p["name"], p["relation"]) for p in body["path"]] == [("鄂尔多斯市", "contains"), ("康巴什区", "contains")]
    levels = [n["level"] for n in body["nearest"]]
    assert levels == ["township", "village"]
    assert all(n["relation"] == "nearest" and n["code"].startswith("150603") for n in body["nearest"])
    assert all(0 < n["distance_m"] < 20_000 for n in body["nearest"])


def _point_near_the_edge(polygon) -> tuple[float, float]:
    """A WGS84 point inside the polygon whose GCJ-02 coordinates, misread as WGS84, fall outside it."""
    boundary = polygon.exterior if polygon.geom_type == "Polygon" else max(polygon.geoms, key=lambda g: g.area).exterior
    for step in range(400):
        on_edge = boundary.interpolate(step / 400, normalized=True)
        for dx, dy in ((0.002, 0), (-0.002, 0), (0, 0.002), (0, -0.002)):
            lon, lat = on_edge.x + dx, on_edge.y + dy
            gx, gy = wgs84_to_gcj02(lon, lat)
            if polygon.contains(Point(lon, lat)) and not polygon.contains(Point(float(gx), float(gy))):
                return lon, lat
    raise AssertionError("no test point found")


def test_same_place_in_gcj02_bd09_and_wgs84_reverses_to_the_same_banner(ordos_api: httpx.Client) -> None:
    """A point 200 m inside 康巴什区: given in WGS84, GCJ-02 or BD-09 it is in 康巴什区; the GCJ-02
    numbers misread as WGS84 would land outside it (so the conversion is really applied)."""
    polygon = shape(ordos_api.get("/api/v1/units/150603").json()["polygon"]["geometry"])
    lon, lat = _point_near_the_edge(polygon)
    glon, glat = (float(v) for v in wgs84_to_gcj02(lon, lat))
    blon, blat = transform_point(lon, lat, "EPSG:4326", "BD-09")

    def banner(x: float, y: float, crs: str) -> str | None:
        response = ordos_api.get("/api/v1/reverse", params={"lon": x, "lat": y, "crs": crs})
        if response.status_code == 404:
            return None
        return next(p["code"] for p in response.json()["path"] if p["level"] == "county")

    assert banner(lon, lat, "EPSG:4326") == "150603000000"
    assert banner(glon, glat, "gcj02") == "150603000000"
    assert banner(glon, glat, "GCJ-02") == "150603000000"
    assert banner(blon, blat, "bd09") == "150603000000"
    assert banner(glon, glat, "EPSG:4326") != "150603000000"


def test_gauss_kruger_input(ordos_api: httpx.Client) -> None:
    x, y = transform_point(*KANGBASHI_WGS84, "EPSG:4490", "EPSG:4545")
    body = ordos_api.get("/api/v1/reverse", params={"lon": x, "lat": y, "crs": "EPSG:4545"}).json()
    assert body["path"][-1]["name"] == "康巴什区"
    assert math.isclose(body["lon"], KANGBASHI_WGS84[0], abs_tol=1e-7)


@pytest.mark.parametrize(("code", "zone"), [("EPSG:4525", 37), ("EPSG:4497", 19), ("EPSG:4546", 0), ("EPSG:4508", 0)])
def test_every_cgcs2000_gauss_kruger_zone_is_read(ordos_api: httpx.Client, code: str, zone: int) -> None:
    """Survey files and marker agreements state eastings with or without the zone number in front."""
    plain = "EPSG:4546" if code in ("EPSG:4525", "EPSG:4546") else "EPSG:4508"
    x, y = transform_point(109.78, 39.61, "EPSG:4490", plain)
    body = ordos_api.get("/api/v1/reverse", params={"lon": x + zone * 1e6, "lat": y, "crs": code}).json()
    assert [u["name"] for u in body["path"]][:2] == ["鄂尔多斯市", "康巴什区"], body


def test_a_zone_prefix_under_the_wrong_code_names_the_likely_one(ordos_api: httpx.Client) -> None:
    x, y = transform_point(109.78, 39.61, "EPSG:4490", "EPSG:4546")
    response = ordos_api.get("/api/v1/reverse", params={"lon": x + 37e6, "lat": y, "crs": "EPSG:4546"})
    assert response.status_code == 422, response.text
    assert "EPSG:4525" in response.json()["detail"]


def test_point_outside_every_polygon_is_404(ordos_api: httpx.Client) -> None:
    response = ordos_api.get("/api/v1/reverse", params={"lon": 116.4, "lat": 39.9})
    assert response.status_code == 404
    assert "116.4" in response.json()["detail"]


@pytest.mark.parametrize(
    ("params", "needle"),
    [
        ({"lon": 109.78, "lat": 39.61, "crs": "wgs84"}, "'wgs84'"),
        ({"lon": 39.61, "lat": 109.78}, "109.78"),
        ({"lon": 109.78, "lat": "nan"}, "nan"),
        ({"lon": "inf", "lat": 39.61}, "inf"),
        ({"lon": 200, "lat": 39.61}, "200"),
        ({"lon": "abc", "lat": 39.61}, "abc"),
        ({"lat": 39.61}, "lon"),
        ({"lon": 109.78, "lat": 39.61, "as_of": "yesterday"}, "yesterday"),
        ({"lon": 109.78, "lat": 39.61, "crs": "EPSG:4545"}, "EPSG:4545"),
    ],
)
def test_bad_coordinates_are_refused(ordos_api: httpx.Client, params: dict, needle: str) -> None:
    response = ordos_api.get("/api/v1/reverse", params=params)
    assert response.status_code == 422, response.text
    assert needle.lower() in response.json()["detail"].lower()


def test_swapped_coordinates_get_a_hint(ordos_api: httpx.Client) -> None:
    detail = ordos_api.get("/api/v1/reverse", params={"lon": 39.61, "lat": 109.78}).json()["detail"]
    assert "swapped" in detail
