"""Place-name signs (地名标志): inventory through the live API (CRS, versions, roles, audit), photos stored outside
the database, atomic CSV import (API and CLI), the check the sign-standardization campaigns work from, the OGC
collection, and secrecy on every public route. Every sign here is a hand-made fixture (not a real inventory) naming
real Ordos place-name records unless it says otherwise."""

from __future__ import annotations

import csv
import hashlib
import re
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine, inspect, text

from app.main import create_app
from core.database import transaction
from core.settings import PhotoSettings
from core.values import GeoPoint
from gazetteer.places import editing, service
from gazetteer.romanization.service import romanize
from gazetteer.signs import rules as sign_rules
from tests.app.test_cli import gaz
from tests.boundaries.test_field_photos import tiny_png
from tests.factories import role_key

URL = "/api/v1/signs"
# Hand-made fixture: a secret place and its sign at exact points inside 康巴什区 (not real data).
SECRET_POINT = (109.781234, 39.612345)
SECRET_SIGN_POINT = (109.782345, 39.613456)
SECRET_DIGITS = re.compile(r"109\.78(12|23)|39\.61(23|34)")


def place_id(engine: Engine, admin_code: str) -> int:
    """The current standard record of an administrative unit of the loaded Ordos data."""
    with engine.connect() as conn:
        return int(
            conn.execute(
                text("SELECT id FROM place_name WHERE admin_code = :c AND status = 'standard' AND valid_to IS NULL"),
                {"c": admin_code},
            ).scalar_one()
        )


def counts(engine: Engine) -> tuple[int, int]:
    with engine.connect() as conn:
        return (
            conn.execute(text("SELECT count(*) FROM place_sign")).scalar_one(),
            conn.execute(text("SELECT count(*) FROM audit_log WHERE object_type = 'place_sign'")).scalar_one(),
        )


def sign_body(place: int, **extra: Any) -> dict[str, Any]:
    return {
        "inventory_no": "DS-0001",
        "place_name_id": place,
        "printed_name": "东胜区",
        "printed_romanization": "Dongsheng Qu",
        "condition": "good",
        "installed_on": "2019-05-01",
        "point": {"lon": 109.9630, "lat": 39.8220, "crs": "EPSG:4490"},
        **extra,
    }


@pytest.fixture
def editor(ordos_engine: Engine) -> dict[str, str]:
    return role_key(ordos_engine, "editor")


@pytest.fixture
def photo_dir(tmp_path: Path) -> Path:
    return tmp_path / "photos"


@pytest.fixture
def server_settings(photo_dir: Path) -> dict[str, Any]:
    """The test server keeps photos in this test's folder, at most 64 KiB each."""
    return {"photos": PhotoSettings(photo_dir=photo_dir, photo_max_bytes=64 * 1024)}


def test_sign_table_exists(engine: Engine) -> None:
    assert "place_sign" in inspect(engine).get_table_names()


