"""The units API over a real HTTP server on the Ordos data."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import httpx
import pytest
from pyproj import Geod
from shapely.geometry import shape

GRS80 = Geod(ellps="GRS80")


def vendor_feature(data_root: Path, relative: str, adcode: int) -> dict:
    """A feature of a vendor GeoJSON file (GCJ-02 coordinates) by adcode."""
    path = data_root / relative
    text = gzip.decompress(path.read_bytes()).decode() if path.suffix == ".gz" else path.read_text()
    return next(f for f in json.loads(text)["features"] if int(f["properties"]["adcode"]) == adcode)


def test_kangbashi_answers_with_parent_and_area(ordos_api: httpx.Client, data_root: Path) -> None:
    """/units/150603 is 康巴什区 under 鄂尔多斯市; its area matches the polygon measured independently."""
    response = ordos_api.get("/api/v1/units/150603")
    assert response.status_code == 200
    unit = response.json()
    assert unit["code"] == "150603000000"
    assert unit["name"] == "康巴什区"
    assert unit["level"] == "county" and unit["kind"] == "区"
    assert [p["name"] for p in unit["path"]] == ["鄂尔多斯市"]
    assert unit["parent_code"] == "150600000000"
    assert unit["children_count"] == 5
    polygon = unit["polygon"]
    assert polygon["status"] == "registered" and polygon["source"] == "amap-2020"
    # Independent measure: the vendor's own polygon on the GRS80 ellipsoid (the GCJ-02 shift moves
    # the shape by ~500 m but changes its area by far less than the tolerance).
    raw = shape(vendor_feature(data_root, "ordos/boundaries/ordos_banners_amap2020_gcj02.geojson", 150603)["geometry"])
    expected_km2 = abs(GRS80.geometry_area_perimeter(raw)[0]) / 1e6
    assert polygon["area_km2"] == pytest.approx(expected_km2, rel=1e-3)
    served = shape(polygon["geometry"])
    assert abs(GRS80.geometry_area_perimeter(served)[0]) / 1e6 == pytest.approx(expected_km2, rel=1e-3)
    assert served.representative_point().distance(raw) < 0.02  # same place, shifted by the GCJ offset only


@pytest.mark.parametrize("code", ["150603", "150603000", "150603000000"])
def test_codes_of_6_9_12_digits_name_the_same_unit(ordos_api: httpx.Client, code: str) -> None:
    assert ordos_api.get(f"/api/v1/units/{code}").json()["code"] == "150603000000"


def test_city_by_4_digit_code_has_nine_children(ordos_api: httpx.Client) -> None:
    unit = ordos_api.get("/api/v1/units/1506").json()
    assert unit["name"] == "鄂尔多斯市" and unit["path"] == []  # the province is not loaded
    children = ordos_api.get("/api/v1/units/1506/children").json()
    assert len(children) == 9
    assert {"达拉特旗", "康巴什区", "伊金霍洛旗"} <= {c["name"] for c in children}


def test_ancestors_of_a_village(ordos_api: httpx.Client) -> None:
    ancestors = ordos_api.get("/api/v1/units/150602001001/ancestors").json()
    assert [a["name"] for a in ancestors] == ["鄂尔多斯市", "东胜区", "交通街道"]


def test_polygon_in_gauss_kruger_zone(ordos_api: httpx.Client) -> None:
    """Output CRS EPSG:4545 gives eastings/northings in metres, east first."""
    unit = ordos_api.get("/api/v1/units/150603", params={"crs": "EPSG:4545"}).json()
    x, y = unit["polygon"]["geometry"]["coordinates"][0][0][0]
    assert 300_000 < x < 700_000 and 4_300_000 < y < 4_500_000


def test_as_of_before_the_units_are_known(ordos_api: httpx.Client) -> None:
    response = ordos_api.get("/api/v1/units/150603", params={"as_of": "2010-01-01"})
    assert response.status_code == 404
    assert "2010-01-01" in response.json()["detail"]


@pytest.mark.parametrize(
    ("path", "status", "needle"),
    [
        ("/api/v1/units/1506031", 422, "'1506031'"),
        ("/api/v1/units/15060A", 422, "'15060A'"),
        ("/api/v1/units/159999", 404, "159999000000"),
        ("/api/v1/units/150603?crs=EPSG:3857", 422, "EPSG:3857"),
        ("/api/v1/units/150603?as_of=2023-13-01", 422, "2023-13-01"),
        ("/api/v1/units/99/children", 404, "990000000000"),
    ],
)
def test_bad_unit_requests(ordos_api: httpx.Client, path: str, status: int, needle: str) -> None:
    response = ordos_api.get(path)
    assert response.status_code == status
    body = response.json()
    assert needle in body["detail"] and body["code"]


def test_health_reports_postgis_and_stats_the_counts(ordos_api: httpx.Client) -> None:
    body = ordos_api.get("/health").json()
    assert body == {"status": "ok", "postgis": body["postgis"]} and body["postgis"].startswith("3.")
    counts = ordos_api.get("/api/v1/stats").json()["counts"]
    assert (counts["units_city"], counts["units_county"], counts["units_township"], counts["units_village"]) == (
        1,
        9,
        88,
        1011,
    )
    assert counts["polygons_registered"] == 10 and counts["polygons_reference"] == 9
