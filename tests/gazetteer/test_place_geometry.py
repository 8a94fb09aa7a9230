"""Lines and polygons as place-name geometry through the live API: create and update with a GeoJSON geometry in
any accepted CRS, validated, returned in the record and the exports. Hand-made fixtures (试验… names at made-up
spots inside 康巴什区), not real records."""

from __future__ import annotations

import csv
from typing import Any

import httpx
import numpy as np
import pytest
from sqlalchemy import Engine, text

from core.crs import wgs84_to_gcj02
from tests.factories import api_key

CANAL = [[109.76, 39.60], [109.78, 39.61], [109.80, 39.62]]
LAKE = [[[109.77, 39.60], [109.79, 39.60], [109.79, 39.62], [109.77, 39.62], [109.77, 39.60]]]


def gcj(lon: float, lat: float) -> list[float]:
    x, y = wgs84_to_gcj02(lon, lat)
    return [float(x), float(y)]


def flat(coordinates: Any) -> list[float]:
    return [float(v) for v in np.asarray(coordinates, dtype=float).ravel()]


def counts(engine: Engine) -> tuple[int, int, int]:
    with engine.connect() as conn:
        return (
            conn.execute(text("SELECT count(*) FROM place_name")).scalar_one(),
            conn.execute(text("SELECT coalesce(sum(version), 0) FROM place_name")).scalar_one(),
            conn.execute(text("SELECT count(*) FROM audit_log WHERE object_type = 'place_name'")).scalar_one(),
        )


@pytest.fixture
def editor(ordos_engine: Engine) -> dict[str, str]:
    return api_key(ordos_engine, "editor", "editor")


def propose(api: httpx.Client, headers: dict[str, str], name: str, geometry: dict[str, Any], **extra: Any) -> Any:
    body = {"name": name, "category": extra.pop("category", "7"), "unit": "150603", "geometry": geometry, **extra}
    return api.post("/api/v1/places", headers=headers, json=body)


def test_line_and_polygon_records_round_trip(api: httpx.Client, ordos_engine: Engine, editor: dict[str, str]) -> None:
    canal = propose(api, editor, "试验渠", {"type": "LineString", "coordinates": CANAL, "crs": "EPSG:4490"})
    assert canal.status_code == 201, canal.text
    record = canal.json()
    assert record["geometry_type"] == "LINESTRING" and record["geometry"]["type"] == "LineString"
    assert flat(record["geometry"]["coordinates"]) == pytest.approx(flat(CANAL))
    assert record["point"] is not None  # a point on the line for the hit lists
    # a polygon given in GCJ-02 (as a map vendor draws it) is stored at the EPSG:4490 positions it stands for
    ring = [[gcj(*p) for p in LAKE[0]]]
    lake = propose(api, editor, "试验湖", {"type": "Polygon", "coordinates": ring, "crs": "GCJ-02"}, category="1")
    assert lake.status_code == 201, lake.text
    assert flat(lake.json()["geometry"]["coordinates"]) == pytest.approx(flat(LAKE), abs=1e-7)
    multi = {"type": "MultiPolygon", "coordinates": [LAKE, [[[109.80, 39.60], [109.81, 39.60], [109.81, 39.61],
                                                            [109.80, 39.60]]]], "crs": "EPSG:4326"}  # fmt: skip
    assert propose(api, editor, "试验湖群", multi, category="1").json()["geometry"]["type"] == "MultiPolygon"
    lines = {"type": "MultiLineString", "coordinates": [CANAL, [[109.77, 39.61], [109.78, 39.62]]]}
    assert propose(api, editor, "试验渠系", lines).json()["geometry_type"] == "MULTILINESTRING"

    # update: the canal becomes a polygon (its banks), version bumped, audited
    url = f"/api/v1/places/{record['id']}"
    before = counts(ordos_engine)
    banks = {"type": "Polygon", "coordinates": [[[109.76, 39.60], [109.80, 39.62], [109.80, 39.621], [109.76, 39.60]]]}
    updated = api.patch(url, headers=editor, json={"version": 1, "geometry": banks})
    assert updated.status_code == 200, updated.text
    assert updated.json()["version"] == 2 and updated.json()["geometry"]["type"] == "Polygon"
    assert counts(ordos_engine)[1:] == (before[1] + 1, before[2] + 1)

    # exports carry the whole public geometry: GeoJSON as it is, CSV as WKT beside a point
    approval = {"version": 2, "approving_body": "康巴什区人民政府", "document_number": "康府发〔2026〕8号"}
    assert api.post(f"{url}/approve", headers=api_key(ordos_engine, "approver", "approver"), json=approval).is_success
    geo = api.get("/api/v1/places/search", params={"q": "试验渠", "format": "geojson"}).json()
    assert geo["features"][0]["geometry"]["type"] == "Polygon"
    exported = api.get("/api/v1/places/search", params={"q": "试验渠", "format": "csv"})
    rows = list(csv.DictReader(exported.content.decode("utf-8-sig").splitlines()))
    assert rows[0]["name"] == "试验渠" and rows[0]["wkt"].startswith("POLYGON ((109.76 39.6")