# --- inventory through the API ---------------------------------------------------------------------
def test_create_list_detail_update(api: httpx.Client, ordos_engine: Engine, editor: dict[str, str]) -> None:
    dongsheng = place_id(ordos_engine, "150602000000")
    gcj = (109.9690, 39.8240)  # a phone's AMap position, GCJ-02
    created = api.post(
        URL, headers=editor, json=sign_body(dongsheng, point={"lon": gcj[0], "lat": gcj[1], "crs": "GCJ-02"})
    )
    assert created.status_code == 201, created.text
    sign = created.json()
    stored = GeoPoint.from_input(*gcj, "GCJ-02")
    assert (sign["point"]["lon"], sign["point"]["lat"]) == pytest.approx((stored.lon, stored.lat), abs=1e-9)
    assert 0.003 < abs(sign["point"]["lon"] - gcj[0]) < 0.008  # the GCJ-02 offset (300–700 m) was removed
    assert sign["point"]["crs"] == "EPSG:4490" and sign["source_crs"] == "GCJ-02" and not sign["point"]["generalised"]
    assert (sign["place_name"], sign["version"], sign["photo"]) == ("东胜区", 1, None)
    with ordos_engine.connect() as conn:
        srid, x = conn.execute(
            text("SELECT ST_SRID(geom), ST_X(geom) FROM place_sign WHERE id = :i"), {"i": sign["id"]}
        ).one()
    assert srid == 4490 and x == pytest.approx(stored.lon, abs=1e-12)

    bd = api.post(
        URL,
        headers=editor,
        json=sign_body(dongsheng, inventory_no="DS-0002", point={"lon": 109.9755, "lat": 39.8300, "crs": "BD-09"}),
    ).json()
    assert bd["point"]["lon"] == pytest.approx(GeoPoint.from_input(109.9755, 39.8300, "BD-09").lon, abs=1e-9)

    listed = api.get(URL, params={"unit": "150602"}).json()
    assert [s["inventory_no"] for s in listed["results"]] == ["DS-0001", "DS-0002"] and not listed["more"]
    assert api.get(URL, params={"unit": "150603"}).json()["results"] == []
    assert [s["id"] for s in api.get(URL, params={"place_name_id": dongsheng, "limit": 1}).json()["results"]] == [
        sign["id"]
    ]
    assert api.get(f"{URL}/{sign['id']}").json()["inventory_no"] == "DS-0001"

    url = f"{URL}/{sign['id']}"
    changed = api.patch(url, headers=editor, json={"version": 1, "changes": {"condition": "faded"}})
    assert changed.status_code == 200 and changed.json()["condition"] == "faded" and changed.json()["version"] == 2
    before = counts(ordos_engine)
    stale = api.patch(url, headers=editor, json={"version": 1, "changes": {"condition": "damaged"}})
    assert stale.status_code == 409 and stale.json()["current_version"] == 2
    assert counts(ordos_engine) == before and api.get(url).json()["condition"] == "faded"
    moved = api.patch(
        url, headers=editor, json={"version": 2, "point": {"lon": 109.97, "lat": 39.83, "crs": "EPSG:4326"}}
    )
    assert moved.status_code == 200 and moved.json()["point"]["lon"] == pytest.approx(109.97)
    admin = role_key(ordos_engine, "admin")
    log = api.get("/api/v1/audit", headers=admin, params={"object_type": "place_sign"}).json()
    assert [a["action"] for a in log] == ["update", "update", "create", "create"]
    assert log[1]["before"]["condition"] == "good" and log[1]["after"] == {"condition": "faded"}


def test_roles(api: httpx.Client, ordos_engine: Engine) -> None:
    body = sign_body(place_id(ordos_engine, "150602000000"))
    assert api.post(URL, json=body).status_code == 401
    assert api.post(URL, headers=role_key(ordos_engine, "inspector"), json=body).status_code == 403
    assert api.post(URL, headers=role_key(ordos_engine, "approver"), json=body).status_code == 201
    assert counts(ordos_engine) == (1, 1)


@pytest.mark.parametrize(
    ("change", "status", "needle"),
    [
        ({"condition": "broken"}, 422, "broken"),
        ({"place_name_id": 999999999}, 422, "999999999"),
        ({"printed_name": "  "}, 422, "printed_name is empty"),
        ({"printed_name": "东胜\x07区"}, 422, "control"),
        ({"printed_romanization": "D" * 201}, 422, "201"),
        ({"installed_on": "2019-02-30"}, 422, "2019-02-30"),
        ({"installed_on": "2999-01-01"}, 422, "future"),
        ({"point": {"lon": 39.82, "lat": 109.96, "crs": "EPSG:4326"}}, 422, "109.96"),
        ({"point": {"lon": 109.96, "lat": 39.82, "crs": "EPSG:3857"}}, 422, "EPSG:3857"),
        ({"point": {"lon": 100000, "lat": 300000, "crs": "EPSG:4545"}}, 422, "outside China"),
        ({"inventory_no": ""}, 422, "inventory_no is empty"),
        ({"inventory_no": "DS-0001"}, 409, "DS-0001"),
    ],
)
def test_create_refuses_bad_input(
    api: httpx.Client, ordos_engine: Engine, editor: dict[str, str], change: dict, status: int, needle: str
) -> None:
    dongsheng = place_id(ordos_engine, "150602000000")
    assert api.post(URL, headers=editor, json=sign_body(dongsheng)).status_code == 201
    before = counts(ordos_engine)
    response = api.post(URL, headers=editor, json=sign_body(dongsheng, **{"inventory_no": "DS-0009", **change}))
    assert response.status_code == status, response.text
    assert needle in response.json()["detail"]
    assert counts(ordos_engine) == before


