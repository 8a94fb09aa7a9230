"""Strict parsing and bounded decompression, through the live API and the ``gaz`` CLI: a date is ``YYYY-MM-DD`` and
nothing else, user text is a JSON string, a coordinate a JSON number; a ``.gz`` or ``.zip`` input expanding past
``GAZ_MAX_DECOMPRESSED_BYTES`` is refused naming the file and the limit, before it reaches memory."""

from __future__ import annotations

import gzip
import io
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine, text

from core.settings import ImportSettings
from gazetteer.places import queries
from gazetteer.places.api import PlaceChanges
from gazetteer.signs import service as signs
from gazetteer.signs.api import SignChanges
from tests.conftest import LiveServer, server_config
from tests.factories import api_key, gaz

PROJECT = Path(__file__).resolve().parents[2]
GAZ = PROJECT / ".venv" / "bin" / "gaz"
SPOT = {"lon": 109.78123, "lat": 39.61234, "crs": "EPSG:4490"}  # inside 康巴什区 (150603)
LIMIT = 10_000_000
BOMB_BYTES = 50 * 1024 * 1024  # 50 MB of zeros: about 50 kB compressed


def place_rows(engine: Engine) -> list[tuple[Any, ...]]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(text("SELECT id, version, meaning, tags FROM place_name ORDER BY id"))]


# --- dates -------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("bad", ["0", "20240101", "1700000000", "2024-1-1", "2024-01-01T00:00:00", "2024-W01-1"])
@pytest.mark.parametrize(
    ("route", "params"),
    [
        ("/api/v1/places/search", {"q": "东胜区"}),
        ("/api/v1/reverse", {"lon": "109.78", "lat": "39.61"}),
        ("/api/v1/units/150603", {}),
        ("/api/v1/units/150603/children", {}),
    ],
)
def test_a_date_is_yyyy_mm_dd_and_nothing_else(
    ordos_api: httpx.Client, route: str, params: dict[str, str], bad: str
) -> None:
    response = ordos_api.get(route, params={**params, "as_of": bad})
    assert response.status_code == 422, response.text
    assert "as_of" in response.json()["detail"] and "YYYY-MM-DD" in response.json()["detail"]
    assert ordos_api.get(route, params={**params, "as_of": "2024-01-01"}).status_code == 200


def test_dates_in_bodies_are_strict(api: httpx.Client, ordos_engine: Engine) -> None:
    editor, approver = api_key(ordos_engine, "editor", "editor"), api_key(ordos_engine, "approver", "approver")
    created = api.post(
        "/api/v1/places", headers=editor, json={"name": "试验泉", "category": "8", "unit": "150603", "point": SPOT}
    )
    assert created.status_code == 201, created.text
    url = f"/api/v1/places/{created.json()['id']}"
    approval = {"version": 1, "approving_body": "康巴什区人民政府", "document_number": "康府发〔2026〕3号"}
    for bad in (0, "0", 20260301, "2026-3-1"):
        refused = api.post(url + "/approve", headers=approver, json={**approval, "approval_date": bad})
        assert refused.status_code == 422 and "approval_date" in refused.json()["detail"], refused.text
        patched = api.patch(url, headers=editor, json={"version": 1, "changes": {"approval_date": bad}})
        assert patched.status_code == 422 and "approval_date" in patched.json()["detail"], patched.text
    approved = api.post(url + "/approve", headers=approver, json={**approval, "approval_date": "2026-03-01"})
    assert approved.status_code == 200 and approved.json()["approval_date"] == "2026-03-01"


# --- strings -----------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"meaning": 5}, "meaning"),
        ({"origin": True}, "origin"),
        ({"history": ["a"]}, "history"),
        ({"tags": "红色地名"}, "tags"),
        ({"tags": [1]}, "tags"),
        ({"category": 8}, "category"),
        ({"category": None}, "category"),
        ({"secrecy": 0}, "secrecy"),
        ({"approving_body": {"a": 1}}, "approving_body"),
    ],
)
def test_text_must_be_a_string(api: httpx.Client, ordos_engine: Engine, changes: dict[str, Any], field: str) -> None:
    editor = api_key(ordos_engine, "editor", "editor")
    body = {"name": "试验泉", "category": "8", "unit": "150603", "point": SPOT}
    created = api.post("/api/v1/places", headers=editor, json=body).json()
    before = place_rows(ordos_engine)
    response = api.patch(f"/api/v1/places/{created['id']}", headers=editor, json={"version": 1, "changes": changes})
    assert response.status_code == 422 and f"changes.{field}" in response.json()["detail"], response.text
    assert place_rows(ordos_engine) == before
    if field != "approving_body":  # the same text fields of a new proposal
        proposal = api.post("/api/v1/places", headers=editor, json={**body, "name": "试验井", field: changes[field]})
        assert proposal.status_code == 422 and field in proposal.json()["detail"], proposal.text
    assert (
        api.patch(
            f"/api/v1/places/{created['id']}", headers=editor, json={"version": 1, "changes": {"meaning": "5"}}
        ).json()["meaning"]
        == "5"
    )


