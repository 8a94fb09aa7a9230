"""The one GeoJSON reader of the importers and routes (core.geojson): FeatureCollection, stated CRS, geometries
(RFC 7946 section 3.1), ring closure (section 3.1.6). Hand-made fixture documents."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.errors import InvalidInput
from core.geojson import GEOMETRY_DEPTHS, feature_collection, geometry, require_closed_rings

SQUARE = [[109.0, 39.0], [109.1, 39.0], [109.1, 39.1], [109.0, 39.0]]


def collection(**members: Any) -> str:
    return json.dumps({"type": "FeatureCollection", "features": [], **members})


@pytest.mark.parametrize(
    ("crs_name", "stated"),
    [("urn:ogc:def:crs:EPSG::4490", "EPSG:4490"), ("EPSG:4326", "EPSG:4326"), (None, None)],
)
def test_the_stated_crs_is_read(crs_name: str | None, stated: str | None) -> None:
    member = {"crs": {"type": "name", "properties": {"name": crs_name}}} if crs_name else {}
    features, found = feature_collection(collection(**member), "fixture.geojson")
    assert (features, found) == ([], stated)


def test_features_come_back_as_found() -> None:
    odd = [{"type": "Feature", "geometry": None, "properties": {}}, 5, "x"]
    assert feature_collection(collection(features=odd), "fixture.geojson")[0] == odd


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (json.dumps({"type": "Feature"}), "expected a GeoJSON FeatureCollection"),
        (json.dumps([1, 2]), "expected a GeoJSON FeatureCollection"),
        (collection(features=5), "no list of features"),
        ("{not json", "fixture.geojson"),
    ],
)
def test_bad_documents_are_refused_naming_the_file(text: str, message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        feature_collection(text, "fixture.geojson")


@pytest.mark.parametrize(
    ("kind", "coordinates", "message"),
    [
        ("Polygon", [SQUARE[:-1] + [[109.0, 39.05]]], "not closed"),
        ("Polygon", [SQUARE[:2] + [SQUARE[0]]], "at least 4 positions"),
        ("MultiPolygon", [[SQUARE], [SQUARE[:-1] + [[109.0, 39.05]]]], "not closed"),
        ("Polygon", [SQUARE, [[109.02, 39.02], [109.03, 39.02], [109.02, 39.02]]], "at least 4 positions"),
    ],
)
def test_open_or_short_rings_are_refused(kind: str, coordinates: Any, message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        require_closed_rings(kind, coordinates)


@pytest.mark.parametrize(
    ("kind", "coordinates"),
    [("Polygon", [SQUARE]), ("MultiPolygon", [[SQUARE]]), ("LineString", SQUARE[:2]), ("Polygon", "junk")],
)
def test_closed_rings_and_other_shapes_pass(kind: str, coordinates: Any) -> None:
    require_closed_rings(kind, coordinates)


@pytest.mark.parametrize(
    ("value", "wkt"),
    [
        ({"type": "Point", "coordinates": [109.0, 39]}, "POINT (109 39)"),
        ({"type": "Point", "coordinates": [109.0, 39, 1200.5], "bbox": [0, 0, 1, 1]}, "POINT Z (109 39 1200.5)"),
        ({"type": "MultiPoint", "coordinates": []}, "MULTIPOINT EMPTY"),
        ({"type": "LineString", "coordinates": SQUARE[:2]}, "LINESTRING (109 39, 109.1 39)"),
        ({"type": "MultiLineString", "coordinates": [SQUARE[:2]]}, "MULTILINESTRING ((109 39, 109.1 39))"),
        ({"type": "Polygon", "coordinates": [SQUARE]}, "POLYGON ((109 39, 109.1 39, 109.1 39.1, 109 39))"),
        (
            {"type": "MultiPolygon", "coordinates": [[SQUARE]]},
            "MULTIPOLYGON (((109 39, 109.1 39, 109.1 39.1, 109 39)))",
        ),
    ],
)
def test_geometries_are_read(value: dict[str, Any], wkt: str) -> None:
    assert geometry(value, "fixture").wkt == wkt


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ([109, 39], "fixture: a geometry must be a GeoJSON geometry object, not list"),
        ({"type": "Circle", "coordinates": [109, 39]}, "geometry type 'Circle' is not one of Point"),
        ({"type": "GeometryCollection", "geometries": []}, "is not one of"),
        ({"type": "Point"}, "Point coordinates need a list where they hold None"),
        (
            {"type": "Point", "coordinates": ["109", 39]},
            r"Point coordinates: not a position \(2 or 3 finite numbers\): \['109', 39\]",
        ),
        ({"type": "Point", "coordinates": [109]}, "not a position"),
        ({"type": "Point", "coordinates": [109, 39, 1, 2]}, "not a position"),
        ({"type": "Point", "coordinates": [True, 39]}, "not a position"),
        ({"type": "Point", "coordinates": [float("nan"), 39]}, "not a position"),
        ({"type": "Point", "coordinates": [10**400, 39]}, "not a position"),
        ({"type": "Point", "coordinates": [[109, 39]]}, "not a position"),
        ({"type": "MultiPoint", "coordinates": [109, 39]}, "MultiPoint coordinates need a list where they hold 109"),
        ({"type": "LineString", "coordinates": [[109, 39]]}, "a line needs at least 2 positions, got 1"),
        ({"type": "MultiLineString", "coordinates": [SQUARE[:2], []]}, "a line needs at least 2 positions, got 0"),
        ({"type": "Polygon", "coordinates": [SQUARE[:-1] + [[109.0, 39.05]]]}, "fixture: polygon ring is not closed"),
        ({"type": "MultiPolygon", "coordinates": [[SQUARE[:3]]]}, "a polygon ring needs at least 4 positions"),
    ],
)
def test_bad_geometries_are_refused_naming_where(value: Any, message: str) -> None:
    with pytest.raises(InvalidInput, match=message) as refused:
        geometry(value, "fixture")
    assert refused.value.detail.startswith("fixture: ")


NUMBERS = st.one_of(st.integers(), st.floats(allow_nan=True, allow_infinity=True), st.booleans())
JSON = st.recursive(
    st.one_of(st.none(), NUMBERS, st.text(max_size=3)),
    lambda inner: st.one_of(st.lists(inner, max_size=5), st.dictionaries(st.text(max_size=3), inner, max_size=3)),
    max_leaves=30,
)


@settings(max_examples=400, deadline=None, database=None)
@given(kind=st.sampled_from([*GEOMETRY_DEPTHS, "GeometryCollection"]), coordinates=JSON)
def test_any_json_is_read_or_refused_with_a_message(kind: str, coordinates: Any) -> None:
    try:
        geometry({"type": kind, "coordinates": coordinates}, "fuzzed")
    except InvalidInput as refused:
        assert refused.detail.startswith("fuzzed: ")