@pytest.mark.parametrize(
    ("path", "params", "status", "needle"),
    [
        (URL, {"unit": "99"}, 422, "99"),
        (URL, {"unit": "15060"}, 422, "15060"),
        (URL, {"condition": "new"}, 422, "new"),
        (URL, {"limit": 0}, 422, "limit"),
        (f"{URL}/999999999", {}, 404, "999999999"),
        (f"{URL}/abc", {}, 422, "abc"),
        (f"{URL}/999999999/photo", {}, 404, "999999999"),
        (f"{URL}/check", {"unit": "abc"}, 422, "abc"),
        (f"{URL}/check", {"unit": "990000"}, 422, "990000"),
        (f"{URL}/check", {"format": "xlsx"}, 422, "xlsx"),
    ],
)
def test_reads_refuse_bad_input(ordos_api: httpx.Client, path: str, params: dict, status: int, needle: str) -> None:
    response = ordos_api.get(path, params=params)
    assert response.status_code == status, response.text
    assert needle in response.json()["detail"]


def test_update_refuses_bad_input(api: httpx.Client, ordos_engine: Engine, editor: dict[str, str]) -> None:
    sign = api.post(URL, headers=editor, json=sign_body(place_id(ordos_engine, "150602000000"))).json()
    url = f"{URL}/{sign['id']}"
    before = counts(ordos_engine)
    for body, status, needle in (
        ({"version": 1, "changes": {"inventory_no": "X"}}, 422, "inventory_no"),
        ({"version": 1, "changes": {}}, 422, "nothing to change"),
        ({"version": 1, "changes": {"condition": None}}, 422, "condition"),
        ({"version": 1, "changes": {"condition": "lost"}}, 422, "lost"),
        ({"version": 1, "point": {"lon": 200, "lat": 39, "crs": "EPSG:4326"}}, 422, "200"),
        ({"version": 7, "changes": {"condition": "faded"}}, 409, "version 1, not 7"),
    ):
        response = api.patch(url, headers=editor, json=body)
        assert response.status_code == status and needle in response.json()["detail"], (body, response.text)
    assert (
        api.patch(f"{URL}/999999999", headers=editor, json={"version": 1, "changes": {"notes": "x"}}).status_code == 404
    )
    assert counts(ordos_engine) == before


# --- photos ----------------------------------------------------------------------------------------
def test_photo_stored_outside_the_database(
    api: httpx.Client, ordos_engine: Engine, editor: dict[str, str], photo_dir: Path
) -> None:
    sign = api.post(URL, headers=editor, json=sign_body(place_id(ordos_engine, "150602000000"))).json()
    url = f"{URL}/{sign['id']}/photo"
    png = tiny_png(200)
    put = api.put(
        url, headers={**editor, "Content-Type": "image/png"}, params={"version": 1, "name": "ds1.png"}, content=png
    )
    assert put.status_code == 201, put.text
    photo = put.json()["photo"]
    digest = hashlib.sha256(png).hexdigest()
    assert (photo["sha256"], photo["media_type"], photo["size_bytes"], photo["name"]) == (
        digest,
        "image/png",
        len(png),
        "ds1.png",
    )
    assert (photo_dir / "signs" / f"{digest}.png").read_bytes() == png
    assert put.json()["version"] == 2
    again = api.put(url, headers=editor, params={"version": 1}, content=png)  # the same photo: nothing changes
    assert again.status_code == 200 and again.json()["version"] == 2
    got = api.get(url)
    assert got.status_code == 200 and got.content == png and got.headers["content-type"] == "image/png"
    before = counts(ordos_engine)
    bad_uploads: list[tuple[bytes, dict[str, str], dict[str, str | int], int, str]] = [
        (b"GIF89a" + b"\x00" * 100, {}, {"version": 2}, 422, "not a JPEG or PNG"),
        (png, {"Content-Type": "image/jpeg"}, {"version": 2}, 422, "declared 'image/jpeg'"),
        (b"\xff\xd8\xff" + b"\x00" * (64 * 1024), {}, {"version": 2}, 413, "exceeds the limit"),
        (tiny_png(10), {}, {"version": 1}, 409, "not 1"),
        (tiny_png(10), {}, {"version": 2, "name": "a\nb"}, 422, "single line"),
    ]
    for content, headers, params, status, needle in bad_uploads:
        response = api.put(url, headers={**editor, **headers}, params=params, content=content)
        assert response.status_code == status and needle in response.json()["detail"], response.text
    assert counts(ordos_engine) == before
    assert sorted(p.name for p in (photo_dir / "signs").iterdir()) == [f"{digest}.png"]
    replaced = api.put(url, headers=editor, params={"version": 2}, content=tiny_png(10))
    assert replaced.status_code == 201 and replaced.json()["photo"]["sha256"] != digest
    assert api.put(url, params={"version": 3}, content=png).status_code == 401
    assert api.get(f"{URL}/999999999/photo").status_code == 404


