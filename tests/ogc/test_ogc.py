"""OGC API - Features (Parts 1-3), exports, vector tiles and `gaz export`, on a live server with the Ordos data."""

from __future__ import annotations

import io
import math
import os
import re
import subprocess
import sys
import zipfile
from datetime import date
from pathlib import Path
from typing import Any

import geopandas as gpd
import httpx
import pytest
import shapely.geometry
from pyproj import Transformer
from sqlalchemy import Engine, text

from boundaries.units import service as boundaries
from core.database import transaction
from core.values import GeoPoint
from gazetteer.places import editing
from gazetteer.places import service as gazetteer
from gazetteer.points import service as reference_points
from ogc import service as ogc_service
from ogc.collections import published
from ogc.cql2 import GeometryFilter, compile_filter

ORDOS = "1506"  # code prefix of Ordos City
CRS_4490 = "http://www.opengis.net/def/crs/EPSG/0/4490"
CRS_4545 = "http://www.opengis.net/def/crs/EPSG/0/4545"
# Hand-made fixture (not real data): a secret place at an exact point inside 康巴什区.
SECRET_POINT = (109.781234, 39.612345)


def items(client: httpx.Client, collection: str, **params: Any) -> httpx.Response:
    return client.get(f"/ogc/collections/{collection}/items", params=params)


def features(client: httpx.Client, collection: str, **params: Any) -> list[dict[str, Any]]:
    response = items(client, collection, **params)
    assert response.status_code == 200, response.text
    return list(response.json()["features"])


@pytest.fixture(scope="module")
def counties(shared_ordos_engine: Engine) -> list[dict[str, Any]]:
    """Today's county-level units of Ordos, from the boundaries service (the expected answers)."""
    with transaction(shared_ordos_engine) as conn:
        return boundaries.units_within(conn, ORDOS, "county")


def assert_ogc_error(response: httpx.Response, status: int, needle: str) -> None:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"code", "description"}, body
    assert needle in body["description"], body


# --- Part 1: documents -------------------------------------------------------------------------------
def test_landing_page_links(ordos_api: httpx.Client) -> None:
    for path in ("/ogc", "/ogc/"):
        body = ordos_api.get(path).json()
        rels = {link["rel"]: link["href"] for link in body["links"]}
        assert {"self", "service-desc", "service-doc", "conformance", "data"} <= set(rels)
        assert ordos_api.get(rels["service-desc"]).json()["paths"]["/ogc/collections/{collection_id}/items"]
        assert ordos_api.get(rels["data"]).status_code == 200


def test_conformance_declares_core_geojson_crs_and_filter(ordos_api: httpx.Client) -> None:
    classes = ordos_api.get("/ogc/conformance").json()["conformsTo"]
    for part in ("ogcapi-features-1/1.0/conf/core", "ogcapi-features-2/1.0/conf/crs", "cql2/1.0/conf/cql2-text"):
        assert any(c.endswith(part) for c in classes), part


def test_collections_list_every_published_collection(ordos_api: httpx.Client, shared_ordos_engine: Engine) -> None:
    with transaction(shared_ordos_engine) as conn:
        expected = list(published(conn))
        sources = conn.execute(text("SELECT DISTINCT source FROM unit_polygon")).scalars().all()
    body = ordos_api.get("/ogc/collections").json()
    listed = [c["id"] for c in body["collections"]]
    assert listed == expected
    assert {f"polygons-{s}" for s in sources} <= set(listed)
    assert {"units-county", "units-township", "units-village", "reference-points", "place-names"} <= set(listed)
    county = next(c for c in body["collections"] if c["id"] == "units-county")
    assert county["storageCrs"] == CRS_4490 and CRS_4545 in county["crs"]
    west, south, east, north = county["extent"]["spatial"]["bbox"][0]
    assert 106 < west < east < 112 and 37 < south < north < 41  # Ordos, lon/lat (CRS84)
    assert county["extent"]["temporal"]["interval"][0][0] is not None


def test_collection_and_queryables(ordos_api: httpx.Client) -> None:
    body = ordos_api.get("/ogc/collections/units-county").json()
    assert body["id"] == "units-county" and body["itemType"] == "feature"
    assert any(link["rel"] == "items" for link in body["links"])
    queryable = ordos_api.get("/ogc/collections/units-county/queryables").json()
    assert queryable["properties"]["name"] == {"type": "string"}
    assert queryable["properties"]["valid_from"]["format"] == "date"


def test_items_are_a_feature_collection_of_todays_counties(
    ordos_api: httpx.Client, counties: list[dict[str, Any]]
) -> None:
    response = items(ordos_api, "units-county", limit=100)
    assert response.headers["content-type"].startswith("application/geo+json")
    assert response.headers["content-crs"] == "<http://www.opengis.net/def/crs/OGC/1.3/CRS84>"
    body = response.json()
    assert body["type"] == "FeatureCollection"
    assert body["numberMatched"] == body["numberReturned"] == len(counties)
    assert sorted(f["properties"]["code"] for f in body["features"]) == sorted(c["code"] for c in counties)
    polygon = next(f for f in body["features"] if f["geometry"] and f["geometry"]["type"] == "MultiPolygon")
    lon, lat = polygon["geometry"]["coordinates"][0][0][0]
    assert 106 < lon < 112 and 37 < lat < 41  # CRS84: lon first
    assert "crs" not in polygon["geometry"]


