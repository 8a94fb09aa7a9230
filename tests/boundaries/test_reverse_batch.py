"""Batch reverse lookup: many points in one request, answered from the in-process polygon index."""

from __future__ import annotations

import httpx
import numpy as np
import pytest
from sqlalchemy import Engine

from core.crs import wgs84_to_gcj02
from tests.factories import api_key

URL = "/api/v1/reverse/batch"


def random_points(n: int, seed: int = 3) -> list[list[float]]:
    rng = np.random.default_rng(seed)
    return np.column_stack([rng.uniform(106.5, 111.7, n), rng.uniform(37.4, 41.0, n)]).round(6).tolist()


def test_batch_agrees_with_single_lookups(api: httpx.Client, ordos_engine: Engine) -> None:
    headers = api_key(ordos_engine, "insp", "inspector")
    points = random_points(60)
    body = api.post(URL, headers=headers, json={"crs": "EPSG:4326", "points": points}).json()
    assert body["count"] == 60 and 0 < body["found"] < 60  # the box spills outside the city
    for (lon, lat), index in zip(points, body["results"], strict=True):
        single = api.get("/api/v1/reverse", params={"lon": lon, "lat": lat})
        if index is None:
            assert single.status_code == 404
        else:
            deepest = single.json()["path"][-1]
            assert body["units"][index]["code"] == deepest["code"]


def test_gcj02_input_finds_the_same_units(api: httpx.Client, ordos_engine: Engine) -> None:
    headers = api_key(ordos_engine, "insp", "inspector")
    points = random_points(500, seed=5)
    wgs = api.post(URL, headers=headers, json={"points": points}).json()
    glon, glat = wgs84_to_gcj02(np.array([p[0] for p in points]), np.array([p[1] for p in points]))
    gcj = api.post(URL, headers=headers, json={"crs": "gcj02", "points": np.column_stack([glon, glat]).tolist()}).json()
    codes = [None if i is None else wgs["units"][i]["code"] for i in wgs["results"]]
    assert codes == [None if i is None else gcj["units"][i]["code"] for i in gcj["results"]]


def test_index_follows_a_new_registered_polygon(api: httpx.Client, ordos_engine: Engine) -> None:
    """A township polygon registered through the API (hand-made fixture square) is used at once."""
    headers = api_key(ordos_engine, "appr", "approver")
    point = [[109.78, 39.61]]
    before = api.post(URL, headers=headers, json={"points": point}).json()
    assert before["units"][before["results"][0]]["level"] == "county"
    square = {
        "type": "Polygon",
        "coordinates": [[[109.77, 39.60], [109.79, 39.60], [109.79, 39.62], [109.77, 39.62], [109.77, 39.60]]],
    }
    township = "150603001000"
    created = api.post(
        f"/api/v1/units/{township}/polygons",
        headers=headers,
        json={
            "geometry": square,
            "crs": "EPSG:4490",
            "source": "fixture-square",
            "status": "registered",
            "valid_from": "2024-01-01",
        },
    )
    assert created.status_code == 201, created.text
    after = api.post(URL, headers=headers, json={"points": point}).json()
    assert after["units"][after["results"][0]]["code"] == township


@pytest.mark.parametrize(
    ("body", "needle"),
    [
        ({"points": [[109.78, 39.61], [109.78, 109.0]]}, "109.0"),
        ({"points": [[109.78, 39.61], [39.61, 109.78]]}, "swapped"),
        ({"crs": "wgs84", "points": [[109.78, 39.61]]}, "wgs84"),
        ({"points": []}, "points"),
        ({"points": [[109.78]]}, "points"),
        ({"points": [["a", 39.6]]}, "points"),
        ({"crs": "EPSG:4545", "points": [[109.78, 39.61]]}, "EPSG:4545"),
    ],
)
def test_bad_batches(api: httpx.Client, ordos_engine: Engine, body: dict, needle: str) -> None:
    headers = api_key(ordos_engine, "insp", "inspector")
    response = api.post(URL, headers=headers, json=body)
    assert response.status_code == 422, response.text
    assert needle in response.json()["detail"]


def test_the_batch_answers_for_a_date(api: httpx.Client, ordos_engine: Engine) -> None:
    """``as_of`` picks the polygons valid on that date, as the single reverse does (hand-made fixture square valid
    from 2024-01-01): before it the banner, from it the township, in the batch and in /api/v1/reverse alike."""
    headers = api_key(ordos_engine, "appr", "approver")
    square = {
        "type": "Polygon",
        "coordinates": [[[109.77, 39.60], [109.79, 39.60], [109.79, 39.62], [109.77, 39.62], [109.77, 39.60]]],
    }
    created = api.post(
        "/api/v1/units/150603001000/polygons",
        headers=headers,
        json={
            "geometry": square,
            "crs": "EPSG:4490",
            "source": "fixture-square",
            "status": "registered",
            "valid_from": "2024-01-01",
        },
    )
    assert created.status_code == 201, created.text
    for day, level in (("2023-12-31", "county"), ("2024-01-01", "township")):
        batch = api.post(URL, headers=headers, json={"points": [[109.78, 39.61]], "as_of": day}).json()
        assert batch["as_of"] == day
        found = batch["units"][batch["results"][0]]
        assert found["level"] == level
        single = api.get("/api/v1/reverse", params={"lon": 109.78, "lat": 39.61, "as_of": day}).json()
        assert single["path"][-1]["code"] == found["code"]
    bad = api.post(URL, headers=headers, json={"points": [[109.78, 39.61]], "as_of": "2024-13-01"})
    assert bad.status_code == 422 and "2024-13-01" in bad.text