# --- import ----------------------------------------------------------------------------------------
HEADER = "inventory_no,place_name_id,printed_name,printed_romanization,condition,installed_on,lon,lat,notes\n"


def import_csv(engine: Engine, rows: list[str]) -> str:
    """A CSV of hand-made sign rows; ``{dongsheng}`` and ``{kangbashi}`` stand for the real record ids."""
    ids = {"dongsheng": place_id(engine, "150602000000"), "kangbashi": place_id(engine, "150603000000")}
    return HEADER + "".join(r.format(**ids) + "\n" for r in rows)


GOOD_ROWS = [
    "DS-0101,{dongsheng},东胜区,Dongsheng Qu,good,2018-06-01,109.9690,39.8240,",
    "KBS-0101,{kangbashi},康巴什区,Kangbashi District,faded,,109.7900,39.6100,人民广场东侧",
]


def test_import_is_atomic_and_idempotent(api: httpx.Client, ordos_engine: Engine, editor: dict[str, str]) -> None:
    body = import_csv(ordos_engine, GOOD_ROWS).encode("utf-8")
    first = api.post(f"{URL}/import", headers=editor, params={"crs": "GCJ-02"}, content=body)
    assert first.status_code == 200, first.text
    assert (first.json()["inserted"], first.json()["unchanged"]) == (2, 0)
    again = api.post(f"{URL}/import", headers=editor, params={"crs": "GCJ-02"}, content=b"\xef\xbb\xbf" + body)
    assert (again.json()["inserted"], again.json()["updated"], again.json()["unchanged"]) == (0, 0, 2)
    listed = {s["inventory_no"]: s for s in api.get(URL).json()["results"]}
    assert listed["DS-0101"]["point"]["lon"] == pytest.approx(GeoPoint.from_input(109.9690, 39.8240, "GCJ-02").lon)
    assert listed["KBS-0101"]["notes"] == "人民广场东侧" and listed["KBS-0101"]["installed_on"] is None
    changed = import_csv(ordos_engine, [GOOD_ROWS[0].replace(",good,", ",damaged,")])
    third = api.post(f"{URL}/import", headers=editor, params={"crs": "GCJ-02"}, content=changed.encode()).json()
    assert (third["updated"], api.get(f"{URL}/{listed['DS-0101']['id']}").json()["version"]) == (1, 2)
    admin = role_key(ordos_engine, "admin")
    log = api.get("/api/v1/audit", headers=admin, params={"object_type": "place_sign"}).json()
    assert [a["action"] for a in log] == ["import"] * 3  # one row per batch


