"""CSV exports are safe to open in Excel (OWASP CSV injection): formula-like text planted through the API in every
user-editable name reaches every CSV route and CLI command neutralised (a leading single quote); numbers stay
numbers. Hand-made fixtures inside 康巴什区, not real records."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine

from app.main import create_app
from core.exports import FORMULA_STARTS, csv_text
from tests.factories import api_key, gaz

PROJECT = Path(__file__).resolve().parents[2]
GAZ = PROJECT / ".venv" / "bin" / "gaz"
HYPERLINK = '=HYPERLINK("http://x","y")'
PLACE = "试验公式渠"
PAYLOADS = (HYPERLINK, "+1", "@SUM(A1)", "-2+3")
NUMBER = re.compile(r"^-?\d+(\.\d+)?([eE][+-]?\d+)?$")
POINT = {"lon": 109.78, "lat": 39.602, "crs": "EPSG:4490"}  # inside 康巴什区, 0.002° north of the road below
ROAD = {  # a hand-made east-west line through 康巴什区, not a real road
    "type": "FeatureCollection",
    "features": [
        {
            "type": "Feature",
            "properties": {"id": "r1", "name": HYPERLINK},
            "geometry": {"type": "LineString", "coordinates": [[109.70, 39.60], [109.90, 39.60]]},
        }
    ],
}
SQUARE = {  # a small hand-made square inside 康巴什区 (EPSG:4490 lon/lat)
    "type": "Polygon",
    "coordinates": [[[109.77, 39.60], [109.79, 39.60], [109.79, 39.62], [109.77, 39.62], [109.77, 39.60]]],
}


def csv_routes() -> set[str]:
    """Every path whose OpenAPI document declares a CSV answer (a new CSV route fails the test until covered)."""
    paths = create_app().openapi()["paths"]
    return {
        path
        for path, ops in paths.items()
        for op in ops.values()
        if "text/csv" in op.get("responses", {}).get("200", {}).get("content", {})
    }


def cells(content: bytes | str) -> list[dict[str, str]]:
    """The rows of a CSV export (UTF-8 with a byte-order mark)."""
    text_ = content.decode("utf-8") if isinstance(content, bytes) else content
    csv.field_size_limit(64 * 1024 * 1024)  # the WKT of a banner's polygon is longer than the default 128 KiB
    assert text_.startswith("\ufeff"), text_[:80]
    return list(csv.DictReader(io.StringIO(text_[1:], newline="")))


# What the viewer posts to its CSV export: features as drawn, their properties as the page holds them (a name
# or note a user typed anywhere in the service reaches the export this way).
DRAWN = {
    "type": "FeatureCollection",
    "features": [
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [109.78, 39.61]},
            "properties": {"layer": "-2+3", "name": HYPERLINK, "note": "@SUM(A1)", "count": -3},
        }
    ],
}


def assert_safe(rows: list[dict[str, str]], where: str) -> None:
    """No cell starts a formula: every cell beginning with = + - @ tab or CR is a plain number."""
    for row in rows:
        for column, value in row.items():
            if value and value.startswith(FORMULA_STARTS):
                assert NUMBER.match(value), f"{where}: {column}={value!r} would run as a formula"


def assert_planted(rows: list[dict[str, str]], column: str, payload: str, where: str) -> None:
    """``payload`` was planted in ``column``: it arrives as text behind a single quote."""
    assert "'" + payload in {r[column] for r in rows}, f"{where}: {column} = {[r[column] for r in rows]}"


@pytest.fixture
def planted(api: httpx.Client, ordos_engine: Engine) -> None:
    """Formula-like text in every user-editable name that reaches a CSV: a place (name, meaning, origin,
    history, approval), a sign (inventory number, printed name and romanization), a cemetery (name, address,
    operator) inside a prohibited-zone layer (layer and feature name), and a draft polygon's source. A place's
    own name cannot hold one: it must have a reading (romanization), which = + - @ have not."""
    editor, approver = api_key(ordos_engine, "ed", "editor"), api_key(ordos_engine, "ap", "approver")
    proposal = {
        "name": PLACE,
        "category": "7",
        "unit": "150603",
        "point": POINT,
        "meaning": "+1",
        "origin": "@SUM(A1)",
        "history": "-2+3",
        "tags": ["试验表"],
    }
    place = api.post("/api/v1/places", json=proposal, headers=editor)
    assert place.status_code == 201, place.text
    decision = {"version": place.json()["version"], "approving_body": "@SUM(A1)", "document_number": "-2+3"}
    approved = api.post(f"/api/v1/places/{place.json()['id']}/approve", json=decision, headers=approver)
    assert approved.status_code == 200, approved.text
    sign = {
        "inventory_no": "-2+3",
        "place_name_id": place.json()["id"],
        "printed_name": "@SUM(A1)",
        "printed_romanization": "+1",
        "condition": "good",
        "point": POINT,
    }
    created = api.post("/api/v1/signs", json=sign, headers=editor)
    assert created.status_code == 201, created.text
    layer: dict[str, str | int] = {"layer": "-2+3", "layer_kind": "road", "buffer_m": 500, "crs": "EPSG:4490"}
    imported = api.post("/api/v1/prohibited-layers/import", params=layer, content=json.dumps(ROAD), headers=editor)
    assert imported.status_code == 200, imported.text
    cemetery = {
        "name": HYPERLINK,
        "kind": "cemetery",
        "cemetery_type": "public_welfare",
        "address": "+1",
        "operator": "@SUM(A1)",
        "illustrative": True,
        **POINT,
    }
    facility = api.post("/api/v1/facilities", json=cemetery, headers=editor)
    assert facility.status_code == 201, facility.text
    polygon = {
        "source": "@SUM(A1)",
        "status": "draft",
        "geometry": SQUARE,
        "crs": "EPSG:4490",
        "valid_from": "2026-01-01",
    }
    drafted = api.post("/api/v1/units/150603/polygons", json=polygon, headers=editor)
    assert drafted.status_code == 201, drafted.text


def test_one_csv_writer_neutralises_text_and_keeps_numbers() -> None:
    """OWASP's rule on text cells only: numbers (a negative longitude too) stay numbers, a number-like text does
    not (it is text in the source), and None is empty."""
    written = csv_text(
        ["a", "b", "c", "d", "e", "f"], [[-0.5, "-3", "\t=1", "\r=1", None, "普通"], [3, 2.5, "", "x", "'", "-"]]
    )
    assert written.startswith("\ufeff") and written.endswith("\r\n")
    rows = list(csv.reader(io.StringIO(written[1:], newline="")))
    assert rows == [
        ["a", "b", "c", "d", "e", "f"],
        ["-0.5", "'-3", "'\t=1", "'\r=1", "", "普通"],
        ["3", "2.5", "", "x", "'", "'-"],
    ]


@pytest.mark.usefixtures("planted")
def test_every_csv_route_neutralises_formulas(api: httpx.Client) -> None:
    """Each CSV route of the OpenAPI document and every OGC collection as f=csv: the planted cells start with a
    single quote, no cell starts a formula, and numeric columns parse as numbers."""
    covered = {
        "/api/v1/places/search": api.get("/api/v1/places/search", params={"q": PLACE, "format": "csv"}),
        "/api/v1/lists/{tag}": api.get("/api/v1/lists/试验表", params={"format": "csv"}),
        "/api/v1/places/exchange": api.get("/api/v1/places/exchange", params={"unit": "150603"}),
        "/api/v1/signs/check": api.get("/api/v1/signs/check", params={"format": "csv"}),
        "/api/v1/coverage/burial": api.get("/api/v1/coverage/burial", params={"unit": "150603", "format": "csv"}),
        "/api/v1/coverage/eldercare": api.get("/api/v1/coverage/eldercare", params={"unit": "150603", "format": "csv"}),
        "/api/v1/coverage/eldercare/uncovered": api.get(
            "/api/v1/coverage/eldercare/uncovered", params={"unit": "150603", "format": "csv"}
        ),
        "/api/v1/coverage/beds": api.get("/api/v1/coverage/beds", params={"format": "csv"}),
        "/api/v1/coverage/prohibited-zones": api.get("/api/v1/coverage/prohibited-zones", params={"format": "csv"}),
        "/api/v1/boundaries/hazards": api.get("/api/v1/boundaries/hazards", params={"unit": "150603", "format": "csv"}),
        "/api/v1/reports/facilities": api.get("/api/v1/reports/facilities", params={"format": "csv"}),
        "/maps/export.csv": api.post("/maps/export.csv", json=DRAWN),
    }
    assert set(covered) == csv_routes()
    exported = {}
    for path, response in covered.items():
        assert response.status_code == 200, (path, response.text)
        assert response.headers["content-type"].startswith("text/csv"), path
        exported[path] = cells(response.content)
        assert_safe(exported[path], path)
    search, listed = exported["/api/v1/places/search"], exported["/api/v1/lists/{tag}"]
    for rows, where in ((search, "search"), (listed, "list")):
        assert PLACE in {r["name"] for r in rows}, where
        assert all(NUMBER.match(r["lon"]) and NUMBER.match(r["lat"]) and r["id"].isdigit() for r in rows), where
    filed = exported["/api/v1/places/exchange"]
    for column, payload in (("含义", "+1"), ("来历", "@SUM(A1)"), ("历史沿革", "-2+3")):
        assert_planted(filed, column, payload, "exchange")
    assert_planted(filed, "批准机关", "@SUM(A1)", "exchange")
    assert_planted(filed, "批准文号", "-2+3", "exchange")
    assert all(NUMBER.match(r["经度"]) and NUMBER.match(r["纬度"]) for r in filed if r["经度"])
    checked = exported["/api/v1/signs/check"]
    for column, payload in (("inventory_no", "-2+3"), ("sign_says", "@SUM(A1)")):
        assert_planted(checked, column, payload, "sign check")
    assert all(NUMBER.match(r["lon"]) and NUMBER.match(r["lat"]) for r in checked)
    zones = exported["/api/v1/coverage/prohibited-zones"]
    for column, payload in (("layer", "-2+3"), ("feature_name", HYPERLINK), ("facility_name", HYPERLINK)):
        assert_planted(zones, column, payload, "prohibited zones")
    assert zones and all(NUMBER.match(r[c]) for r in zones for c in ("distance_m", "width_m", "lon", "lat"))
    drawn = exported["/maps/export.csv"]
    for column, payload in (("layer", "-2+3"), ("name", HYPERLINK), ("note", "@SUM(A1)")):
        assert_planted(drawn, column, payload, "viewer export")
    assert all(NUMBER.match(r["经度 lon (CGCS2000)"]) and NUMBER.match(r["纬度 lat (CGCS2000)"]) for r in drawn)


@pytest.mark.usefixtures("planted")
def test_every_ogc_collection_as_csv_neutralises_formulas(api: httpx.Client) -> None:
    """f=csv of every published collection (facilities, signs, place names, polygons of each source...)."""
    collections = [c["id"] for c in api.get("/ogc/collections", params={"f": "json"}).json()["collections"]]
    expected = {
        "facilities": ("name", HYPERLINK),
        "place-signs": ("printed_name", "@SUM(A1)"),
        "polygons-sum-a1": ("source", "@SUM(A1)"),
    }
    assert set(expected) <= set(collections)
    for collection in collections:
        response = api.get(f"/ogc/collections/{collection}/items", params={"f": "csv", "limit": 10000})
        assert response.status_code == 200, (collection, response.text)
        rows = cells(response.content)
        assert_safe(rows, collection)
        if collection in expected:
            assert_planted(rows, *expected[collection], collection)
            assert all(r["id"].lstrip("-").isdigit() for r in rows), collection
    facilities = cells(api.get("/ogc/collections/facilities/items", params={"f": "csv"}).content)
    assert_planted(facilities, "address", "+1", "facilities")
    assert_planted(facilities, "operator", "@SUM(A1)", "facilities")


@pytest.mark.usefixtures("planted")
def test_every_csv_cli_command_neutralises_formulas(api: httpx.Client, ordos_engine: Engine, tmp_path: Path) -> None:
    """The CLI writes its CSV with the same function: gaz export, gaz places exchange, gaz signs check, gaz
    facilities coverage --csv."""
    exported = tmp_path / "facilities.csv"
    done = gaz(ordos_engine, "export", "facilities", "--format", "csv", "--out", exported)
    assert done.returncode == 0, done.stderr
    rows = cells(exported.read_bytes())
    assert_safe(rows, "gaz export")
    assert_planted(rows, "name", HYPERLINK, "gaz export")

    filed = tmp_path / "exchange.csv"
    done = gaz(ordos_engine, "places", "exchange", "--unit", "150603", "--output", filed)
    assert done.returncode == 0, done.stderr
    rows = cells(filed.read_bytes())
    assert_safe(rows, "gaz places exchange")
    assert_planted(rows, "含义", "+1", "gaz places exchange")

    checked = tmp_path / "check.csv"
    done = gaz(ordos_engine, "signs", "check", "--format", "csv", "--out", checked)
    assert done.returncode == 0, done.stderr
    rows = cells(checked.read_bytes())
    assert_safe(rows, "gaz signs check")
    assert_planted(rows, "sign_says", "@SUM(A1)", "gaz signs check")

    zones = gaz(ordos_engine, "facilities", "coverage", "zones", "--csv")
    assert zones.returncode == 0, zones.stderr
    rows = cells(zones.stdout)
    assert_safe(rows, "gaz facilities coverage zones")
    assert_planted(rows, "facility_name", HYPERLINK, "gaz facilities coverage zones")
    assert_planted(rows, "layer", "-2+3", "gaz facilities coverage zones")
    assert all(NUMBER.match(r["distance_m"]) for r in rows) and rows
