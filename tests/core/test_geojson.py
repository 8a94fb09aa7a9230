"""The one GeoJSON reader of the importers (core.geojson): FeatureCollection, stated CRS, ring closure (RFC 7946
section 3.1.6). Hand-made fixture documents."""

from __future__ import annotations

import json
from typing import Any

import pytest

from core.errors import InvalidInput
from core.geojson import feature_collection, require_closed_rings

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