def test_import_rejects_the_whole_file_with_a_report(
    api: httpx.Client, ordos_engine: Engine, editor: dict[str, str]
) -> None:
    rows = [
        *GOOD_ROWS,
        "DS-0102,{dongsheng},东胜区,Dongsheng Qu,shiny,,109.97,39.82,",
        "DS-0103,999999999,东胜区,Dongsheng Qu,good,,109.97,39.82,",
        "DS-0101,{dongsheng},东胜区,Dongsheng Qu,good,,109.97,39.82,",
        "DS-0104,{dongsheng},东胜区,Dongsheng Qu,good,,abc,39.82,",
        "DS-0105,{dongsheng},东胜区,Dongsheng Qu,good,2999-01-01,109.97,39.82,",
        "DS-0106,{dongsheng},,Dongsheng Qu,good,,109.97,39.82,",
    ]
    before = counts(ordos_engine)
    response = api.post(
        f"{URL}/import", headers=editor, params={"crs": "EPSG:4326"}, content=import_csv(ordos_engine, rows).encode()
    )
    assert response.status_code == 422, response.text
    rejected = {r["row"]: r["reason"] for r in response.json()["rejected"]}
    assert sorted(rejected) == [3, 4, 5, 6, 7, 8]
    for row, needle in (
        (3, "shiny"),
        (4, "999999999"),
        (5, "first at row 1"),
        (6, "abc"),
        (7, "future"),
        (8, "printed_name"),
    ):
        assert needle in rejected[row], (row, rejected[row])
    assert "nothing written" in response.json()["detail"] and counts(ordos_engine) == before
    partial = api.post(
        f"{URL}/import",
        headers=editor,
        params={"crs": "EPSG:4326", "skip_invalid": True},
        content=import_csv(ordos_engine, rows).encode(),
    )
    assert partial.status_code == 200 and (partial.json()["inserted"], partial.json()["rejected_count"]) == (2, 6)
    for content, params, needle in (
        (import_csv(ordos_engine, GOOD_ROWS).encode("gbk"), {"crs": "EPSG:4326"}, "not UTF-8"),
        (b"inventory_no,printed_name\nX,Y\n", {"crs": "EPSG:4326"}, "missing column(s)"),
        (import_csv(ordos_engine, GOOD_ROWS).encode(), {"crs": "WGS 1984"}, "WGS 1984"),
    ):
        response = api.post(f"{URL}/import", headers=editor, params=params, content=content)
        assert response.status_code == 422 and needle in response.json()["detail"], response.text
    assert api.post(f"{URL}/import", params={"crs": "EPSG:4326"}, content=b"").status_code == 401


def test_cli_import_and_check(ordos_engine: Engine, tmp_path: Path) -> None:
    source = tmp_path / "signs.csv"
    source.write_text(import_csv(ordos_engine, GOOD_ROWS), encoding="utf-8")
    done = gaz(ordos_engine, "signs", "import", source, "--crs", "GCJ-02")
    assert done.returncode == 0, done.stderr
    assert "read 2, written 2 (inserted 2, updated 0), unchanged 0, rejected 0" in done.stdout
    again = gaz(ordos_engine, "signs", "import", source, "--crs", "GCJ-02")
    assert "unchanged 2" in again.stdout
    out = tmp_path / "check.csv"
    checked = gaz(ordos_engine, "signs", "check", "--unit", "150603", "--format", "csv", "--out", out)
    assert checked.returncode == 0, checked.stderr
    assert "1 sign(s) checked, 1 with findings: {'english-word': 1}" in checked.stdout
    raw = out.read_bytes()
    assert raw.startswith("\ufeff".encode())
    rows = list(csv.DictReader(raw.decode("utf-8-sig").splitlines()))
    assert [(r["inventory_no"], r["rule"], r["should_say"]) for r in rows] == [
        ("KBS-0101", "english-word", "Kangbashi Qu")
    ]
    text_ = gaz(ordos_engine, "signs", "check")
    assert "KBS-0101\terror\tenglish-word\tKangbashi District\t→ Kangbashi Qu" in text_.stdout
    bad = tmp_path / "bad.csv"
    bad.write_text(import_csv(ordos_engine, [GOOD_ROWS[0].replace(",good,", ",gone,")]), encoding="utf-8")
    before = counts(ordos_engine)
    for args, needle in (
        (("signs", "import", bad, "--crs", "GCJ-02"), "gone"),
        (("signs", "import", tmp_path / "none.csv", "--crs", "GCJ-02"), "file not found"),
        (("signs", "import", source, "--crs", "EPSG:9999"), "EPSG:9999"),
        (("signs", "check", "--unit", "15060"), "15060"),
    ):
        failed = gaz(ordos_engine, *args)
        assert failed.returncode == 2 and needle in failed.stderr, (args, failed.stderr)
    assert counts(ordos_engine) == before


