"""Value objects refuse bad input with a message naming the bad value."""

from __future__ import annotations

import math
from datetime import date
from typing import Any

import pytest

from core.errors import InvalidInput
from core.values import (
    GeoPoint,
    level_of_code,
    normalize_code,
    parent_of_code,
    parse_date,
    require_numeric_coordinates,
    significant_code,
)


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("15", "150000000000"),
        ("1506", "150600000000"),
        ("150603", "150603000000"),
        ("150603001", "150603001000"),
        (" 150603001001 ", "150603001001"),
        (150603, "150603000000"),
    ],
)
def test_codes_of_every_accepted_length(raw: str | int, code: str) -> None:
    assert normalize_code(raw) == code


@pytest.mark.parametrize(
    "raw", ["", "1", "150", "1506031", "15060300100", "1506030010011", "15060A", "-15060", "１５０６"]
)
def test_bad_codes_name_the_value(raw: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        normalize_code(raw)
    assert repr(raw.strip()) in caught.value.detail


def test_levels_and_parents_follow_the_code_structure() -> None:
    assert [level_of_code(normalize_code(c)) for c in ("15", "1506", "150603", "150603001", "150603001001")] == [
        "province",
        "city",
        "county",
        "township",
        "village",
    ]
    assert parent_of_code("150603001001") == "150603001000"
    assert parent_of_code("150603000000") == "150600000000"
    assert parent_of_code("150000000000") is None
    assert significant_code("150603001000") == "150603001"


def test_dates() -> None:
    assert parse_date("2023-06-30") == date(2023, 6, 30)
    assert parse_date(" 2023-06-30 ") == date(2023, 6, 30)
    assert parse_date(None) is None
    for bad in ("2023-13-01", "30.06.2023", "yesterday", "20230630", "2023-W26-5", "0", "2023-6-30"):
        with pytest.raises(InvalidInput, match=bad):
            parse_date(bad, "as_of")
    for number in (0, 20230630):  # a number is no date (not a Unix time either)
        with pytest.raises(InvalidInput, match="YYYY-MM-DD"):
            parse_date(number, "as_of")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("coordinates", "needle"),
    [
        ([0, False], "position [0, False]"),
        ([[109.7, 39.6], [109.8, "39.7"]], "position [109.8, '39.7']"),
        ([[[109.7, 39.6], [109.8, None]]], "position [109.8, None]"),
        ([[109.7, 39.6], 5], "hold 5"),
        ([], "hold an empty list"),
    ],
)
def test_geojson_positions_are_numbers(coordinates: Any, needle: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        require_numeric_coordinates(coordinates, "LineString")
    assert needle in caught.value.detail


def test_deeply_nested_coordinates_do_not_recurse() -> None:
    nested: Any = [109.7, 39.6]
    for _ in range(100_000):
        nested = [nested]
    require_numeric_coordinates(nested, "MultiPolygon")  # no RecursionError: checked iteratively


@pytest.mark.parametrize("bad", [False, True, "109.7", None, math.nan])
def test_a_point_coordinate_is_a_number(bad: Any) -> None:
    with pytest.raises(InvalidInput, match="not a finite number"):
        GeoPoint.from_input(bad, 39.6, "EPSG:4490")


def test_points_in_every_crs_land_in_storage_lon_lat() -> None:
    wgs = GeoPoint.from_input(109.78, 39.61, "EPSG:4326")
    assert (wgs.lon, wgs.lat) == (109.78, 39.61)
    gcj = GeoPoint.from_input(109.78, 39.61, "gcj02")
    assert 0.002 < abs(gcj.lon - 109.78) + abs(gcj.lat - 39.61) < 0.02  # a few hundred metres back
    gk = GeoPoint.from_input(500_000, 4_429_529.03, "EPSG:4545")
    assert math.isclose(gk.lon, 108.0, abs_tol=1e-7) and math.isclose(gk.lat, 40.0, abs_tol=1e-7)


@pytest.mark.parametrize(
    ("x", "y", "crs", "needle"),
    [
        (109.78, 109.0, "EPSG:4326", "latitude 109.0"),
        (39.61, 109.78, "EPSG:4326", "swapped"),
        (181.0, 39.6, "EPSG:4490", "longitude 181.0"),
        (float("nan"), 39.6, "EPSG:4490", "nan"),
        (109.78, float("inf"), "gcj02", "inf"),
        (109.78, 39.61, "EPSG:4545", "outside EPSG:4545"),
        (4_429_529.0, 500_000.0, "EPSG:4545", "swapped"),
        (109.78, 39.61, "EPSG:3857", "EPSG:3857"),
        (109.78, 39.61, None, "None"),
    ],
)
def test_bad_points(x: float, y: float, crs: str | None, needle: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        GeoPoint.from_input(x, y, crs)
    assert needle in caught.value.detail
