"""Individual graves (散埋乱葬, facility kind ``grave``) from a small hand-made fixture file (not real graves):
imported atomically with a CRS, audited, found inside prohibited-zone buffers beside cemeteries."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path
from typing import Any

import httpx
import pytest
from pyproj import Geod
from shapely.geometry import Point, shape
from sqlalchemy import Engine, inspect, text

from app import schema
from core.database import transaction
from core.errors import InvalidInput
from tests.facilities.test_coverage import ROAD, add
from tests.facilities.test_facilities import editor
from tests.maps.test_maps import geojson_layers

GRAVES = Path(__file__).resolve().parents[1] / "fixtures" / "graves_handmade_fixture.csv"
IMPORT = "/api/v1/facilities/import"
GRAVE_QUERY = {"source": "graves-fixture", "format": "csv", "crs": "EPSG:4490", "illustrative": "true"}


def import_graves(api: httpx.Client, headers: dict[str, str], content: bytes, **query: str) -> httpx.Response:
    return api.post(IMPORT, params={**GRAVE_QUERY, **query}, content=content, headers=headers)


def grave_count(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text("SELECT count(*) FROM facility WHERE kind = 'grave'")).scalar_one())


def test_graves_import_from_the_fixture_and_reimport_changes_nothing(api: httpx.Client, ordos_engine: Engine) -> None:
    headers = editor(ordos_engine)
    first = import_graves(api, headers, GRAVES.read_bytes())
    assert first.status_code == 200, first.text
    assert (first.json()["inserted"], first.json()["rejected"]) == (3, [])
    again = import_graves(api, headers, GRAVES.read_bytes())
    assert (again.json()["inserted"], again.json()["unchanged"]) == (0, 3)
    graves = api.get("/api/v1/facilities", params={"kind": "grave"}).json()
    assert sorted(g["external_id"] for g in graves) == ["G-001", "G-002", "G-003"]
    assert {g["kind_label"] for g in graves} == {"散埋乱葬坟墓"} and all(g["illustrative"] for g in graves)
    assert {g["unit_code"] for g in graves} == {"150603000000"}  # 康巴什区, found from the registered polygon
    with ordos_engine.connect() as conn:
        audited = conn.execute(
            text("SELECT count(*) FROM audit_log WHERE object_type = 'facility' AND object_id = 'graves-fixture'")
        ).scalar_one()
    assert audited == 2  # one row per import batch


def test_graves_in_gcj02_are_stored_in_cgcs2000(api: httpx.Client, ordos_engine: Engine) -> None:
    content = GRAVES.read_bytes()
    response = import_graves(api, editor(ordos_engine), content, crs="GCJ-02")
    assert response.status_code == 200, response.text
    stored = {g["external_id"]: g for g in api.get("/api/v1/facilities", params={"kind": "grave"}).json()}
    # GCJ-02 lies a few hundred metres north-east of CGCS2000 here: the stored point moves back south-west
    assert 109.740 < stored["G-001"]["lon"] < 109.750 and 39.600 < stored["G-001"]["lat"] < 39.6015


def test_cemeteries_and_graves_inside_prohibited_zones(api: httpx.Client, ordos_engine: Engine) -> None:
    headers = editor(ordos_engine)
    layer: dict[str, Any] = {"layer": "示例道路(fixture)", "layer_kind": "road", "buffer_m": 500, "crs": "EPSG:4490"}
    assert api.post(
        "/api/v1/prohibited-layers/import", params=layer, content=json.dumps(ROAD), headers=headers
    ).is_success
    assert import_graves(api, headers, GRAVES.read_bytes()).is_success
    cemetery = add(
        api, headers, name="近路公墓(fixture)", kind="cemetery", cemetery_type="public_welfare", lon=109.78, lat=39.602
    )
    result = api.get("/api/v1/coverage/prohibited-zones").json()
    assert "grave" in result["method"]
    hits = {h["facility_name"]: h for h in result["hits"]}
    graves = {g["external_id"]: g for g in api.get("/api/v1/facilities", params={"kind": "grave"}).json()}
    assert set(hits) == {cemetery["name"], graves["G-001"]["name"], graves["G-002"]["name"]}
    assert hits[graves["G-001"]["name"]]["facility_kind"] == "grave"
    assert hits[graves["G-001"]["name"]]["facility_kind_label"] == "散埋乱葬坟墓"
    assert hits[cemetery["name"]]["facility_kind"] == "cemetery"
    geod = Geod(ellps="GRS80")
    line = geod.npts(109.70, 39.60, 109.90, 39.60, 999)
    for external_id in ("G-001", "G-002"):
        grave = graves[external_id]
        expected = min(geod.inv(grave["lon"], grave["lat"], x, y)[2] for x, y in line)
        hit = hits[grave["name"]]
        assert hit["distance_m"] == pytest.approx(expected, abs=0.5)
        assert (hit["layer"], hit["width_m"], hit["facility_id"]) == ("示例道路(fixture)", 500, grave["id"])
    narrow = api.get("/api/v1/coverage/prohibited-zones?widths=road:300").json()["hits"]
    assert {h["facility_name"] for h in narrow} == {cemetery["name"], graves["G-001"]["name"]}
    rows = list(
        csv.DictReader(io.StringIO(api.get("/api/v1/coverage/prohibited-zones?format=csv").text.lstrip("\ufeff")))
    )
    assert sorted(r["facility_kind"] for r in rows) == ["cemetery", "grave", "grave"]


BAD_ROWS = [
    ("G-9,坟墓(fixture),grave,100.0,39.6,operating,", "outside Ordos"),
    ("G-9,坟墓(fixture),tomb,109.78,39.63,operating,", "tomb"),
    ("G-9,坟墓(fixture),grave,109.78,abc,operating,", "lat"),
    ("G-9,坟墓(fixture),grave,109.78,39.63,buried,", "status"),
    ("G-001,坟墓(fixture),grave,109.78,39.63,operating,", "appears twice"),
]


@pytest.mark.parametrize(("row", "needle"), BAD_ROWS)
def test_a_bad_grave_row_refuses_the_whole_file(api: httpx.Client, ordos_engine: Engine, row: str, needle: str) -> None:
    content = GRAVES.read_bytes().decode() + row + "\n"
    response = import_graves(api, editor(ordos_engine), content.encode())
    assert response.status_code == 422, response.text
    assert needle in response.text and "row 4" in response.text
    assert grave_count(ordos_engine) == 0
    skipped = import_graves(api, editor(ordos_engine, "ed2"), content.encode(), skip_invalid="true")
    assert (skipped.json()["inserted"], len(skipped.json()["rejected"])) == (3, 1)


@pytest.mark.parametrize(
    ("body", "needle"),
    [
        ({"beds": 2}, "has no beds"),
        ({"cemetery_type": "commercial"}, "cemetery_type"),
        ({"lon": 120.0}, "outside Ordos"),
        ({"crs": "EPSG:3857"}, "EPSG:3857"),
    ],
)
def test_bad_graves_through_the_api_write_nothing(
    api: httpx.Client, ordos_engine: Engine, body: dict[str, Any], needle: str
) -> None:
    record = {"name": "坟墓(fixture)", "kind": "grave", "lon": 109.78, "lat": 39.63, "crs": "EPSG:4490", **body}
    response = api.post("/api/v1/facilities", json=record, headers=editor(ordos_engine))
    assert response.status_code == 422, response.text
    assert needle in response.text
    assert grave_count(ordos_engine) == 0


def insert_grave(engine: Engine) -> None:
    with transaction(engine) as conn:
        conn.execute(
            text(
                "INSERT INTO facility (name, kind, unit_code, unit_method, geom) VALUES"
                " ('坟墓(fixture)', 'grave', '150603000000', 'declared', ST_SetSRID(ST_MakePoint(109.78, 39.63), 4490))"
            )
        )


def test_graves_come_and_go_with_migration_0008(engine: Engine) -> None:
    insert_grave(engine)
    schema.downgrade(engine, "0004")  # the facilities revision 0008 revises (and the merge 0014 after it)
    assert grave_count(engine) == 0 and "facility" in inspect(engine).get_table_names()
    with pytest.raises(InvalidInput, match="ck_facility_kind"):
        insert_grave(engine)
    schema.upgrade(engine)
    insert_grave(engine)
    assert grave_count(engine) == 1


def test_coverage_map_marks_graves_inside_zones(api: httpx.Client, ordos_engine: Engine) -> None:
    headers = editor(ordos_engine)
    layer: dict[str, Any] = {"layer": "示例河流(fixture)", "layer_kind": "river", "buffer_m": 500, "crs": "EPSG:4490"}
    assert api.post(
        "/api/v1/prohibited-layers/import", params=layer, content=json.dumps(ROAD), headers=headers
    ).is_success
    assert import_graves(api, headers, GRAVES.read_bytes()).is_success
    hit = next(h for h in api.get("/api/v1/coverage/prohibited-zones").json()["hits"] if "G-001" in h["facility_name"])
    page = api.get("/maps/coverage").text
    popups = [json.loads(p) for p in re.findall(r'bindPopup\(("(?:[^"\\]|\\.)*")', page)]
    marked = [p for p in popups if "G-001" in p and "示例河流(fixture)" in p]
    assert len(marked) == 1
    assert f"{hit['distance_m']:,.1f} m ≤ 500 m" in marked[0] and "散埋乱葬坟墓 grave" in marked[0]
    assert f'href="/api/v1/facilities/{hit["facility_id"]}"' in marked[0]
    graves = {g["external_id"]: g for g in api.get("/api/v1/facilities", params={"kind": "grave"}).json()}
    (buffer,) = [f for layer in geojson_layers(page) for f in layer["features"] if "width_m" in f["properties"]]
    assert buffer["properties"]["layer"] == "示例河流(fixture) (river)" and buffer["properties"]["width_m"] == 500
    zone = shape(buffer["geometry"])
    assert zone.contains(Point(graves["G-002"]["lon"], graves["G-002"]["lat"]))  # about 444 m from the line
    assert not zone.contains(Point(graves["G-003"]["lon"], graves["G-003"]["lat"]))
    narrow = api.get("/maps/coverage?widths=river:100").text
    (thin,) = [f for layer in geojson_layers(narrow) for f in layer["features"] if "width_m" in f["properties"]]
    assert thin["properties"]["width_m"] == 100
    assert not shape(thin["geometry"]).contains(Point(graves["G-002"]["lon"], graves["G-002"]["lat"]))
    assert "示例河流(fixture)" not in "".join(
        json.loads(p) for p in re.findall(r'bindPopup\(("(?:[^"\\]|\\.)*")', narrow)
    )
    assert api.get("/maps/coverage?widths=river:-1").status_code == 422