# --- the check -------------------------------------------------------------------------------------
def _village(engine: Engine) -> tuple[int, str, str]:
    """A real Ordos village record whose one-word romanization ends in -cun (the first by code)."""
    with engine.connect() as conn:
        row = conn.execute(
            text(
                "SELECT id, name, romanization FROM place_name WHERE admin_code LIKE '150602%' AND category = '32'"
                " AND status = 'standard' AND romanization LIKE '%cun' ORDER BY admin_code LIMIT 1"
            )
        ).one()
    return row.id, row.name, row.romanization


def test_check_lists_every_sign_off_the_standard(
    api: httpx.Client, ordos_engine: Engine, editor: dict[str, str]
) -> None:
    village_id, village, village_roman = _village(ordos_engine)
    with transaction(ordos_engine) as conn:
        # Hand-made places (not real records): a street whose name needs an apostrophe, and a square renamed later.
        street = service.create_place(
            conn,
            name="西安路",
            category="7",
            unit="150602",
            point=GeoPoint.from_input(109.98, 39.81, "EPSG:4490"),
            actor="t",
        )
        square = service.create_place(conn, name="试验广场", category="9", unit="150602", actor="t")
        editing.rename_place(
            conn,
            square["id"],
            version=1,
            new_name="试验文化广场",
            approving_body="东胜区人民政府",
            document_number="东政发〔2026〕1号",
            approval_date="2026-01-05",
            effective_date=str(square["valid_from"].replace(year=square["valid_from"].year + 1)),
            actor="t",
        )
    ids = {
        code: place_id(ordos_engine, code) for code in ("150600000000", "150602000000", "150621000000", "150625000000")
    }
    signs = [  # inventory number, place, printed name, printed romanization
        ("A01", ids["150602000000"], "东胜区", "Dongsheng Qu"),
        ("A02", ids["150602000000"], "东\u3000胜 区", "DONGSHENG QU"),
        ("A03", ids["150600000000"], "鄂尔多斯市", "Eerduosi Shi"),
        ("A04", ids["150621000000"], "达拉特旗", "Dalate Qi"),
        ("A05", street["id"], "西安路", "Xian Lu Road"),
        ("A06", ids["150602000000"], "東勝區", "Dongsheng Qu"),
        ("A07", square["id"], "试验广场", "Shiyan Guangchang"),
        ("A08", ids["150625000000"], "杭锦镇", "Hanggin Qi"),
        ("A09", village_id, village, village_roman[:-3] + " Cun"),
        ("A10", ids["150602000000"], "东胜区", None),
        ("A11", ids["150602000000"], "东胜区", "DongSheng Qu"),
        ("A12", ids["150602000000"], "东胜区", "Dongsheng Lu Road"),
    ]
    for number, place, name, roman in signs:
        body = sign_body(place, inventory_no=number, printed_name=name, printed_romanization=roman)
        assert api.post(URL, headers=editor, json=body).status_code == 201
    result = api.get(f"{URL}/check").json()
    found = {s["inventory_no"]: s for s in result["signs"]}
    expected: dict[str, list[tuple[str, str, str | None, str]]] = {
        "A03": [("mongolian-official-form", "error", "Eerduosi Shi", "Ordos Shi")],
        "A04": [("mongolian-official-form", "error", "Dalate Qi", "Dalad Qi")],
        "A05": [
            ("english-word", "error", "Xian Lu Road", "Xi'an Lu"),
            ("apostrophe", "error", "Xian Lu Road", "Xi'an Lu"),
        ],
        "A06": [("traditional-characters", "error", "東勝區", "东胜区")],
        "A07": [
            ("outdated-name", "error", "试验广场", "试验文化广场"),
            ("spelling", "error", "Shiyan Guangchang", romanize("试验文化广场").plain),  # the romanizer decides
        ],
        "A08": [("name-differs", "error", "杭锦镇", "杭锦旗")],
        "A09": [("word-split", "warning", village_roman[:-3] + " Cun", village_roman)],
        "A10": [("romanization-missing", "error", None, "Dongsheng Qu")],
        "A11": [("capitalisation", "warning", "DongSheng Qu", "Dongsheng Qu")],
        "A12": [
            ("english-word", "error", "Dongsheng Lu Road", "Dongsheng Qu"),
            ("spelling", "error", "Dongsheng Lu Road", "Dongsheng Qu"),
        ],
    }
    got = {
        n: [(f["rule"], f["severity"], f["sign_says"], f["should_say"]) for f in s["findings"]]
        for n, s in found.items()
    }
    assert got == expected
    assert (result["checked"], result["with_findings"]) == (12, 10)  # A01 and A02 (spaces, capitals) are standard
    assert (
        found["A03"]["expected_romanization_origin"] == "official"
        and "鄂尔多斯" in found["A03"]["findings"][0]["message"]
    )
    assert found["A07"]["findings"][0]["message"].startswith(
        "试验广场 is a former name of the place: renamed 试验文化广场"
    )
    assert found["A09"]["unit_path_text"].startswith("鄂尔多斯市/东胜区/") and found["A09"]["standard_name"] == village
    assert all(f["basis"] for s in result["signs"] for f in s["findings"])
    scoped = api.get(f"{URL}/check", params={"unit": "150621"}).json()
    assert [s["inventory_no"] for s in scoped["signs"]] == ["A04"] and scoped["checked"] == 1
    exported = api.get(f"{URL}/check", params={"format": "csv"})
    assert exported.headers["content-type"].startswith("text/csv") and exported.content.startswith("\ufeff".encode())
    rows = list(csv.DictReader(exported.content.decode("utf-8-sig").splitlines()))
    assert len(rows) == sum(len(v) for v in expected.values())
    assert {
        "inventory_no": "A04",
        "rule": "mongolian-official-form",
        "sign_says": "Dalate Qi",
        "should_say": "Dalad Qi",
    }.items() <= next(r for r in rows if r["inventory_no"] == "A04").items()


