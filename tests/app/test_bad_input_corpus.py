"""A corpus of hostile input, each case with the 4xx it must get, and nothing written by any of them.

Small files live in tests/corpus/ with their expected answers in tests/corpus/expected.csv (hand-made
fixtures); the enormous ones (a polygon of 2 million vertices, a 100 kB query string) are generated here.
Injection strings go to every string query parameter of every GET route of the app's own OpenAPI.
"""

from __future__ import annotations

import csv
import json
import math
import re
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import httpx
import pytest
from sqlalchemy import Engine, text

from app.main import create_app
from core import auth
from core.database import transaction

CORPUS = Path(__file__).resolve().parents[1] / "corpus"
EXPECTED = list(csv.DictReader((CORPUS / "expected.csv").open(encoding="utf-8")))
# A small square inside 康巴什区 (hand-made fixture, EPSG:4490 lon/lat).
SQUARE = [[109.77, 39.60], [109.79, 39.60], [109.79, 39.62], [109.77, 39.62], [109.77, 39.60]]
INJECTIONS = [
    "'; DROP TABLE admin_unit; --",
    "%' OR 1=1 --",
    "1 OR 1=1",
    '" OR ""="',
    "1; SELECT pg_sleep(5); --",
    "') UNION SELECT key_hash, name, role FROM api_user --",
    "../../../../etc/passwd",
    "<script>alert(1)</script>",
    "$(rm -rf /)",
    "\u0000",
]
# A valid value for each required parameter (by name) so that the injected one is the only odd one.
VALID = {
    "code": "150603",
    "lon": "109.78",
    "lat": "39.61",
    "q": "康巴什",
    "text": "康巴什",
    "tag": "township",
    "collection_id": "units-county",
    "feature_id": "150603000000",
    "package": "leaflet",
    "name": "leaflet.js",
    "z": "8",
    "x": "206",
    "y": "97",
    "place_name_id": "1",
    "facility_id": "1",
    "line_id": "1",
    "marker_id": "1",
    "case_id": "1",
    "campaign_id": "1",
    "check_id": "1",
    "comparison_id": "1",
    "unit": "150603",
}