def test_paging_with_next_links_visits_every_feature_once(
    ordos_api: httpx.Client, counties: list[dict[str, Any]]
) -> None:
    url: str | None = "/ogc/collections/units-county/items?limit=4"
    seen: list[str] = []
    pages = 0
    while url:
        body = ordos_api.get(url).json()
        assert body["numberReturned"] == len(body["features"]) <= 4
        seen += [f["properties"]["code"] for f in body["features"]]
        url = next((link["href"] for link in body["links"] if link["rel"] == "next"), None)
        pages += 1
    assert sorted(seen) == sorted(c["code"] for c in counties)
    assert pages == -(-len(counties) // 4)
    second = items(ordos_api, "units-county", limit=4, offset=4).json()
    assert any(link["rel"] == "prev" for link in second["links"])


def test_feature_by_id(ordos_api: httpx.Client) -> None:
    first = features(ordos_api, "units-county", limit=1)[0]
    response = ordos_api.get(f"/ogc/collections/units-county/items/{first['id']}")
    assert response.status_code == 200
    body = response.json()
    assert body["type"] == "Feature" and body["properties"] == first["properties"]
    assert {link["rel"] for link in body["links"]} == {"self", "collection"}


def test_units_fall_back_to_the_reference_point(ordos_api: httpx.Client, shared_ordos_engine: Engine) -> None:
    townships = features(ordos_api, "units-township", limit=1000)
    kinds = {f["properties"]["geometry_kind"] for f in townships}
    assert "point" in kinds
    with transaction(shared_ordos_engine) as conn:
        points = {p["unit_code"]: p for p in reference_points.list_points(conn, within=ORDOS, level="township")}
    for feature in townships:
        code = feature["properties"]["code"]
        if feature["properties"]["geometry_kind"] == "point":
            assert feature["geometry"]["coordinates"] == pytest.approx([points[code]["lon"], points[code]["lat"]])
        elif feature["properties"]["geometry_kind"] is None:
            assert feature["geometry"] is None and code not in points


def test_bbox_in_crs84_and_in_lat_lon_epsg(ordos_api: httpx.Client) -> None:
    point = features(ordos_api, "reference-points", limit=1)[0]
    lon, lat = point["geometry"]["coordinates"]
    box = [lon - 0.01, lat - 0.01, lon + 0.01, lat + 0.01]
    near = {f["id"] for f in features(ordos_api, "reference-points", bbox=",".join(map(str, box)), limit=100)}
    assert point["id"] in near
    lat_lon = ",".join(map(str, [box[1], box[0], box[3], box[2]]))
    for crs in ("EPSG:4326", "http://www.opengis.net/def/crs/EPSG/0/4326", CRS_4490):
        swapped = features(ordos_api, "reference-points", bbox=lat_lon, limit=100, **{"bbox-crs": crs})
        assert {f["id"] for f in swapped} == near, crs
    assert features(ordos_api, "reference-points", bbox="0,0,1,1") == []


def test_bbox_in_gauss_kruger_northing_first(ordos_api: httpx.Client) -> None:
    point = features(ordos_api, "reference-points", limit=1)[0]
    lon, lat = point["geometry"]["coordinates"]
    east, north = Transformer.from_crs("EPSG:4490", "EPSG:4546", always_xy=True).transform(lon, lat)
    box = f"{north - 500},{east - 500},{north + 500},{east + 500}"
    found = features(
        ordos_api, "reference-points", bbox=box, limit=100, **{"bbox-crs": CRS_4545.replace("4545", "4546")}
    )
    assert point["id"] in {f["id"] for f in found}
    # The same numbers given east-first are refused: the northing-first axis order is really applied.
    wrong = f"{east - 500},{north - 500},{east + 500},{north + 500}"
    refused = items(ordos_api, "reference-points", bbox=wrong, **{"bbox-crs": "EPSG:4546"})
    assert_ogc_error(refused, 400, "outside EPSG:4546 (axis order and ranges: northing")


def test_crs_output_axis_order_and_content_crs(ordos_api: httpx.Client) -> None:
    default = features(ordos_api, "reference-points", limit=1)[0]
    lon, lat = default["geometry"]["coordinates"]
    response = items(ordos_api, "reference-points", limit=1, crs="EPSG:4490")
    assert response.headers["content-crs"] == f"<{CRS_4490}>"
    assert response.json()["features"][0]["geometry"]["coordinates"] == pytest.approx([lat, lon])
    response = items(ordos_api, "reference-points", limit=1, crs=CRS_4545)
    assert response.headers["content-crs"] == f"<{CRS_4545}>"
    north, east = response.json()["features"][0]["geometry"]["coordinates"]
    expected_east, expected_north = Transformer.from_crs("EPSG:4490", "EPSG:4545", always_xy=True).transform(lon, lat)
    assert (east, north) == pytest.approx((expected_east, expected_north), abs=0.01)
    one = ordos_api.get(f"/ogc/collections/reference-points/items/{default['id']}", params={"crs": "EPSG:4326"})
    assert one.headers["content-crs"] == "<http://www.opengis.net/def/crs/EPSG/0/4326>"
    assert one.json()["geometry"]["coordinates"] == pytest.approx([lat, lon])


def test_datetime_against_the_validity(ordos_api: httpx.Client, counties: list[dict[str, Any]]) -> None:
    start = min(c["valid_from"] for c in counties)
    before = date(start.year - 1, 1, 1).isoformat()
    assert items(ordos_api, "units-county", datetime=before).json()["numberMatched"] == 0
    for value in (start.isoformat(), f"{start.isoformat()}T12:00:00Z", f"../{start}", f"{before}/..", "../.."):
        assert items(ordos_api, "units-county", datetime=value).json()["numberMatched"] == len(counties), value
    assert items(ordos_api, "units-county", datetime=f"{before}/{before}").json()["numberMatched"] == 0


def test_property_filters(ordos_api: httpx.Client, counties: list[dict[str, Any]]) -> None:
    county = counties[0]
    found = features(ordos_api, "units-county", code=county["code"])
    assert [f["properties"]["name"] for f in found] == [county["name"]]
    kinds = {c["kind"] for c in counties}
    for kind in kinds:
        matched = items(ordos_api, "units-county", kind=kind).json()["numberMatched"]
        assert matched == sum(1 for c in counties if c["kind"] == kind)


@pytest.mark.parametrize(
    ("path", "params", "status", "needle"),
    [
        ("/ogc/collections/nope", {}, 404, "no collection 'nope'"),
        ("/ogc/collections/nope/items", {}, 404, "no collection 'nope'"),
        ("/ogc/collections/units-county/items/999999999", {}, 404, "no feature '999999999'"),
        ("/ogc/collections/units-county/items/abc", {}, 404, "no feature 'abc'"),
        ("/ogc/collections/units-county/items", {"bbox": "1,2,3"}, 400, "bbox '1,2,3'"),
        ("/ogc/collections/units-county/items", {"bbox": "a,b,c,d"}, 400, "bbox 'a,b,c,d'"),
        ("/ogc/collections/units-county/items", {"bbox": "110,40,109,39"}, 400, "lower corner"),
        ("/ogc/collections/units-county/items", {"bbox": "200,0,201,1"}, 400, "outside"),
        ("/ogc/collections/units-county/items", {"bbox": "1e9,1e9,2e9,2e9", "bbox-crs": "EPSG:4545"}, 400, "outside"),
        (
            "/ogc/collections/units-county/items",
            {"filter": "S_INTERSECTS(geom, POINT(1e12 1e12))", "filter-crs": "EPSG:4545"},
            400,
            "filter geometry is outside EPSG:4545",
        ),
        ("/ogc/collections/units-county/items", {"offset": 10**20}, 400, "offset"),
        ("/ogc/collections/facilities/items", {"beds": 10**20}, 400, "beds"),
        ("/ogc/collections/units-county/items", {"bbox-crs": "EPSG:4326"}, 400, "without bbox"),
        ("/ogc/collections/units-county/items", {"crs": "EPSG:3857"}, 400, "crs 'EPSG:3857'"),
        ("/ogc/collections/units-county/items", {"bbox": "1,2,3,4", "bbox-crs": "EPSG:2000"}, 400, "bbox-crs"),
        ("/ogc/collections/units-county/items/1", {"crs": "WGS84"}, 400, "crs 'WGS84'"),
        ("/ogc/collections/units-county/items", {"limit": 0}, 400, "limit"),
        ("/ogc/collections/units-county/items", {"limit": 10001}, 400, "limit"),
        ("/ogc/collections/units-county/items", {"limit": "ten"}, 400, "limit"),
        ("/ogc/collections/units-county/items", {"offset": -1}, 400, "offset"),
        ("/ogc/collections/units-county/items", {"datetime": "2020-13-01"}, 400, "datetime"),
        ("/ogc/collections/units-county/items", {"datetime": "2024-01-01/2023-01-01"}, 400, "ends before"),
        ("/ogc/collections/units-county/items", {"datetime": "../../.."}, 400, "datetime"),
        ("/ogc/collections/units-county/items", {"colour": "red"}, 400, "unknown query parameter(s) colour"),
        ("/ogc/collections/units-county/items", {"f": "xml"}, 400, "f 'xml'"),
        ("/ogc/collections/units-county/items", {"valid_from": "yesterday"}, 400, "valid_from 'yesterday'"),
        ("/ogc/collections/polygons-amap-2020/items", {"repaired": "maybe"}, 400, "repaired 'maybe'"),
        ("/ogc/collections/units-county/items", {"filter-lang": "cql2-json", "filter": "{}"}, 400, "filter-lang"),
        ("/tiles/nope/1/0/0.mvt", {}, 404, "no collection 'nope'"),
        ("/tiles/units-county/3/8/0.mvt", {}, 400, "does not exist"),
        ("/tiles/units-county/23/0/0.mvt", {}, 400, "zoom 23"),
        ("/tiles/nope.json", {}, 404, "no collection 'nope'"),
        ("/tiles/units-county/a/0/0.mvt", {}, 400, "z: Input should be a valid integer"),
        ("/tiles/units-county/1/0/0.mvt", {"datetime": "soon"}, 400, "datetime 'soon'"),
    ],
)
def test_bad_input_is_an_ogc_exception(
    ordos_api: httpx.Client, path: str, params: dict[str, Any], status: int, needle: str
) -> None:
    assert_ogc_error(ordos_api.get(path, params=params), status, needle)


# --- Part 3: CQL2 -----------------------------------------------------------------------------------
def matched(client: httpx.Client, collection: str, expression: str) -> set[str]:
    response = items(client, collection, filter=expression, limit=10000)
    assert response.status_code == 200, (expression, response.text)
    return {f["properties"]["code"] for f in response.json()["features"]}


def test_cql2_comparisons_like_and_logic(ordos_api: httpx.Client, counties: list[dict[str, Any]]) -> None:
    by_code = {c["code"]: c for c in counties}
    codes = sorted(by_code)
    first, last = codes[0], codes[-1]
    assert matched(ordos_api, "units-county", f"code = '{first}'") == {first}
    assert matched(ordos_api, "units-county", f"code <> '{first}'") == set(codes) - {first}
    assert matched(ordos_api, "units-county", f"code < '{codes[2]}'") == set(codes[:2])
    assert matched(ordos_api, "units-county", f"code >= '{codes[2]}'") == set(codes[2:])
    assert matched(ordos_api, "units-county", f"code <= '{first}' OR code > '{codes[-2]}'") == {first, last}
    assert matched(ordos_api, "units-county", f"NOT (code = '{first}') AND code <> '{last}'") == set(codes[1:-1])
    banners = {c for c, u in by_code.items() if u["name"].endswith("旗")}
    assert banners and matched(ordos_api, "units-county", "name LIKE '%旗'") == banners
    assert matched(ordos_api, "units-county", "name NOT LIKE '%旗'") == set(codes) - banners
    assert matched(ordos_api, "units-county", f"code IN ('{first}', '{last}')") == {first, last}
    assert matched(ordos_api, "units-county", f"code BETWEEN '{first}' AND '{codes[1]}'") == {first, codes[1]}
    assert matched(ordos_api, "units-county", "valid_to IS NULL") == set(codes)
    assert matched(ordos_api, "units-county", "valid_to IS NOT NULL") == set()
    start = min(c["valid_from"] for c in counties)
    assert matched(ordos_api, "units-county", f"valid_from >= DATE('{start}')") == set(codes)
    assert matched(ordos_api, "units-county", f"valid_from < '{start}'") == set()


def test_cql2_s_intersects_agrees_with_reverse_lookup(ordos_api: httpx.Client) -> None:
    point = next(f for f in features(ordos_api, "reference-points", limit=100) if f["properties"]["unit_code"])
    lon, lat = point["geometry"]["coordinates"]
    reverse = ordos_api.get("/api/v1/reverse", params={"lon": lon, "lat": lat, "crs": "EPSG:4490"}).json()
    county = next(u["code"] for u in reverse["path"] if u["level"] == "county")
    assert matched(ordos_api, "units-county", f"S_INTERSECTS(geom, POINT({lon} {lat}))") == {county}
    box = f"S_INTERSECTS(geom, BBOX({lon - 1e-4}, {lat - 1e-4}, {lon + 1e-4}, {lat + 1e-4}))"
    assert matched(ordos_api, "units-county", box) == {county}
    ring = f"{lon - 1e-4} {lat - 1e-4}, {lon + 1e-4} {lat - 1e-4}, {lon + 1e-4} {lat + 1e-4}, {lon - 1e-4} {lat - 1e-4}"
    assert matched(ordos_api, "units-county", f"S_INTERSECTS(geom, POLYGON(({ring})))") == {county}
    lat_lon = items(
        ordos_api, "units-county", filter=f"S_INTERSECTS(geom, POINT({lat} {lon}))", **{"filter-crs": "EPSG:4490"}
    ).json()
    assert {f["properties"]["code"] for f in lat_lon["features"]} == {county}


def test_cql2_injection_stays_a_literal(ordos_api: httpx.Client, counties: list[dict[str, Any]]) -> None:
    assert matched(ordos_api, "units-county", "name = 'x'' OR ''1''=''1'") == set()
    assert items(ordos_api, "units-county").json()["numberMatched"] == len(counties)


def test_cql2_compiles_to_bound_parameters_only() -> None:
    geometry = GeometryFilter(to_sql=lambda p: f"ST_GeomFromText(:{p}, 4490)", check=lambda _: None, north_first=False)
    sql, params = compile_filter(
        "name LIKE '东%' AND (code = '150602000000' OR NOT valid_to IS NULL) AND S_INTERSECTS(geom, POINT(109 39))",
        {"name": "string", "code": "string", "valid_to": "date"},
        geometry,
    )
    assert "东" not in sql and "150602" not in sql and "109" not in sql
    assert sorted(params.values(), key=str) == sorted(["东%", "150602000000", "POINT (109 39)"], key=str)


@pytest.mark.parametrize(
    ("expression", "needle"),
    [
        ("colour = 'red'", "unknown property 'colour'"),
        ("name =", "unexpected end"),
        ("name = 'a' AND", "a condition is missing"),
        ("(name = 'a'", "unexpected end"),
        ("name == 'a'", "expected a property or a value"),
        ("name = 'a' name", "unexpected text"),
        ("name = 3", "cannot compare a string with a integer"),
        ("valid_from = DATE('2024-02-30')", "not a date"),
        ("S_INTERSECTS(geom, POINT(1))", "not valid WKT"),
        ("S_INTERSECTS(geom, BBOX(1, 2, 3))", "four numbers"),
        ("S_INTERSECTS(name, POINT(1 2))", "not the geometry property"),
        ("geom = 'a'", "only be used in S_INTERSECTS"),
        ("name = 'a' ; DROP TABLE admin_unit", "cannot read"),
        ("name LIKE 'a' ESCAPE", "unexpected text"),
        ("S_INTERSECTS(geom, POINT(500 500))", "filter geometry is outside OGC:CRS84"),
        ("S_INTERSECTS(geom, POINT EMPTY)", "unexpected 'EMPTY'"),
        ("code = 99999999999999999999", "out of range"),
        ("   ", "filter is empty"),
    ],
)
def test_cql2_errors_are_400_with_a_message(ordos_api: httpx.Client, expression: str, needle: str) -> None:
    assert_ogc_error(items(ordos_api, "units-county", filter=expression), 400, needle)


# --- HTML -------------------------------------------------------------------------------------------
def test_html_encoding(ordos_api: httpx.Client, counties: list[dict[str, Any]]) -> None:
    page = ordos_api.get("/ogc/collections/units-county/items", params={"f": "html", "limit": 100})
    assert page.headers["content-type"].startswith("text/html")
    assert all(c["name"] in page.text for c in counties)
    paged = ordos_api.get("/ogc/collections/units-county/items", params={"f": "html", "limit": 2})
    assert "limit=2&amp;offset=2&amp;f=html" in paged.text  # the next page, as HTML
    negotiated = ordos_api.get("/ogc/collections", headers={"Accept": "text/html"})
    assert negotiated.headers["content-type"].startswith("text/html") and "units-county" in negotiated.text
    for path in ("/ogc", "/ogc/conformance", "/ogc/collections/units-county"):
        assert ordos_api.get(path, params={"f": "html"}).text.startswith("<!doctype html>")
    first = features(ordos_api, "units-county", limit=1)[0]
    one = ordos_api.get(f"/ogc/collections/units-county/items/{first['id']}", params={"f": "html"})
    assert first["properties"]["name"] in one.text


# --- an independent client: OWSLib ------------------------------------------------------------------
def test_owslib_reads_the_service(ordos_api: httpx.Client, counties: list[dict[str, Any]]) -> None:
    from owslib.ogcapi.features import Features

    service = Features(f"{ordos_api.base_url}/ogc")
    assert "units-county" in service.feature_collections()
    assert any(c.endswith("/conf/core") for c in service.conformance()["conformsTo"])
    assert service.collection("units-county")["id"] == "units-county"
    page = service.collection_items("units-county", limit=100)
    assert page["numberMatched"] == len(counties)
    assert sorted(f["properties"]["code"] for f in page["features"]) == sorted(c["code"] for c in counties)
    point = service.collection_items("reference-points", limit=1)["features"][0]
    lon, lat = point["geometry"]["coordinates"]
    near = service.collection_items("reference-points", bbox=[lon - 0.01, lat - 0.01, lon + 0.01, lat + 0.01])
    assert point["id"] in {f["id"] for f in near["features"]}
    assert service.collection_item("reference-points", str(point["id"]))["properties"] == point["properties"]
    banners = service.collection_items("units-county", filter="name LIKE '%旗'", limit=100)
    assert {f["properties"]["name"] for f in banners["features"]} == {
        c["name"] for c in counties if c["name"].endswith("旗")
    }
    assert "name" in service.collection_queryables("units-county")["properties"]


# --- exports ----------------------------------------------------------------------------------------
def test_export_geopackage_and_geojson(ordos_api: httpx.Client, counties: list[dict[str, Any]], tmp_path: Path) -> None:
    for fmt in ("gpkg", "geojson"):
        response = items(ordos_api, "units-county", f=fmt)
        assert response.status_code == 200, response.text
        assert f'filename="units-county.{fmt}"' in response.headers["content-disposition"]
        path = tmp_path / f"counties.{fmt}"
        path.write_bytes(response.content)
        frame = gpd.read_file(path, engine="pyogrio")
        assert sorted(frame["name"]) == sorted(c["name"] for c in counties), fmt
        assert frame.crs.to_epsg() == 4326
        assert frame.geometry.notna().all()


def test_export_shapefile_keeps_chinese_with_a_cpg(
    ordos_api: httpx.Client, counties: list[dict[str, Any]], tmp_path: Path
) -> None:
    response = items(ordos_api, "units-county", f="shp", crs="EPSG:4545", filter="name LIKE '%旗'")
    assert response.headers["content-type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    names = set(archive.namelist())
    assert {"units-county.shp", "units-county.dbf", "units-county.shx", "units-county.prj", "units-county.cpg"} <= names
    assert archive.read("units-county.cpg").decode().strip().upper() in ("UTF-8", "UTF8")
    archive.extractall(tmp_path)
    frame = gpd.read_file(tmp_path / "units-county.shp", engine="pyogrio")
    assert sorted(frame["name"]) == sorted(c["name"] for c in counties if c["name"].endswith("旗"))
    assert frame.crs.to_epsg() == 4545
    assert 300_000 < frame.geometry.centroid.x.mean() < 700_000  # easting first in the file, as GIS files are


def test_export_shapefile_of_mixed_geometries_splits_by_type(ordos_api: httpx.Client, tmp_path: Path) -> None:
    polygons_and_points = items(ordos_api, "units-township", f="geojson").json()["features"]
    types = {f["geometry"]["type"] for f in polygons_and_points if f["geometry"]}
    response = items(ordos_api, "units-township", f="shp")
    names = zipfile.ZipFile(io.BytesIO(response.content)).namelist()
    shapefiles = [n for n in names if n.endswith(".shp")]
    assert len(shapefiles) == (2 if {"MultiPolygon", "Point"} <= types else 1)


def test_export_csv_has_a_bom_and_wkt(ordos_api: httpx.Client, counties: list[dict[str, Any]]) -> None:
    response = items(ordos_api, "units-county", f="csv", code=counties[0]["code"])
    assert response.content.startswith(b"\xef\xbb\xbf")
    lines = response.content.decode("utf-8-sig").splitlines()
    assert lines[0].split(",")[:3] == ["id", "code", "name"] and lines[0].endswith("wkt")
    assert counties[0]["name"] in lines[1] and "MULTIPOLYGON" in lines[1]
    assert len(lines) == 2


def test_gaz_export_cli(shared_ordos_engine: Engine, counties: list[dict[str, Any]], tmp_path: Path) -> None:
    env = {**os.environ, "GAZ_DATABASE_URL": shared_ordos_engine.url.render_as_string(hide_password=False)}
    out = tmp_path / "banners.gpkg"
    command = [sys.executable, "-m", "app.cli", "export", "units-county", "--format", "gpkg", "--out", str(out)]
    done = subprocess.run([*command, "--filter", "name LIKE '%旗'"], env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    banners = sorted(c["name"] for c in counties if c["name"].endswith("旗"))
    assert f"{len(banners)} feature(s) written" in done.stdout
    assert sorted(gpd.read_file(out, engine="pyogrio")["name"]) == banners
    bad = subprocess.run([*command, "--filter", "colour = 'red'"], env=env, capture_output=True, text=True)
    assert bad.returncode == 2 and "unknown property 'colour'" in bad.stderr
    bbox = subprocess.run([*command, "--bbox", "1,2,3"], env=env, capture_output=True, text=True)
    assert bbox.returncode == 2 and "bbox" in bbox.stderr


# --- vector tiles -----------------------------------------------------------------------------------
def tile_of(lon: float, lat: float, z: int) -> tuple[int, int]:
    n = 2**z
    x = int((lon + 180) / 360 * n)
    y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
    return x, y


def test_vector_tiles_decode_with_gdal(ordos_api: httpx.Client, counties: list[dict[str, Any]], tmp_path: Path) -> None:
    point = next(f for f in features(ordos_api, "reference-points", limit=100) if f["properties"]["unit_code"])
    lon, lat = point["geometry"]["coordinates"]
    sizes = {}
    for z in (5, 9):
        x, y = tile_of(lon, lat, z)
        response = ordos_api.get(f"/tiles/units-county/{z}/{x}/{y}.mvt")
        assert response.status_code == 200
        assert response.headers["content-type"] == "application/vnd.mapbox-vector-tile"
        path = tmp_path / f"{z}.mvt"
        path.write_bytes(response.content)
        layer = gpd.read_file(path, engine="pyogrio", layer="units-county")
        assert set(layer["name"]) <= {c["name"] for c in counties} and len(layer) >= 1
        sizes[z] = len(response.content)
    empty = ordos_api.get("/tiles/units-county/9/0/0.mvt")
    assert empty.status_code == 200 and empty.content == b""
    document = ordos_api.get("/tiles/units-county.json").json()
    assert document["tilejson"] == "3.0.0" and document["tiles"][0].endswith("/tiles/units-county/{z}/{x}/{y}.mvt")
    assert document["vector_layers"][0]["id"] == "units-county"
    west, south, east, north = document["bounds"]
    assert west < lon < east and south < lat < north


# --- secrecy ----------------------------------------------------------------------------------------
def test_secret_place_is_published_generalised_only(api: httpx.Client, ordos_engine: Engine, tmp_path: Path) -> None:
    with transaction(ordos_engine) as conn:
        created = gazetteer.create_place(
            conn,
            name="试验水源地",
            category="8",
            unit="150603",
            point=GeoPoint.from_input(*SECRET_POINT, "EPSG:4490"),
            secrecy="secret",
            actor="test",
        )
    digits = re.compile(r"109\.7812|39\.6123")
    found = features(api, "place-names", name="试验水源地")
    assert len(found) == 1 and found[0]["properties"]["secrecy"] == "secret"
    assert found[0]["geometry"]["coordinates"] == pytest.approx([109.8, 39.6])
    for response in (
        items(api, "place-names", name="试验水源地"),
        items(api, "place-names", name="试验水源地", crs="EPSG:4490"),
        api.get(f"/ogc/collections/place-names/items/{created['id']}"),
        items(api, "place-names", name="试验水源地", f="csv"),
        items(api, "place-names", name="试验水源地", f="geojson"),
    ):
        assert response.status_code == 200 and "试验水源地" in response.content.decode("utf-8-sig")
        assert not digits.search(response.content.decode("utf-8-sig"))
    # The exact point does not find it either: the filter sees only the published geometry.
    exact = items(api, "place-names", filter=f"S_INTERSECTS(geom, POINT({SECRET_POINT[0]} {SECRET_POINT[1]}))")
    assert "试验水源地" not in exact.text
    # Nor does a bbox around the exact point (the index serves the published geometry only); one around the
    # generalised point does, in CRS84 and in the Gauss-Krüger zone.
    x, y = SECRET_POINT
    around_exact = ",".join(str(c) for c in (x - 0.001, y - 0.001, x + 0.001, y + 0.001))
    generalised = "109.799,39.599,109.801,39.601"
    east, north = Transformer.from_crs("EPSG:4490", "EPSG:4546", always_xy=True).transform(109.8, 39.6)
    gauss = {"bbox": f"{north - 50},{east - 50},{north + 50},{east + 50}", "bbox-crs": "EPSG:4546"}
    assert "试验水源地" not in items(api, "place-names", bbox=around_exact).text
    assert [f["id"] for f in features(api, "place-names", bbox=generalised, name="试验水源地")] == [created["id"]]
    assert [f["id"] for f in features(api, "place-names", name="试验水源地", **gauss)] == [created["id"]]
    # The stored published geometry follows the record: made public (proposed, approved by another), it is found at
    # its exact point.
    with transaction(ordos_engine) as conn:
        proposal = editing.update_place(
            conn, created["id"], version=created["version"], changes={"secrecy": "public"}, actor="t"
        ).answer
        editing.decide_secrecy_proposal(conn, proposal["id"], approve=True, actor="approver")
    assert [f["id"] for f in features(api, "place-names", bbox=around_exact, name="试验水源地")] == [created["id"]]
    assert features(api, "place-names", bbox=generalised, name="试验水源地") == []
    with transaction(ordos_engine) as conn:
        editing.update_place(
            conn, created["id"], version=created["version"] + 1, changes={"secrecy": "secret"}, actor="t"
        )
    # In the vector tiles it sits at the generalised point only: not in the tile of its exact point.
    assert tile_of(*SECRET_POINT, 16) != tile_of(109.8, 39.6, 16)
    for point, expected in ((SECRET_POINT, False), ((109.8, 39.6), True)):
        x, y = tile_of(*point, 16)
        tile = api.get(f"/tiles/place-names/16/{x}/{y}.mvt")
        assert tile.status_code == 200
        path = tmp_path / f"{x}-{y}.mvt"
        path.write_bytes(tile.content)
        names = set(gpd.read_file(path, engine="pyogrio")["name"]) if tile.content else set()
        assert ("试验水源地" in names) is expected


# --- index-friendly published SELECTs and a bounded numberMatched -------------------------------------------
# The units' published SELECT as it was before it was split into index-friendly parts (COALESCE of the latest
# registered polygon and the first reference point, through LATERAL joins): the reference the parts must match.
REFERENCE_UNITS = (
    "SELECT u.id, u.code, u.name, u.kind, u.parent_code, u.valid_from, u.valid_to, p.source AS polygon_source,"
    " CASE WHEN p.geom IS NOT NULL THEN 'polygon' WHEN pt.geom IS NOT NULL THEN 'point' END AS geometry_kind,"
    " ST_AsEWKB(COALESCE(p.geom, pt.geom)) AS wkb FROM admin_unit u LEFT JOIN LATERAL (SELECT source, geom"
    " FROM unit_polygon WHERE unit_code = u.code AND status = 'registered' AND period && u.period"
    " ORDER BY valid_from DESC LIMIT 1) p ON true LEFT JOIN LATERAL (SELECT geom FROM reference_point"
    " WHERE unit_code = u.code ORDER BY id LIMIT 1) pt ON p.geom IS NULL"
    " WHERE NOT u.is_grouping AND u.level = :level ORDER BY u.id"
)


def test_units_in_parts_publish_what_the_reference_select_gives(ordos_engine: Engine) -> None:
    with transaction(ordos_engine) as conn:
        # Hand-made fixture (not a real decision): 东胜区's registered polygon succeeded in 2024 by a smaller one,
        # so that a unit version overlaps two registered polygons and the latest must be the one published.
        conn.execute(
            text(
                "UPDATE unit_polygon SET valid_to = '2024-01-01' WHERE unit_code = '150602000000'"
                " AND status = 'registered' AND valid_to IS NULL"
            )
        )
        conn.execute(
            text(
                "INSERT INTO unit_polygon (unit_code, source, status, geom, valid_from) SELECT unit_code, source,"
                " 'registered', ST_Multi(ST_Buffer(geom, -0.01)), '2024-01-01' FROM unit_polygon"
                " WHERE unit_code = '150602000000' AND status = 'registered' AND valid_to = '2024-01-01'"
            )
        )
        collections = published(conn)
        for level in boundaries.LEVELS:
            collection = collections[f"units-{level}"]
            assert len(collection.parts) == 2
            columns = "id, code, name, kind, parent_code, valid_from, valid_to, polygon_source, geometry_kind"
            parts = conn.execute(
                text(f"SELECT {columns}, ST_AsEWKB(geom) AS wkb FROM ({collection.sql}) t ORDER BY id")  # noqa: S608
            ).all()
            reference = conn.execute(text(REFERENCE_UNITS), {"level": level}).all()
            assert parts == reference, level
            if level == "county":
                newest = conn.execute(
                    text(
                        "SELECT ST_AsEWKB(geom) FROM unit_polygon WHERE unit_code = '150602000000'"
                        " AND valid_from = '2024-01-01'"
                    )
                ).scalar_one()
                assert [r.wkb for r in parts if r.code == "150602000000"] == [newest]


def test_number_matched_is_left_out_beyond_the_count_cap(
    ordos_api: httpx.Client, counties: list[dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    total = items(ordos_api, "units-township", limit=1000).json()["numberMatched"]  # the last page: no count
    monkeypatch.setattr(ogc_service, "COUNT_CAP", 20)
    assert total > 20
    first = items(ordos_api, "units-township", limit=10).json()
    assert "numberMatched" not in first and first["numberReturned"] == 10
    assert any(link["rel"] == "next" for link in first["links"])
    last = items(ordos_api, "units-township", limit=10, offset=total - 3).json()
    assert last["numberMatched"] == total and last["numberReturned"] == 3
    assert not any(link["rel"] == "next" for link in last["links"])
    beyond = items(ordos_api, "units-township", limit=10, offset=total + 5).json()
    assert beyond["numberReturned"] == 0 and "numberMatched" not in beyond
    few = items(ordos_api, "units-county", limit=2).json()  # fewer than the cap: counted, with a next page
    assert few["numberMatched"] == len(counties) and any(link["rel"] == "next" for link in few["links"])
    page = ordos_api.get("/ogc/collections/units-township/items", params={"f": "html", "limit": 10})
    assert page.status_code == 200 and "10 of many features" in page.text


# --- the other contexts' collections ------------------------------------------------------------------
def test_findings_of_a_stored_check_and_facilities(api: httpx.Client, ordos_engine: Engine) -> None:
    from boundaries.checks import service as checks
    from facilities import registry as facilities
    from facilities.schemas import FacilityIn

    with transaction(ordos_engine) as conn:
        check = checks.run_topology_check(conn, parent="150600", level="county", actor="test")
        expected = checks.findings_geojson(conn, check["id"])["features"]
        # Hand-made, illustrative fixture (not a real facility).
        made = facilities.create_facility(
            conn,
            FacilityIn(
                name="示例养老院", kind="eldercare_institution", beds=80, lon=109.78, lat=39.61, illustrative=True
            ),
            actor="test",
        )
    found = features(api, "boundary-findings", check_id=check["id"], limit=10000)
    assert len(found) == len(expected) > 0
    assert {f["properties"]["check_id"] for f in found} == {check["id"]}
    assert {f["properties"]["kind"] for f in found} == {f["properties"]["kind"] for f in expected}
    other = items(api, "boundary-findings", check_id=check["id"] + 1).json()
    assert other["numberMatched"] == 0
    homes = features(api, "facilities", filter="kind = 'eldercare_institution' AND beds >= 80")
    assert [(f["id"], f["properties"]["name"], f["properties"]["illustrative"]) for f in homes] == [
        (made["id"], "示例养老院", True)
    ]
    assert homes[0]["geometry"]["coordinates"] == pytest.approx([109.78, 39.61])


def test_boundary_lines_and_markers(api: httpx.Client, ordos_engine: Engine, tmp_path: Path) -> None:
    from boundaries.lines import service as lines

    with transaction(ordos_engine) as conn:
        lines.derive_lines(conn, parent="150600", level="county", actor="test")
        expected = lines.list_lines(conn)
        shared = next(line for line in expected if line["line_key"] == "150602000000|150603000000")
        lon, lat = shapely.geometry.shape(shared["geometry"]).interpolate(0.5, normalized=True).coords[0]
        # A hand-made marker (not a real one) half-way along the 东胜区–康巴什区 line.
        markers_file = tmp_path / "markers.csv"
        markers_file.write_text(
            "number,unit_a,unit_b,type,x,y,crs,description\n"
            f"150602-150603-901,150602,150603,single,{lon:.9f},{lat:.9f},EPSG:4490,示例桩\n",
            encoding="utf-8",
        )
        lines.import_markers(conn, markers_file, actor="test")
    found = features(api, "boundary-lines", limit=10000)
    assert sorted(f["properties"]["line_key"] for f in found) == sorted(line["line_key"] for line in expected)
    assert {f["geometry"]["type"] for f in found} == {"MultiLineString"}
    markers = features(api, "boundary-markers", line_key=shared["line_key"])
    assert [(m["properties"]["number"], m["properties"]["description"]) for m in markers] == [
        ("150602-150603-901", "示例桩")
    ]
    assert markers[0]["geometry"]["coordinates"] == pytest.approx([lon, lat])
    archive = zipfile.ZipFile(io.BytesIO(items(api, "boundary-lines", f="shp").content))
    archive.extractall(tmp_path)
    assert len(gpd.read_file(tmp_path / "boundary-lines.shp", engine="pyogrio")) == len(expected)