@pytest.mark.parametrize(
    ("name", "printed", "rules"),
    [
        ("西安市", "Xi'an Shi", []),
        ("西安市", "XI\u2019AN SHI", []),
        ("西安市", "Xian Shi", ["apostrophe"]),
        ("东胜区", "Dōngshèng Qū", ["tone-marks"]),
        ("东胜区", "Dong Sheng Qu", ["word-split"]),
        ("东胜区", "Dongsheng-Qu", ["word-split"]),
        ("东胜区", "Dongsheng District", ["english-word"]),
        ("东胜路", "Dongsheng Road", ["english-word"]),
        ("东胜路", "Dongsheng Street", ["english-word"]),
        ("东胜大街", "Dongsheng Avenue", ["english-word"]),
        ("康巴什区", "Kangbashen Qu", ["spelling"]),
        ("鄂托克前旗", "Etuoke Qianqi", ["mongolian-official-form"]),
        ("鄂托克前旗", "Otog Qianqi", []),
        ("伊金霍洛旗", "Yijinhuoluo Qi", ["mongolian-official-form"]),
        # Signs written in the corrected forms (GB/T 16159-2012 6.3, 1984 rules, official forms) pass.
        ("乌兰镇", "Ulan Zhen", []),
        ("乌兰镇", "Wulan Zhen", ["mongolian-official-form"]),
        ("阿勒腾席热镇", "Altan Xiret Zhen", []),
        ("内蒙古自治区", "NEI MONGOL ZIZHIQU", []),
        ("泰山", "Tai Shan", []),
        ("黄河", "Huang He", []),
        ("泰山", "Taishan", ["word-split"]),
        ("育英社区", "Yuying Shequ", []),
        ("鄂尔多斯市高新技术产业园区", "Ordos Shi Gaoxin Jishu Chanye Yuanqu", []),
        ("苏里格经济开发区", "Sulige Jingji Kaifaqu", []),
        ("1203高地", "1203 Gaodi", []),
        ("二马路", "2 Malu", []),
        ("景山后街", "Jingshan Houjie", []),
    ],
)
def test_romanization_rules_of_the_check(name: str, printed: str, rules: list[str]) -> None:
    assert [f["rule"] for f in sign_rules.check_romanization(printed, romanize(name))] == rules


