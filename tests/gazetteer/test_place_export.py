"""GeoPackage exports of searches and lists through the live API, read back with geopandas (pyogrio): Chinese
kept, lines and polygons kept, EPSG:4490. Hand-made fixtures (试验… names inside 康巴什区), not real records."""

from __future__ import annotations

import tempfile
from pathlib import Path

import geopandas as gpd
import httpx
import pytest
import shapely
from sqlalchemy import Engine

from core.database import transaction
from core.values import GeoPoint
from gazetteer.places import service


def read_gpkg(content: bytes) -> gpd.GeoDataFrame:
    """A GeoPackage's bytes read back (from a .gpkg file, as a user's GIS would)."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "export.gpkg"
        path.write_bytes(content)
        return gpd.read_file(path, engine="pyogrio")


@pytest.fixture
def tagged(ordos_engine: Engine) -> list[int]:
    """Three public places tagged 红色地名: a point, a line and a polygon (hand-made)."""
    with transaction(ordos_engine) as conn:
        return [
            service.create_place(
                conn, name=name, category=category, unit="150603", tags=["红色地名"], actor="t", **where
            )["id"]
            for name, category, where in (
                ("试验纪念馆", "9", {"point": GeoPoint.from_input(109.79, 39.60, "EPSG:4490")}),
                ("试验红军路", "7", {"geometry": shapely.LineString([(109.76, 39.60), (109.80, 39.62)])}),
                ("试验纪念园", "9", {"geometry": shapely.box(109.77, 39.60, 109.78, 39.61)}),
            )
        ]


def test_list_as_geopackage(api: httpx.Client, tagged: list[int]) -> None:
    response = api.get("/api/v1/lists/红色地名", params={"format": "gpkg"})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/geopackage+sqlite3"
    assert 'filename="list.gpkg"' in response.headers["content-disposition"]
    frame = read_gpkg(response.content)
    assert frame.crs.to_epsg() == 4490
    by_name = {row["name"]: row for _, row in frame.iterrows()}
    assert set(by_name) == {"试验纪念馆", "试验红军路", "试验纪念园"}
    assert {n: r.geometry.geom_type for n, r in by_name.items()} == {
        "试验纪念馆": "Point",
        "试验红军路": "LineString",
        "试验纪念园": "Polygon",
    }
    assert by_name["试验红军路"]["unit_path_text"] == "鄂尔多斯市/康巴什区"
    assert by_name["试验红军路"]["romanization"] == service.romanize_text("试验红军路")["plain"]
    assert by_name["试验纪念园"].geometry.equals_exact(shapely.box(109.77, 39.60, 109.78, 39.61), 1e-9)
    assert sorted(frame["id"]) == sorted(tagged)


def test_search_as_geopackage(api: httpx.Client, tagged: list[int]) -> None:
    response = api.get("/api/v1/places/search", params={"q": "试验红军路", "format": "gpkg"})
    assert response.status_code == 200, response.text
    frame = read_gpkg(response.content)
    assert frame.iloc[0]["name"] == "试验红军路" and frame.iloc[0]["category_name"] == "交通运输设施（含街巷）"
    assert frame.iloc[0].geometry.geom_type == "LineString"
    nothing = api.get("/api/v1/places/search", params={"q": "试验无此地名", "format": "gpkg"})
    assert nothing.status_code == 200 and len(read_gpkg(nothing.content)) == 0


@pytest.mark.parametrize(
    ("path", "params", "needle"),
    [
        ("/api/v1/places/search", {"q": "试验", "format": "kml"}, "kml"),
        ("/api/v1/places/search", {"q": "", "format": "gpkg"}, "empty"),
        ("/api/v1/lists/红色地名", {"format": "gpkg", "unit": "99"}, "99"),
        ("/api/v1/lists/红色地名", {"format": "shp"}, "shp"),
    ],
)
def test_bad_export_requests(ordos_api: httpx.Client, path: str, params: dict[str, str], needle: str) -> None:
    response = ordos_api.get(path, params=params)
    assert response.status_code == 422 and needle in response.json()["detail"], response.text
