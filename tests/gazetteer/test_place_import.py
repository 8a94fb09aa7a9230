"""Bulk import of place names (CSV / GeoJSON, any accepted CRS) through the live API and the ``gaz`` CLI:
all or nothing, a rejection report naming row, field and value, idempotent re-import, one audit row per batch.

Every record here is a hand-made fixture (试验… names at made-up spots inside 康巴什区), not real data.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine, text

from core.crs import wgs84_to_gcj02
from tests.factories import api_key, gaz

PROJECT = Path(__file__).resolve().parents[2]
GAZ = PROJECT / ".venv" / "bin" / "gaz"
HEADER = "name,category,unit,lon,lat,wkt,status,meaning,approving_body,document_number,approval_date,tags"
SQUARE = (109.781, 39.611)  # EPSG:4490, inside 康巴什区 (150603)
ROAD = "LINESTRING (109.76 39.60, 109.80 39.62)"
BOW_TIE = "POLYGON ((109.77 39.60, 109.79 39.62, 109.79 39.60, 109.77 39.62, 109.77 39.60))"
LAKE = "POLYGON ((109.77 39.60, 109.79 39.60, 109.79 39.62, 109.77 39.62, 109.77 39.60))"


def gcj(lon: float, lat: float) -> tuple[float, float]:
    x, y = wgs84_to_gcj02(lon, lat)
    return float(x), float(y)


def good_csv() -> str:
    """Three rows in EPSG:4490: a point (lon/lat), a line and a polygon (WKT)."""
    return "\n".join(
        [
            HEADER,
            f"试验广场,9,150603,{SQUARE[0]},{SQUARE[1]},,standard,取试验之意,康巴什区人民政府,康府发〔2026〕7号,2026-01-05,红色地名",
            f'试验路,7,150603,,,"{ROAD}",standard,,,,,',
            f'试验湖,1,150603,,,"{LAKE}",proposed,,,,,湖泊;水体',
        ]
    )


def state(engine: Engine) -> dict[str, int]:
    """What an import writes: records, keys, events and place-name audit rows."""
    with engine.connect() as conn:
        return {
            "place_name": conn.execute(text("SELECT count(*) FROM place_name")).scalar_one(),
            "place_key": conn.execute(text("SELECT count(*) FROM place_key")).scalar_one(),
            "name_event": conn.execute(text("SELECT count(*) FROM name_event")).scalar_one(),
            "versions": conn.execute(text("SELECT coalesce(sum(version), 0) FROM place_name")).scalar_one(),
            "audit": conn.execute(text("SELECT count(*) FROM audit_log WHERE object_type = 'place_name'")).scalar_one(),
        }


def upload(
    api: httpx.Client, headers: dict[str, str], content: str | bytes, filename: str = "places.csv", **params: Any
) -> httpx.Response:
    body = content.encode("utf-8") if isinstance(content, str) else content
    return api.post("/api/v1/places/import", headers=headers, params={**params, "name": filename}, content=body)


@pytest.fixture
def editor(ordos_engine: Engine) -> dict[str, str]:
    return api_key(ordos_engine, "editor", "editor")


def test_csv_import_points_lines_polygons_then_reimport_changes_nothing(
    api: httpx.Client, ordos_engine: Engine, editor: dict[str, str]
) -> None:
    before = state(ordos_engine)
    response = upload(api, editor, good_csv(), crs="EPSG:4490")
    assert response.status_code == 200, response.text
    report = response.json()
    assert (report["read"], report["inserted"], report["updated"], report["unchanged"]) == (3, 3, 0, 0)
    after = state(ordos_engine)
    assert after["place_name"] == before["place_name"] + 3 and after["audit"] == before["audit"] + 1
    assert after["name_event"] == before["name_event"] + 1  # the approved row's naming event (命名)
    with ordos_engine.connect() as conn:
        rows = {
            r.name: r
            for r in conn.execute(
                text(
                    "SELECT name, GeometryType(geom) AS kind, romanization, status, tags, ST_AsText(geom) AS wkt"
                    " FROM place_name WHERE name LIKE '试验%'"
                )
            )
        }
        audit_row = conn.execute(
            text("SELECT actor, action, after FROM audit_log WHERE object_type = 'place_name' ORDER BY id DESC LIMIT 1")
        ).one()
    assert {n: r.kind for n, r in rows.items()} == {"试验广场": "POINT", "试验路": "LINESTRING", "试验湖": "POLYGON"}
    assert rows["试验路"].romanization == "Shiyan Lu" and rows["试验湖"].status == "proposed"
    assert rows["试验湖"].tags == ["湖泊", "水体"] and rows["试验广场"].tags == ["红色地名"]
    assert (audit_row.actor, audit_row.action, audit_row.after["inserted"]) == ("editor", "import", 3)
    assert len(audit_row.after["inserted_ids"]) == 3
    # indexed as API-created names are: by Hanzi, pinyin and initials
    for q in ("试验路", "shiyanlu", "Shiyan Lu", "syl"):
        hits = api.get("/api/v1/places/search", params={"q": q}).json()["results"]
        assert hits and hits[0]["name"] == "试验路", (q, hits[:2])
    road = api.get("/api/v1/places/search", params={"q": "试验路"}).json()["results"][0]
    assert road["unit_path_text"] == "鄂尔多斯市/康巴什区"
    square = api.get("/api/v1/places/search", params={"q": "试验广场"}).json()["results"][0]
    detail = api.get(f"/api/v1/places/{square['id']}").json()
    assert detail["document_number"] == "康府发〔2026〕7号" and [e["kind"] for e in detail["events"]] == ["naming"]

    again = upload(api, editor, good_csv(), crs="EPSG:4490")
    assert again.status_code == 200, again.text
    assert (again.json()["inserted"], again.json()["updated"], again.json()["unchanged"]) == (0, 0, 3)
    assert state(ordos_engine) == after  # nothing written, not even an audit row


def test_changed_row_updates_its_record(api: httpx.Client, ordos_engine: Engine, editor: dict[str, str]) -> None:
    assert upload(api, editor, good_csv(), crs="EPSG:4490").status_code == 200
    changed = good_csv().replace("取试验之意", "取试验、检验之意").replace("109.80 39.62", "109.81 39.625")
    response = upload(api, editor, changed, crs="EPSG:4490")
    assert response.status_code == 200, response.text
    assert (response.json()["inserted"], response.json()["updated"], response.json()["unchanged"]) == (0, 2, 1)
    with ordos_engine.connect() as conn:
        rows: dict[str, int] = dict(
            conn.execute(text("SELECT name, version FROM place_name WHERE name IN ('试验广场', '试验路')")).all()
        )
        meaning = conn.execute(text("SELECT meaning FROM place_name WHERE name = '试验广场'")).scalar_one()
    assert rows == {"试验广场": 2, "试验路": 2} and meaning == "取试验、检验之意"


def test_geojson_in_gcj02_through_the_cli(ordos_engine: Engine, tmp_path: Path) -> None:
    """GCJ-02 input (as a map vendor gives it) lands on the EPSG:4490 coordinates it stands for."""
    ring = [gcj(109.77, 39.60), gcj(109.79, 39.60), gcj(109.79, 39.62), gcj(109.77, 39.62), gcj(109.77, 39.60)]
    features = [
        {"type": "Feature", "properties": {"name": "试验广场", "category": "9", "unit": "150603", "tags": ["红色地名"]},
         "geometry": {"type": "Point", "coordinates": list(gcj(*SQUARE))}},
        {"type": "Feature", "properties": {"name": "试验路", "category": 7, "unit": "150603000000"},
         "geometry": {"type": "LineString", "coordinates": [list(gcj(109.76, 39.60)), list(gcj(109.80, 39.62))]}},
        {"type": "Feature", "properties": {"name": "试验湖", "category": "1", "unit": "150603", "secrecy": "internal"},
         "geometry": {"type": "Polygon", "coordinates": [[list(p) for p in ring]]}},
    ]  # fmt: skip
    path = tmp_path / "places.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}, ensure_ascii=False))
    before = state(ordos_engine)
    done = gaz(ordos_engine, "places", "import", path, "--crs", "GCJ-02")
    assert done.returncode == 0, done.stderr
    assert "places.geojson: read 3, written 3 (inserted 3, updated 0), unchanged 0, rejected 0" in done.stdout
    assert state(ordos_engine)["place_name"] == before["place_name"] + 3
    with ordos_engine.connect() as conn:
        point = conn.execute(text("SELECT ST_X(geom), ST_Y(geom) FROM place_name WHERE name = '试验广场'")).one()
        lake = conn.execute(text("SELECT ST_AsText(geom), secrecy FROM place_name WHERE name = '试验湖'")).one()
    assert point == pytest.approx(SQUARE, abs=1e-7)
    assert lake.secrecy == "internal" and lake[0].startswith("POLYGON((109.77")
    again = gaz(ordos_engine, "places", "import", path, "--crs", "GCJ-02")
    assert again.returncode == 0 and "unchanged 3, rejected 0" in again.stdout, again.stdout + again.stderr


def test_gbk_file_with_its_encoding_declared(api: httpx.Client, editor: dict[str, str]) -> None:
    content = good_csv().encode("gbk")
    refused = upload(api, editor, content, crs="EPSG:4490")
    assert refused.status_code == 422 and "not UTF-8" in refused.json()["detail"], refused.text
    assert "--encoding gbk" in refused.json()["detail"]
    accepted = upload(api, editor, content, crs="EPSG:4490", encoding="gbk")
    assert accepted.status_code == 200 and accepted.json()["inserted"] == 3, accepted.text


def csv_with(row: str) -> str:
    """The good file with one extra (bad) row as its 4th data row."""
    return good_csv() + "\n" + row


@pytest.mark.parametrize(
    ("row", "field", "value"),
    [
        ("试验桥,77,150603,109.78,39.61,,,,,,,", "category", "77"),
        ("试验桥,7,150699,109.78,39.61,,,,,,,", "unit", "150699"),
        ("试验桥,7,15060,109.78,39.61,,,,,,,", "unit", "15060"),
        ("试验桥,7,150603,39.61,109.78,,,,,,,", "geometry", "39.61"),  # lat/lon swapped
        ("试验桥,7,150603,116.40,39.90,,,,,,,", "geometry", "116.4"),  # Beijing: outside Ordos
        ("试验桥,7,150603,109.98,39.82,,,,,,,", "geometry", "109.98"),  # in 东胜区, declared 康巴什区
        ("试验桥,7,150603,abc,39.61,,,,,,,", "lon", "abc"),
        (
            f'试验桥,7,150603,,,"{BOW_TIE}",,,,,,',
            "wkt",
            "POLYGON",
        ),  # a bow tie: self-intersecting
        (
            '试验桥,7,150603,,,"POLYGON ((109.77 39.60, 109.79 39.60, 109.79 39.62, 109.77 39.62))",,,,,,',
            "wkt",
            "POLYGON",
        ),  # open ring
        ('试验桥,7,150603,,,"LINESTRING (109.77 39.60, 109.77 39.60)",,,,,,', "wkt", "LINESTRING"),  # zero length
        ('试验桥,7,150603,,,"CIRCLE (1 2)",,,,,,', "wkt", "CIRCLE"),
        ('试验桥,7,150603,109.78,39.61,"POINT (109.78 39.61)",,,,,,', None, None),  # both ways of a location
        ("试验桥,7,150603,,,,,,,,,", None, None),  # no location at all
        ("试验桥,7,150603,109.78,39.61,,historic,,,,,", "status", "historic"),
        ("试验桥,7,150603,109.78,39.61,,,,,,2026-02-30,", "approval_date", "2026-02-30"),
        (",7,150603,109.78,39.61,,,,,,,", "name", ""),
        ("试验\x1b桥,7,150603,109.78,39.61,,,,,,,", "name", "试验\x1b桥"),
        ("试验☃桥,7,150603,109.78,39.61,,,,,,,", "name", "试验☃桥"),  # no reading: cannot be romanized
        (f"{'桥' * 51},7,150603,109.78,39.61,,,,,,,", "name", "桥" * 51),
        (f'试验路,7,150603,,,"{ROAD}",,,,,,', "name", "试验路"),  # the same name, unit and category as row 2
        ("试验桥,7,150603,109.78,39.61,,,,,,,,extra", None, None),
    ],
)
def test_a_bad_row_rejects_the_whole_file(
    api: httpx.Client, ordos_engine: Engine, editor: dict[str, str], row: str, field: str | None, value: str | None
) -> None:
    before = state(ordos_engine)
    response = upload(api, editor, csv_with(row), crs="EPSG:4490")
    assert response.status_code == 422, response.text
    body = response.json()
    assert "nothing written" in body["detail"] and "row 4" in body["detail"]
    (rejected,) = body["rejected"]
    assert rejected["row"] == 4
    if field is not None:
        assert rejected["field"] == field and str(value) in rejected["value"], rejected
    assert state(ordos_engine) == before


def test_skip_invalid_writes_the_valid_rows(api: httpx.Client, ordos_engine: Engine, editor: dict[str, str]) -> None:
    before = state(ordos_engine)
    response = upload(api, editor, csv_with("试验桥,77,150603,109.78,39.61,,,,,,,"), crs="EPSG:4490", skip_invalid=True)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["inserted"] == 3 and body["rejected_count"] == 1
    assert body["rejected"][0] == {
        "row": 4,
        "field": "category",
        "value": "77",
        "reason": body["rejected"][0]["reason"],
    }
    assert state(ordos_engine)["place_name"] == before["place_name"] + 3


def test_import_never_changes_a_status(api: httpx.Client, ordos_engine: Engine, editor: dict[str, str]) -> None:
    assert upload(api, editor, good_csv(), crs="EPSG:4490").status_code == 200
    before = state(ordos_engine)
    promoted = good_csv().replace(f'"{LAKE}",proposed', f'"{LAKE}",standard')
    response = upload(api, editor, promoted, crs="EPSG:4490")
    assert response.status_code == 422, response.text
    assert response.json()["rejected"][0]["field"] == "status" and "approve" in response.json()["detail"]
    assert state(ordos_engine) == before


@pytest.mark.parametrize(
    ("content", "filename", "params", "needle"),
    [
        (good_csv(), "places.csv", {}, "states no CRS"),
        (good_csv(), "places.csv", {"crs": "EPSG:3857"}, "EPSG:3857"),
        (good_csv(), "places.txt", {"crs": "EPSG:4490"}, "format"),
        (good_csv(), "places.csv", {"crs": "EPSG:4490", "encoding": "klingon"}, "klingon"),
        ("name,category\n试验路,7", "places.csv", {"crs": "EPSG:4490"}, "unit"),
        ("{not json", "places.geojson", {"crs": "EPSG:4490"}, "not JSON"),
        ('{"type": "Feature"}', "places.geojson", {"crs": "EPSG:4490"}, "FeatureCollection"),
        (
            json.dumps({"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {
                "name": "试验路", "category": "7", "unit": "150603"},
                "geometry": {"type": "GeometryCollection", "geometries": []}}]}),
            "places.geojson", {"crs": "EPSG:4490"}, "GeometryCollection",
        ),
        (
            json.dumps({"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {
                "name": "试验湖", "category": "1", "unit": "150603"},
                "geometry": {"type": "Polygon", "coordinates": [[[109.77, 39.6], [109.79, 39.6], [109.79, 39.62],
                                                                 [109.77, 39.62]]]}}]}),
            "places.geojson", {"crs": "EPSG:4490"}, "not closed",
        ),
    ],
)  # fmt: skip
def test_bad_files_are_refused(
    api: httpx.Client,
    ordos_engine: Engine,
    editor: dict[str, str],
    content: str,
    filename: str,
    params: dict[str, str],
    needle: str,
) -> None:
    before = state(ordos_engine)
    response = upload(api, editor, content, filename, **params)
    assert response.status_code == 422, response.text
    assert needle in response.json()["detail"]
    assert state(ordos_engine) == before


def test_import_needs_an_editor(api: httpx.Client, ordos_engine: Engine) -> None:
    before = state(ordos_engine)
    assert upload(api, {}, good_csv(), crs="EPSG:4490").status_code == 401
    assert upload(api, api_key(ordos_engine, "insp", "inspector"), good_csv(), crs="EPSG:4490").status_code == 403
    assert state(ordos_engine) == before


def test_cli_refusal_names_row_field_and_value(ordos_engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "places.csv"
    path.write_text(csv_with("试验桥,77,150603,109.78,39.61,,,,,,,"), encoding="utf-8")
    before = state(ordos_engine)
    done = gaz(ordos_engine, "places", "import", path, "--crs", "EPSG:4490")
    assert done.returncode == 2 and "row 4: category '77'" in done.stderr, done.stderr
    assert state(ordos_engine) == before
    missing = gaz(ordos_engine, "places", "import", tmp_path / "nope.csv", "--crs", "EPSG:4490")
    assert missing.returncode == 2 and "nope.csv" in missing.stderr
    skipped = gaz(ordos_engine, "places", "import", path, "--crs", "EPSG:4490", "--skip-invalid")
    assert skipped.returncode == 0 and "skipped row 4: category '77'" in skipped.stdout, skipped.stdout