# --- OGC and secrecy ---------------------------------------------------------------------------------
def test_signs_are_an_ogc_collection(api: httpx.Client, ordos_engine: Engine, editor: dict[str, str]) -> None:
    created = api.post(URL, headers=editor, json=sign_body(place_id(ordos_engine, "150602000000"))).json()
    assert "place-signs" in [c["id"] for c in api.get("/ogc/collections").json()["collections"]]
    items = api.get("/ogc/collections/place-signs/items", params={"condition": "good"}).json()["features"]
    assert [(f["id"], f["properties"]["printed_name"]) for f in items] == [(created["id"], "东胜区")]
    assert items[0]["geometry"]["coordinates"] == pytest.approx([109.9630, 39.8220])


def _public_sign_routes() -> list[str]:
    paths = create_app().openapi()["paths"]
    return sorted(p for p, ops in paths.items() if "get" in ops and p.startswith(URL))


def test_a_sign_of_a_secret_place_shows_no_exact_location(
    api: httpx.Client, ordos_engine: Engine, editor: dict[str, str], photo_dir: Path
) -> None:
    """Walks every public GET route of the signs (from the app's OpenAPI; a new route fails here until it is
    added) and the OGC collection: a sign naming a secret place is there, its exact coordinates are not."""
    with transaction(ordos_engine) as conn:
        secret = service.create_place(
            conn,
            name="试验水源地",
            category="8",
            unit="150603",
            point=GeoPoint.from_input(*SECRET_POINT, "EPSG:4490"),
            secrecy="secret",
            actor="test",
        )
    body = sign_body(
        secret["id"],
        inventory_no="SECRET-1",
        printed_name="试验水源地",
        printed_romanization="Shiyan Shuiyuandi Road",
        point={"lon": SECRET_SIGN_POINT[0], "lat": SECRET_SIGN_POINT[1], "crs": "EPSG:4490"},
    )
    created = api.post(URL, headers=editor, json=body)
    assert created.status_code == 201 and not SECRET_DIGITS.search(created.text)
    sign_id = created.json()["id"]
    assert created.json()["point"] == {
        "lon": pytest.approx(109.8),
        "lat": pytest.approx(39.6),
        "crs": "EPSG:4490",
        "generalised": True,
    }
    assert (
        api.put(f"{URL}/{sign_id}/photo", headers=editor, params={"version": 1}, content=tiny_png(5)).status_code == 201
    )
    with ordos_engine.connect() as conn:
        exact = conn.execute(text("SELECT ST_X(geom), ST_Y(geom) FROM place_sign WHERE id = :i"), {"i": sign_id}).one()
    assert exact == pytest.approx(SECRET_SIGN_POINT)
    calls: dict[str, list[dict[str, Any]]] = {
        URL: [{}, {"unit": "150603"}],
        f"{URL}/check": [{"format": "json"}, {"format": "csv"}],
        f"{URL}/{{sign_id}}": [{}],
        f"{URL}/{{sign_id}}/photo": [{}],
    }
    assert set(_public_sign_routes()) == set(calls), "a new public sign route needs its secrecy check here"
    for path, variants in calls.items():
        for params in variants:
            response = api.get(path.replace("{sign_id}", str(sign_id)), params=params)
            if path.endswith("/photo"):  # the photo may show the place (and carry GPS): key holders only
                assert response.status_code == 401 and "not public" in response.json()["detail"]
                continue
            assert response.status_code == 200, (path, params, response.text)
            assert "SECRET-1" in response.content.decode("utf-8-sig"), (path, params)
            assert not SECRET_DIGITS.search(response.content.decode("utf-8-sig")), (path, params)
    assert api.get(f"{URL}/{sign_id}/photo", headers=editor).content == tiny_png(5)
    for response in (
        api.get("/ogc/collections/place-signs/items"),
        api.get(f"/ogc/collections/place-signs/items/{sign_id}"),
        api.get("/ogc/collections/place-signs/items", params={"f": "csv"}),
    ):
        assert response.status_code == 200 and "SECRET-1" in response.content.decode("utf-8-sig")
        assert not SECRET_DIGITS.search(response.content.decode("utf-8-sig"))
    # The exact point does not find it either: a filter sees only the published (generalised) geometry.
    at_exact_point = api.get(
        "/ogc/collections/place-signs/items",
        params={"filter": f"S_INTERSECTS(geom, POINT({SECRET_SIGN_POINT[0]} {SECRET_SIGN_POINT[1]}))"},
    )
    assert at_exact_point.status_code == 200 and at_exact_point.json()["numberMatched"] == 0