def test_sign_fields_are_typed(api: httpx.Client, ordos_engine: Engine) -> None:
    editor = api_key(ordos_engine, "editor", "editor")
    with ordos_engine.connect() as conn:
        place = conn.execute(text("SELECT id FROM place_name WHERE admin_code = '150602000000'")).scalar_one()
    body = {"inventory_no": "DS-0001", "place_name_id": place, "printed_name": "东胜区", "condition": "good"}
    point = {"lon": 109.963, "lat": 39.822, "crs": "EPSG:4490"}
    for bad in ({"point": {**point, "lat": False}}, {"point": point, "installed_on": 0}, {"point": point, "notes": 5}):
        assert api.post("/api/v1/signs", headers=editor, json={**body, **bad}).status_code == 422, bad
    sign = api.post("/api/v1/signs", headers=editor, json={**body, "point": point}).json()
    for changes in ({"notes": 5}, {"printed_name": ["东胜区"]}, {"installed_on": "2019-5-1"}, {"condition": None}):
        response = api.patch(f"/api/v1/signs/{sign['id']}", headers=editor, json={"version": 1, "changes": changes})
        assert response.status_code == 422 and f"changes.{next(iter(changes))}" in response.json()["detail"]
    assert api.get(f"/api/v1/signs/{sign['id']}").json()["version"] == 1


def test_the_typed_changes_are_the_editable_fields() -> None:
    """The HTTP schema of a PATCH lists exactly the fields the service edits."""
    assert set(PlaceChanges.__annotations__) == set(queries.EDITABLE_FIELDS)
    assert set(SignChanges.__annotations__) == set(signs.EDITABLE)


# --- coordinates -------------------------------------------------------------------------------------------
@pytest.mark.parametrize("bad", [False, True, "109.78", None, [109.78]])
def test_a_point_is_two_numbers(api: httpx.Client, ordos_engine: Engine, bad: Any) -> None:
    editor = api_key(ordos_engine, "editor", "editor")
    body = {"name": "试验泉", "category": "8", "unit": "150603"}
    before = place_rows(ordos_engine)
    cases = [
        {**body, "point": {**SPOT, "lat": bad}},
        {**body, "geometry": {"type": "Point", "coordinates": [109.78, bad], "crs": "EPSG:4490"}},
        {**body, "geometry": {"type": "LineString", "coordinates": [[109.76, 39.60], [bad, 39.62]]}},
        {**body, "geometry": {"type": "MultiPoint", "coordinates": [[109.76, 39.60], [109.77, bad]]}},
    ]
    for case in cases:
        response = api.post("/api/v1/places", headers=editor, json=case)
        assert response.status_code == 422, (case, response.text)
    assert place_rows(ordos_engine) == before
    review = api.post("/api/v1/naming/review", headers=editor, json={**body, "lon": 109.78, "lat": bad})
    assert review.status_code == 422, review.text


def test_batch_reverse_points_are_numbers(api: httpx.Client, ordos_engine: Engine) -> None:
    inspector = api_key(ordos_engine, "inspector", "inspector")
    url = "/api/v1/reverse/batch"
    for points in ([[0, False]], [[109.78, True]], [["109.78", 39.61]], [[109.78, None]]):
        response = api.post(url, headers=inspector, json={"crs": "EPSG:4490", "points": points})
        assert response.status_code == 422, (points, response.text)
    good = api.post(url, headers=inspector, json={"crs": "EPSG:4490", "points": [[109.78, 39.61], [110, 40]]})
    assert good.status_code == 200, good.text


def test_polygon_rings_are_numbers(api: httpx.Client, ordos_engine: Engine) -> None:
    editor = api_key(ordos_engine, "editor", "editor")
    ring = [[109.77, 39.60], [109.79, 39.60], [109.79, 39.62], [109.77, 39.62], [109.77, 39.60]]
    body = {"crs": "EPSG:4490", "source": "试验", "status": "draft", "valid_from": "2026-01-01"}
    bad_ring = [*ring[:2], [109.79, False], *ring[3:]]
    response = api.post(
        "/api/v1/units/150603/polygons",
        headers=editor,
        json={**body, "geometry": {"type": "Polygon", "coordinates": [bad_ring]}},
    )
    assert response.status_code == 422 and "not a list of numbers" in response.json()["detail"], response.text
    geometry = {"type": "Polygon", "coordinates": [ring]}
    response = api.post(
        "/api/v1/units/150603/polygons", headers=editor, json={**body, "geometry": geometry, "valid_from": 0}
    )
    assert response.status_code == 422 and "valid_from" in response.json()["detail"], response.text
    with ordos_engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM unit_polygon WHERE source = '试验'")).scalar_one() == 0