@pytest.mark.parametrize(
    ("geometry", "needle"),
    [
        ({"type": "Polygon", "coordinates": [LAKE[0][:-1]]}, "not closed"),
        ({"type": "Polygon", "coordinates": [[[109.77, 39.6], [109.79, 39.6], [109.77, 39.6]]]}, "4 positions"),
        ({"type": "Polygon", "coordinates": [[[109.77, 39.60], [109.79, 39.62], [109.79, 39.60], [109.77, 39.62],
                                              [109.77, 39.60]]]}, "Self-intersection"),
        ({"type": "LineString", "coordinates": [[109.77, 39.6], [109.77, 39.6]]}, "Too few points"),
        ({"type": "LineString", "coordinates": [[109.77, 39.6]]}, "LineString"),
        ({"type": "LineString", "coordinates": [[39.6, 109.77], [39.61, 109.78]]}, "109.77"),
        ({"type": "LineString", "coordinates": [[116.40, 39.90], [116.41, 39.91]]}, "outside unit 150603"),
        ({"type": "LineString", "coordinates": [[109.76 + i * 1e-6, 39.6] for i in range(20_001)]}, "20,000"),
        ({"type": "LineString", "coordinates": CANAL, "crs": "EPSG:3857"}, "EPSG:3857"),
        ({"type": "GeometryCollection", "coordinates": []}, "GeometryCollection"),
        ({"type": "LineString", "coordinates": [["a", "b"], [1, 2]]}, "LineString"),
    ],
)  # fmt: skip
def test_bad_geometries_are_refused(
    api: httpx.Client, ordos_engine: Engine, editor: dict[str, str], geometry: dict[str, Any], needle: str
) -> None:
    before = counts(ordos_engine)
    response = propose(api, editor, "试验渠", geometry)
    assert response.status_code == 422, response.text
    assert needle in response.json()["detail"], response.json()["detail"]
    assert counts(ordos_engine) == before


def test_point_and_geometry_together_and_bad_updates(
    api: httpx.Client, ordos_engine: Engine, editor: dict[str, str]
) -> None:
    both = {"name": "试验渠", "category": "7", "unit": "150603", "point": {"lon": 109.78, "lat": 39.61},
            "geometry": {"type": "LineString", "coordinates": CANAL}}  # fmt: skip
    before = counts(ordos_engine)
    response = api.post("/api/v1/places", headers=editor, json=both)
    assert response.status_code == 422 and "not both" in response.json()["detail"], response.text
    assert counts(ordos_engine) == before
    created = propose(api, editor, "试验渠", {"type": "LineString", "coordinates": CANAL}).json()
    url = f"/api/v1/places/{created['id']}"
    before = counts(ordos_engine)
    for body, status, needle in (
        ({"version": 1, "geometry": {"type": "Polygon", "coordinates": [LAKE[0][:-1]]}}, 422, "not closed"),
        ({"version": 1, "geometry": {"type": "LineString", "coordinates": [[110.9, 39.0], [111.0, 39.1]]}}, 422,
         "outside unit 150603"),
        ({"version": 9, "geometry": {"type": "LineString", "coordinates": CANAL}}, 409, "version"),
    ):  # fmt: skip
        answer = api.patch(url, headers=editor, json=body)
        assert answer.status_code == status and needle in answer.json()["detail"], answer.text
    assert counts(ordos_engine) == before
    assert flat(api.get(url).json()["geometry"]["coordinates"]) == pytest.approx(flat(CANAL))