def table_counts(engine: Engine) -> dict[str, int]:
    """The exact row count of every table of the schema (a write anywhere changes one)."""
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT tablename, (xpath('/row/n/text()', query_to_xml("
                "format('SELECT count(*) AS n FROM public.%I', tablename), false, true, '')))[1]::text::bigint "
                "FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'spatial_ref_sys'"
            )
        )
        return {name: count for name, count in rows}


@pytest.fixture
def editor(ordos_engine: Engine) -> dict[str, str]:
    with transaction(ordos_engine) as conn:
        return {"X-API-Key": auth.create_user(conn, "corpus", "admin")}


@pytest.fixture
def untouched(ordos_engine: Engine) -> Iterator[None]:
    """Asserts after the test that no table gained or lost a row."""
    before = table_counts(ordos_engine)
    yield
    assert table_counts(ordos_engine) == before


def _case_id(case: dict[str, str]) -> str:
    return f"{case['file']}->{case['route'].rsplit('/', 2)[-2]}:{case['query'][:30]}"


@pytest.mark.parametrize("case", EXPECTED, ids=[_case_id(c) for c in EXPECTED])
def test_corpus_file_gets_its_4xx_and_writes_nothing(
    api: httpx.Client, editor: dict[str, str], untouched: None, case: dict[str, str]
) -> None:
    content = (CORPUS / case["file"]).read_bytes()
    params: list[tuple[str, str | int | float | bool | None]] = list(
        parse_qsl(case["query"].replace("%00", "\x00"), keep_blank_values=True)
    )
    response = api.post(case["route"], params=params, content=content, headers=editor)
    assert response.status_code == int(case["status"]), response.text
    body = response.json()
    assert body["code"] == "invalid_input"
    assert case["needle"].lower() in body["detail"].lower(), body["detail"]


def polygon_body(ring: list[list[float]]) -> dict[str, Any]:
    return {
        "geometry": {"type": "Polygon", "coordinates": [ring]},
        "crs": "EPSG:4490",
        "source": "corpus",
        "status": "draft",
        "valid_from": "2026-01-01",
    }


def circle(vertices: int) -> list[list[float]]:
    """A closed ring of ``vertices`` points around 康巴什区 (a regular polygon, valid)."""
    ring = [
        [109.78 + 0.01 * math.cos(2 * math.pi * i / vertices), 39.61 + 0.01 * math.sin(2 * math.pi * i / vertices)]
        for i in range(vertices)
    ]
    return [*ring, ring[0]]


BOWTIE = [[109.77, 39.60], [109.79, 39.62], [109.79, 39.60], [109.77, 39.62], [109.77, 39.60]]
BAD_POLYGONS = [
    ("self-intersecting", polygon_body(BOWTIE), 422, "self-intersection"),
    ("out of range", polygon_body([[509.0, 39.6], [509.1, 39.6], [509.1, 39.7], [509.0, 39.6]]), 422, "out of range"),
    ("two points", polygon_body([[109.77, 39.60], [109.79, 39.60]]), 422, "4 positions"),
    ("wrong crs", {**polygon_body(SQUARE), "crs": "EPSG:3857"}, 422, "3857"),
    ("unknown crs", {**polygon_body(SQUARE), "crs": "EPSG:99999"}, 422, "99999"),
    ("crs with control characters", {**polygon_body(SQUARE), "crs": "EPSG:\x074490"}, 422, "crs"),
]


@pytest.mark.parametrize(("label", "body", "status", "needle"), BAD_POLYGONS, ids=[b[0] for b in BAD_POLYGONS])
def test_bad_polygons_are_refused(
    api: httpx.Client, editor: dict[str, str], untouched: None, label: str, body: dict, status: int, needle: str
) -> None:
    response = api.post("/api/v1/units/150603/polygons", headers=editor, json=body)
    assert response.status_code == status, f"{label}: {response.text[:300]}"
    assert needle in response.json()["detail"].lower(), response.json()["detail"]


FAR_RING = [[509.0, 39.6], [509.1, 39.6], [509.1, 39.7], [509.0, 39.6]]
TEXT_RING = [["109.77", 39.6], [109.79, 39.6], [109.79, 39.62], ["109.77", 39.6]]
PREFIXED_RING = [[37_400_000, 4_385_000], [37_401_000, 4_385_000], [37_401_000, 4_386_000], [37_400_000, 4_385_000]]
BAD_CLAIMS = [
    ("empty polygon", {"type": "Polygon", "coordinates": []}, "EPSG:4490"),
    ("empty ring", {"type": "Polygon", "coordinates": [[]]}, "EPSG:4490"),
    ("point", {"type": "Point", "coordinates": [109.78, 39.61]}, "EPSG:4490"),
    ("open ring", {"type": "Polygon", "coordinates": [SQUARE[:-1]]}, "EPSG:4490"),
    ("two points", {"type": "Polygon", "coordinates": [SQUARE[:2]]}, "EPSG:4490"),
    ("out of range", {"type": "Polygon", "coordinates": [FAR_RING]}, "EPSG:4490"),
    ("string coordinates", {"type": "Polygon", "coordinates": [TEXT_RING]}, "EPSG:4490"),
    ("wrong crs", {"type": "Polygon", "coordinates": [SQUARE]}, "EPSG:3857"),
    ("zone prefix under a plain gk code", {"type": "Polygon", "coordinates": [PREFIXED_RING]}, "EPSG:4546"),
    ("not geojson", "POLYGON((109.77 39.6, 109.79 39.6, 109.79 39.62, 109.77 39.6))", "EPSG:4490"),
]


@pytest.mark.parametrize(("label", "claim", "crs"), BAD_CLAIMS, ids=[c[0] for c in BAD_CLAIMS])
def test_hostile_claims_are_refused_and_write_nothing(
    api: httpx.Client, editor: dict[str, str], untouched: None, label: str, claim: Any, crs: str
) -> None:
    """The claim mode of the comparison route (far-away, touching and multipart claims answer with pieces:
    tests/boundaries/test_boundary_compare.py): a claim that is no polygon gets a 4xx naming the problem, never a
    5xx."""
    body = {"unit": "150603", "claim": claim, "crs": crs}
    response = api.post("/api/v1/boundaries/compare", headers=editor, json=body)
    assert response.status_code == 422, f"{label}: {response.status_code} {response.text[:300]}"
    assert set(response.json()) >= {"code", "detail"}


def test_nan_coordinates_in_a_polygon_body(api: httpx.Client, editor: dict[str, str], untouched: None) -> None:
    """JSON has no NaN, but Python's parser reads the token: the service must still refuse it."""
    ring = [[float("nan"), 39.60], *SQUARE[1:-1], [float("nan"), 39.60]]
    content = json.dumps(polygon_body(ring))  # allow_nan: writes the NaN token
    response = api.post(
        "/api/v1/units/150603/polygons", headers={**editor, "content-type": "application/json"}, content=content
    )
    assert response.status_code == 422, response.text


def test_polygon_of_two_million_vertices_is_refused(api: httpx.Client, editor: dict[str, str], untouched: None) -> None:
    """About 75 MB of JSON: over the body limit, refused with 413 before it is parsed."""
    content = json.dumps(polygon_body(circle(2_000_000)))
    response = api.post(
        "/api/v1/units/150603/polygons", headers={**editor, "content-type": "application/json"}, content=content
    )
    assert response.status_code == 413, response.text[:300]


def test_invalid_utf8_json_body(api: httpx.Client, editor: dict[str, str], untouched: None) -> None:
    content = json.dumps(polygon_body(SQUARE)).replace("corpus", "\udcff", 1).encode("utf-8", "surrogateescape")
    response = api.post(
        "/api/v1/units/150603/polygons", headers={**editor, "content-type": "application/json"}, content=content
    )
    assert response.status_code in (400, 422), response.text


FACILITY = {"name": "语料养老院", "kind": "eldercare_institution", "lon": 109.78, "lat": 39.61, "crs": "EPSG:4490"}
BAD_FACILITIES = [
    ("lat out of range", {"lat": 95.0}, "95"),
    ("lon out of range", {"lon": -200.0}, "-200"),
    ("huge float", {"lon": 1e308}, "1e+308"),
    ("wrong crs", {"crs": "EPSG:3857"}, "3857"),
    ("control characters in the name", {"name": "养老\x07院"}, "control"),
    ("empty name", {"name": ""}, "name"),
    ("unknown kind", {"kind": "casino"}, "casino"),
]


@pytest.mark.parametrize(("label", "change", "needle"), BAD_FACILITIES, ids=[b[0] for b in BAD_FACILITIES])
def test_bad_facilities_are_refused(
    api: httpx.Client, editor: dict[str, str], untouched: None, label: str, change: dict, needle: str
) -> None:
    response = api.post("/api/v1/facilities", headers=editor, json={**FACILITY, **change})
    assert response.status_code == 422, f"{label}: {response.text[:300]}"
    assert needle.lower() in response.json()["detail"].lower(), response.json()["detail"]


BAD_QUERIES = [
    ("/api/v1/reverse", {"lon": "nan", "lat": "39.61"}),
    ("/api/v1/reverse", {"lon": "inf", "lat": "39.61"}),
    ("/api/v1/reverse", {"lon": "200", "lat": "39.61"}),
    ("/api/v1/reverse", {"lon": "109.78", "lat": "39.61", "crs": "EPSG:3857"}),
    ("/api/v1/reverse", {"lon": "109.78", "lat": "39.61", "as_of": "2026-02-30"}),
    ("/api/v1/boundaries/at", {"lon": "NaN", "lat": "NaN"}),
    ("/api/v1/places/nearby", {"lon": "109.78", "lat": "39.61", "radius_m": "-1"}),
    ("/api/v1/places/nearby", {"lon": "109.78", "lat": "39.61", "radius_m": "nan"}),
    ("/api/v1/units/1506039999999999", {}),
    ("/api/v1/places/search", {"q": "康巴什", "as_of": "99999-01-01"}),
    ("/ogc/collections/units-county/items", {"bbox": "nan,nan,nan,nan"}),
    ("/ogc/collections/units-county/items", {"bbox": "109,39,110"}),
    ("/ogc/collections/units-county/items", {"bbox": "109,39,110,40", "bbox-crs": "EPSG:3857"}),
    ("/ogc/collections/units-county/items", {"filter": "name = 'x' OR 1=1; DROP TABLE admin_unit"}),
]


@pytest.mark.parametrize(("path", "params"), BAD_QUERIES, ids=[f"{p}?{'&'.join(q)}" for p, q in BAD_QUERIES])
def test_bad_query_values_are_4xx(ordos_api: httpx.Client, path: str, params: dict[str, str]) -> None:
    response = ordos_api.get(path, params=params)
    assert response.status_code in (400, 422), (response.status_code, response.text[:300])


def raw_get(client: httpx.Client, target: str) -> tuple[int, bytes]:
    """GET ``target`` over a plain socket (httpx refuses URLs over 64 kB): the status and the body."""
    with socket.create_connection((client.base_url.host, client.base_url.port), timeout=30) as sock:
        sock.sendall(f"GET {target} HTTP/1.0\r\nHost: test\r\n\r\n".encode())  # 1.0: no chunked answer
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    return int(head.split()[1]), body


@pytest.mark.parametrize("path", ["/api/v1/places/search", "/api/v1/places/autocomplete", "/api/v1/romanize"])
def test_huge_query_string_is_414(ordos_api: httpx.Client, path: str) -> None:
    """A 50 kB ``q=`` (or ``text=``) is refused by the service before any route runs (limit 32 kB); a 100 kB
    request line is refused earlier still, by the HTTP parser (httptools: 400 for lines past 64 kB)."""
    name = "text" if path.endswith("romanize") else "q"
    status, body = raw_get(ordos_api, f"{path}?{name}={'a' * 50_000}")
    assert status == 414 and json.loads(body)["code"] == "too_long", body[:300]
    status, body = raw_get(ordos_api, f"{path}?{name}={'a' * 100_000}")
    assert status == 400 and b"Invalid HTTP request" in body, body[:300]


def test_long_query_under_the_limit_is_refused_by_the_route(ordos_api: httpx.Client) -> None:
    response = ordos_api.get("/api/v1/places/search", params={"q": "鄂" * 2_000})
    assert response.status_code == 422 and "2000 characters" in response.json()["detail"]


@pytest.mark.parametrize("query", ["q=%FF%FE%BA", "q=%C3", "q=abc%ED%A0%80"])
def test_invalid_utf8_in_a_query_string_is_422(ordos_api: httpx.Client, query: str) -> None:
    """Starlette would replace the bad bytes with U+FFFD and search for that; the service refuses instead."""
    response = ordos_api.get(f"/api/v1/places/search?{query}")
    assert response.status_code == 422 and "not UTF-8" in response.json()["detail"], response.text[:300]


def test_marker_file_name_too_long_for_the_file_system(
    api: httpx.Client, editor: dict[str, str], untouched: None
) -> None:
    """Regression (fuzzing): a 200-character Hanzi name is 600 bytes, over the file-system limit; it was a 500."""
    content = (CORPUS / "markers_nan.csv").read_bytes()
    response = api.post(
        "/api/v1/boundaries/markers/import", params={"name": "界" * 200}, content=content, headers=editor
    )
    assert response.status_code == 422 and "plain file name" in response.json()["detail"]


def string_query_parameters() -> list[tuple[str, str, list[dict[str, Any]]]]:
    """(path, injected parameter, all parameters) for every string query parameter of every GET route."""
    found = []
    for path, operations in create_app().openapi()["paths"].items():
        get = operations.get("get")
        if not get:
            continue
        parameters = [p for p in get.get("parameters", []) if p["in"] in ("query", "path")]
        for parameter in parameters:
            schema = parameter.get("schema", {})
            types = {schema.get("type")} | {s.get("type") for s in schema.get("anyOf", [])}
            if parameter["in"] == "query" and "string" in types and not schema.get("enum"):
                found.append((path, parameter["name"], parameters))
    return found


INJECTABLE = string_query_parameters()


def test_the_injection_test_covers_the_search_parameters() -> None:
    assert ("/api/v1/places/search", "q") in {(path, name) for path, name, _ in INJECTABLE}
    assert len(INJECTABLE) >= 30


def test_injection_strings_in_every_string_query_parameter(
    api: httpx.Client, ordos_engine: Engine, editor: dict[str, str]
) -> None:
    """No 5xx for any injection string in any string query parameter of any GET route (with an admin key, so
    that the admin-only reads are reached too); tables intact."""
    before = table_counts(ordos_engine)
    problems = []
    for path, name, parameters in INJECTABLE:
        concrete = re.sub(r"\{([^}]+)\}", lambda m: VALID.get(m.group(1), "1"), path)
        base = {p["name"]: VALID[p["name"]] for p in parameters if p["in"] == "query" and p.get("required")}
        for injection in INJECTIONS:
            response = api.get(concrete, params={**base, name: injection}, headers=editor)
            if response.status_code >= 500:
                problems.append(f"{path} {name}={injection!r}: {response.status_code} {response.text[:200]}")
    assert not problems, "\n".join(problems)
    assert table_counts(ordos_engine) == before
    with ordos_engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM admin_unit")).scalar_one() > 0


def test_nul_character_reaching_sql_is_422(api: httpx.Client, editor: dict[str, str]) -> None:
    """Regression (long fuzz run): PostgreSQL text cannot hold NUL; the driver's refusal was a 500."""
    response = api.get("/api/v1/audit", headers=editor, params={"object_type": "facility\x00"})
    assert response.status_code == 422 and "NUL" in response.json()["detail"], response.text


# --- the hostile-input corpus of issue 18: each case once a 500, now a 4xx naming the problem, nothing written ----
DEEP = 3_000
# Written as text: Python's own parser and writer recurse, and would fail on them here.
NESTED_GEOMETRY = '{"type": "Polygon", "coordinates": ' + "[" * DEEP + "1" + "]" * DEEP + "}"
NESTED_COLLECTION = (
    '{"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {}, "geometry": '
    + NESTED_GEOMETRY
    + "}]}"
).encode()
HUGE_FIELD = "界" * 1_000_001  # over MAX_CSV_FIELD
SIGN = {
    "inventory_no": "HOSTILE-1",
    "place_name_id": 1,
    "printed_name": "康巴什区",
    "condition": "good",
    "point": {"lon": 109.78, "lat": 39.61, "crs": "EPSG:4490"},
}


def json_request(method: str, path: str, body: Any) -> dict[str, Any]:
    """A request whose JSON body is written as given (``json.dumps`` keeps a lone surrogate as an escape)."""
    return {"method": method, "url": path, "content": json.dumps(body), "headers": {"content-type": "application/json"}}


def place_patch(changes: dict[str, Any]) -> dict[str, Any]:
    """PATCH of place name 1 (its version is filled in by the test)."""
    return json_request("PATCH", "/api/v1/places/1", {"version": "VERSION", "changes": changes})


HOSTILE: list[tuple[str, dict[str, Any], int, str, str]] = [
    # (case, request, status, error code, words of the detail)
    (
        "surrogate in meaning (create)",
        json_request(
            "POST", "/api/v1/places", {"name": "测试地", "category": "32", "unit": "150603", "meaning": "\ud800"}
        ),
        422,
        "invalid_input",
        "body.meaning",
    ),
    (
        "NUL in meaning (create)",
        json_request(
            "POST", "/api/v1/places", {"name": "测试地", "category": "32", "unit": "150603", "meaning": "a\u0000b"}
        ),
        422,
        "invalid_input",
        "U+0000",
    ),
    ("surrogate in meaning (PATCH)", place_patch({"meaning": "\udfff"}), 422, "invalid_input", "body.changes.meaning"),
    ("NUL in meaning (PATCH)", place_patch({"meaning": "\u0000"}), 422, "invalid_input", "body.changes.meaning"),
    ("surrogate in a key of changes", place_patch({"mea\ud800ning": "x"}), 422, "invalid_input", "key"),
    ("object as changes.meaning", place_patch({"meaning": {"zh": "x"}}), 422, "invalid_input", "meaning"),
    ("list as changes.meaning", place_patch({"meaning": ["x"]}), 422, "invalid_input", "meaning"),
    (
        "surrogate in printed_name",
        json_request("POST", "/api/v1/signs", {**SIGN, "printed_name": "\ud800"}),
        422,
        "invalid_input",
        "body.printed_name",
    ),
    (
        "NUL in printed_name",
        json_request("POST", "/api/v1/signs", {**SIGN, "printed_name": "康\u0000"}),
        422,
        "invalid_input",
        "body.printed_name",
    ),
    (
        "surrogate in compare source",
        json_request("POST", "/api/v1/boundaries/compare", {"parent": "150600", "level": "county", "second": "\ud800"}),
        422,
        "invalid_input",
        "body.second",
    ),
    (
        "NUL in checks source",
        json_request("POST", "/api/v1/boundaries/checks", {"parent": "150600", "level": "county", "source": "x\u0000"}),
        422,
        "invalid_input",
        "body.source",
    ),
    (
        "surrogate in batch crs",
        json_request("POST", "/api/v1/reverse/batch", {"crs": "EPSG:\ud800", "points": [[109.78, 39.61]]}),
        422,
        "invalid_input",
        "body.crs",
    ),
    (
        "C1 control in a note",
        json_request("POST", "/api/v1/signs", {**SIGN, "notes": "a\u0085b"}),
        422,
        "invalid_input",
        "U+0085",
    ),
    (
        "encoded surrogate bytes",
        {
            "method": "POST",
            "url": "/api/v1/boundaries/checks",
            "content": b'{"parent": "150600", "level": "county", "source": "\xed\xa0\x80"}',
            "headers": {"content-type": "application/json"},
        },
        422,
        "invalid_input",
        "UTF-8",
    ),
    (
        "JSON body nested 3000 deep",
        {
            "method": "POST",
            "url": "/api/v1/units/150603/polygons",
            "content": '{"crs": "EPSG:4490", "source": "hostile", "valid_from": "2026-01-01", "geometry": '
            + NESTED_GEOMETRY
            + "}",
            "headers": {"content-type": "application/json"},
        },
        422,
        "invalid_input",
        "nested deeper than 64",
    ),
    (
        "JSON body nested 100000 deep",
        {
            "method": "POST",
            "url": "/api/v1/boundaries/checks",
            "content": "[" * 100_000 + "]" * 100_000,
            "headers": {"content-type": "application/json"},
        },
        422,
        "invalid_input",
        "nested deeper than 64",
    ),
    (
        "CQL2 with 300 nested parentheses",
        {
            "method": "GET",
            "url": "/ogc/collections/units-county/items",
            "params": {"filter": "(" * 300 + "name = 'x'" + ")" * 300},
        },
        400,
        "InvalidParameterValue",
        "nest",
    ),
    (
        "CQL2 with 3000 NOTs",
        {
            "method": "GET",
            "url": "/ogc/collections/units-county/items",
            "params": {"filter": "NOT " * 3000 + "name = 'x'"},
        },
        400,
        "InvalidParameterValue",
        "nest",
    ),
    (
        "GeoJSON nested 3000 deep (facility import)",
        {
            "method": "POST",
            "url": "/api/v1/facilities/import",
            "params": {"source": "hostile", "format": "geojson", "crs": "EPSG:4490"},
            "content": NESTED_COLLECTION,
        },
        422,
        "invalid_input",
        "nested deeper than 64",
    ),
    (
        "GeoJSON nested 3000 deep (prohibited layer)",
        {
            "method": "POST",
            "url": "/api/v1/prohibited-layers/import",
            "params": {"layer": "hostile", "layer_kind": "road", "buffer_m": "10", "crs": "EPSG:4490"},
            "content": NESTED_COLLECTION,
        },
        422,
        "invalid_input",
        "nested deeper than 64",
    ),
    (
        "GeoJSON nested 3000 deep (place import)",
        {
            "method": "POST",
            "url": "/api/v1/places/import",
            "params": {"format": "geojson", "name": "hostile.geojson"},
            "content": NESTED_COLLECTION,
        },
        422,
        "invalid_input",
        "nested deeper than 64",
    ),
    *[
        (
            f"encoding={codec}",
            {
                "method": "POST",
                "url": "/api/v1/places/import",
                "params": {"encoding": codec, "name": "hostile.csv"},
                "content": "name,category,unit,lon,lat\n测试地,32,150603,109.78,39.61\n".encode(),
            },
            422,
            "invalid_input",
            "encoding",
        )
        for codec in ("rot13", "base64", "zlib_codec", "undefined")
    ],
    (
        "1M-character field (place import)",
        {
            "method": "POST",
            "url": "/api/v1/places/import",
            "params": {"name": "hostile.csv"},
            "content": f"name,category,unit,lon,lat\n{HUGE_FIELD},32,150603,109.78,39.61\n".encode(),
        },
        422,
        "invalid_input",
        "line 2",
    ),
    (
        "1M-character field (sign import)",
        {
            "method": "POST",
            "url": "/api/v1/signs/import",
            "params": {"crs": "EPSG:4490"},
            "content": (
                f"inventory_no,place_name_id,printed_name,condition,lon,lat\nH1,1,{HUGE_FIELD},good,1,1\n".encode()
            ),
        },
        422,
        "invalid_input",
        "line 2",
    ),
    (
        "1M-character field (population import)",
        {
            "method": "POST",
            "url": "/api/v1/population/import",
            "params": {"source": "hostile"},
            "content": f"unit_code,year,total,aged_60_plus\n150603,2020,{'9' * 1_000_001},1\n".encode(),
        },
        422,
        "invalid_input",
        "line 2",
    ),
    (
        "1M-character field (facility import)",
        {
            "method": "POST",
            "url": "/api/v1/facilities/import",
            "params": {"source": "hostile", "format": "csv", "crs": "EPSG:4490"},
            "content": f"external_id,name,kind,lon,lat\n1,{HUGE_FIELD},eldercare_institution,109.78,39.61\n".encode(),
        },
        422,
        "invalid_input",
        "line 2",
    ),
    (
        "1M-character field (marker import)",
        {
            "method": "POST",
            "url": "/api/v1/boundaries/markers/import",
            "params": {"name": "markers.csv"},
            "content": f"marker_no,line,lon,lat\n{HUGE_FIELD},1,109.78,39.61\n".encode(),
        },
        422,
        "invalid_input",
        "line 2",
    ),
]


HOSTILE += [
    (  # under MAX_CSV_FIELD the csv module reads it; the row is then refused like any other bad row
        "200k-character name (place import)",
        {
            "method": "POST",
            "url": "/api/v1/places/import",
            "params": {"crs": "EPSG:4490", "name": "hostile.csv"},
            "content": f"name,category,unit,lon,lat\n{'界' * 200_000},32,150603,109.78,39.61\n".encode(),
        },
        422,
        "invalid_input",
        "row 1",
    ),
    (
        "200k-character count (population import)",
        {
            "method": "POST",
            "url": "/api/v1/population/import",
            "params": {"source": "hostile"},
            "content": f"unit_code,year,total,aged_60_plus\n150603,2020,{'9' * 200_000},1\n".encode(),
        },
        422,
        "invalid_input",
        "row 1",
    ),
]


@pytest.fixture(scope="module")
def hostile_server(ordos_template_db: str) -> Iterator[tuple[httpx.Client, Engine, dict[str, str]]]:
    """One server on its own Ordos database for the whole corpus (every case must leave it as it was)."""
    from tests.conftest import LiveServer, _clone

    for engine in _clone(ordos_template_db):
        with transaction(engine) as conn:
            key = {"X-API-Key": auth.create_user(conn, "hostile", "admin")}
        with LiveServer(engine.url.render_as_string(hide_password=False)) as client:
            yield client, engine, key


def audit_rows(engine: Engine) -> list[Any]:
    with engine.connect() as conn:
        return list(conn.execute(text("SELECT * FROM audit_log ORDER BY id")))


@pytest.mark.parametrize(("label", "request_", "status", "code", "needle"), HOSTILE, ids=[h[0] for h in HOSTILE])
def test_hostile_input_is_4xx_and_writes_nothing(
    hostile_server: tuple[httpx.Client, Engine, dict[str, str]],
    label: str,
    request_: dict[str, Any],
    status: int,
    code: str,
    needle: str,
) -> None:
    client, engine, key = hostile_server
    counts, audit = table_counts(engine), audit_rows(engine)
    request_ = {**request_, "headers": {**request_.get("headers", {}), **key}}
    if isinstance(request_.get("content"), str) and "VERSION" in request_["content"]:
        version = client.get("/api/v1/places/1").json()["version"]
        request_["content"] = request_["content"].replace('"VERSION"', str(version))
    response = client.request(**request_)
    assert response.status_code == status, f"{label}: {response.status_code} {response.text[:300]}"
    body = response.json()
    assert body["code"] == code, body
    assert needle.lower() in str(body.get("detail", body.get("description", ""))).lower(), body
    assert table_counts(engine) == counts
    assert audit_rows(engine) == audit


@pytest.mark.parametrize("content_type", ["application/json", "text/plain", "application/octet-stream"])
def test_five_megabytes_of_non_json_get_the_error_shape(
    api: httpx.Client, editor: dict[str, str], untouched: None, content_type: str
) -> None:
    """Issue 11: a 5 MB body that is not JSON gets the same 4xx error body as any other bad body."""
    for path in ("/api/v1/boundaries/disputes", "/api/v1/boundaries/compare", "/api/v1/units/150603/polygons"):
        response = api.post(path, headers={**editor, "Content-Type": content_type}, content=b"x" * 5_000_000)
        assert 400 <= response.status_code < 500, (path, response.status_code, response.text[:200])
        assert set(response.json()) >= {"code", "detail"}, (path, response.text[:200])