def test_an_imported_geojson_position_must_be_numbers(api: httpx.Client, ordos_engine: Engine) -> None:
    editor = api_key(ordos_engine, "editor", "editor")
    document = (
        '{"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {"name": "试验泉", '
        '"category": "8", "unit": "150603"}, "geometry": {"type": "Point", "coordinates": [109.78, false]}}]}'
    )
    response = api.post(
        "/api/v1/places/import",
        headers=editor,
        params={"crs": "EPSG:4490", "name": "places.geojson"},
        content=document.encode(),
    )
    assert response.status_code == 422, response.text
    assert response.json()["rejected"][0]["field"] == "geometry"
    assert "not a list of numbers" in response.json()["rejected"][0]["reason"]


# --- compressed input ----------------------------------------------------------------------------------------
def gzip_bomb(path: Path, size: int = BOMB_BYTES, head: bytes = b"code,name\n") -> Path:
    with gzip.open(path, "wb", compresslevel=9) as stream:
        stream.write(head)
        zeros = b"0" * (1 << 20)
        for _ in range(size // len(zeros)):
            stream.write(zeros)
    return path


def test_a_gzip_bomb_is_refused_by_the_cli(engine: Engine, tmp_path: Path) -> None:
    bomb = gzip_bomb(tmp_path / "bomb.csv.gz")
    assert bomb.stat().st_size < 200_000
    limit = {"GAZ_MAX_DECOMPRESSED_BYTES": str(LIMIT)}
    commands = [
        ("import", "divisions", bomb, "--valid-from", "2024-01-01"),
        (
            "import",
            "points",
            bomb,
            "--source",
            "x",
            "--crs",
            "EPSG:4490",
            "--lon-column",
            "lon",
            "--lat-column",
            "lat",
            "--name-column",
            "name",
            "--id-column",
            "id",
        ),  # fmt: skip
        (
            "import",
            "polygons",
            gzip_bomb(tmp_path / "bomb.geojson.gz", head=b'{"type": "FeatureCollection", '),
            "--source",
            "x",
            "--status",
            "draft",
            "--valid-from",
            "2024-01-01",
        ),  # fmt: skip
    ]
    for command in commands:
        done = gaz(engine, *command, **limit)
        assert done.returncode == 2, (command, done.stdout, done.stderr)
        assert "bomb." in done.stderr and "10,000,000 bytes" in done.stderr, done.stderr
        assert "GAZ_MAX_DECOMPRESSED_BYTES" in done.stderr
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM admin_unit")).scalar_one() == 0
        assert conn.execute(text("SELECT count(*) FROM audit_log")).scalar_one() == 0


def test_a_zip_bomb_shapefile_and_a_corrupt_gzip_are_refused(engine: Engine, tmp_path: Path) -> None:
    archive = tmp_path / "bomb.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as bundle:
        bundle.writestr("bomb.shp", b"\0" * BOMB_BYTES)
    done = gaz(engine, "import", "polygons", archive, "--source", "x", "--status", "draft", "--valid-from",
               "2024-01-01", GAZ_MAX_DECOMPRESSED_BYTES=str(LIMIT))  # fmt: skip
    assert done.returncode == 2 and "bomb.zip: decompresses to more than 10,000,000 bytes" in done.stderr
    corrupt = tmp_path / "corrupt.csv.gz"
    corrupt.write_bytes(gzip.compress("code,name\n150603,康巴什区\n".encode())[:-12])
    done = gaz(engine, "import", "divisions", corrupt, "--valid-from", "2024-01-01")
    assert done.returncode == 2 and "corrupt.csv.gz: not a valid gzip file" in done.stderr, done.stderr


@pytest.fixture
def small_limit_api(ordos_engine: Engine) -> Iterator[httpx.Client]:
    """A live server whose compressed inputs may expand to ``LIMIT`` bytes only."""
    url = ordos_engine.url.render_as_string(hide_password=False)
    with LiveServer(url, server_config(url, imports=ImportSettings(max_decompressed_bytes=LIMIT))) as client:
        yield client


def test_a_gzip_bomb_is_refused_by_the_api(small_limit_api: httpx.Client, ordos_engine: Engine, tmp_path: Path) -> None:
    api = small_limit_api
    editor = api_key(ordos_engine, "editor", "editor")
    bomb = gzip_bomb(tmp_path / "markers.csv.gz").read_bytes()
    response = api.post(
        "/api/v1/boundaries/markers/import", headers=editor, params={"name": "markers.csv.gz"}, content=bomb
    )
    assert response.status_code == 413, response.text
    assert "markers.csv.gz: decompresses to more than 10,000,000 bytes" in response.json()["detail"]
    small = io.BytesIO()
    with gzip.open(small, "wb") as stream:
        stream.write(b"number,unit_a,unit_b,type,x,y,crs,description\n")
    response = api.post(
        "/api/v1/boundaries/markers/import",
        headers=editor,
        params={"name": "markers.csv.gz"},
        content=small.getvalue(),
    )
    assert response.status_code == 200 and response.json()["read"] == 0, response.text
