"""The ``gaz`` command run as a subprocess against a test database: exit codes, what reaches stdout and
stderr, and that a refused import writes nothing."""

from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from boundaries.units.service import import_divisions
from core.crs import ACCEPTED_CRS_NAMES
from core.database import transaction
from tests.conftest import LiveServer
from tests.factories import gaz

PROJECT = Path(__file__).resolve().parents[2]
GAZ = PROJECT / ".venv" / "bin" / "gaz"
SUMMARY = re.compile(
    r"^(?P<source>\S+): read (?P<read>\d+), written (?P<written>\d+) \(inserted \d+, updated \d+\), "
    r"unchanged (?P<unchanged>\d+), rejected (?P<rejected>\d+)$",
    re.MULTILINE,
)
ORDOS_HEADER = "code,short_code,name,level,level_name,parent_code,kind_from_name,full_name"
DIVISION_LINES = [
    "150600000000,1506,鄂尔多斯市,2,city,150000000000,,鄂尔多斯市",
    "1506020,150602,东胜区,3,county,150600000000,,东胜区",  # 7 digits: the bad row (row 2)
    "150602001000,150602001,交通街道,4,township,150602000000,,交通街道",
    "150602001001,150602001001,吉劳庆社区,5,village,150602001000,,吉劳庆社区",
]
BOW_TIE_GCJ02 = [[109.976, 39.8113], [109.996, 39.8313], [109.996, 39.8113], [109.976, 39.8313], [109.976, 39.8113]]


# --- helpers ---------------------------------------------------------------------------------------


def row_counts(engine: Engine) -> dict[str, int]:
    """Rows in each table an import or a user command writes."""
    with engine.connect() as conn:
        return {
            table: conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()  # noqa: S608 - fixed names
            for table in ("admin_unit", "unit_polygon", "reference_point", "api_user", "audit_log")
        }


def summaries(output: str) -> list[dict[str, str]]:
    """The summary lines (read / written / unchanged / rejected) of a run's output."""
    return [match.groupdict() for match in SUMMARY.finditer(output)]


@pytest.fixture
def bad_divisions(tmp_path: Path) -> Path:
    """A hand-made Ordos-layout file whose second row has a 7-digit code."""
    path = tmp_path / "fixture_bad_divisions.csv"
    path.write_text("\n".join([ORDOS_HEADER, *DIVISION_LINES]) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def bow_tie(tmp_path: Path) -> Path:
    """A hand-made GeoJSON (GCJ-02, no crs member) with one self-intersecting polygon for 交通街道."""
    path = tmp_path / "fixture_bowtie_gcj02.geojson"
    feature = {
        "type": "Feature",
        "properties": {"adcode": "150602001000"},
        "geometry": {"type": "Polygon", "coordinates": [BOW_TIE_GCJ02]},
    }
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [feature]}), encoding="utf-8")
    return path


@pytest.fixture
def divisions_engine(engine: Engine, data_root: Path) -> Engine:
    """A fresh database with the Ordos division codes loaded."""
    with transaction(engine) as conn:
        import_divisions(conn, data_root / "ordos/codes/ordos_divisions_nbs2023.csv", valid_from=date(2023, 6, 30))
    return engine


# --- gaz import divisions --------------------------------------------------------------------------
def test_import_divisions_with_a_bad_row_exits_non_zero(engine: Engine, bad_divisions: Path) -> None:
    """The bad row and value are printed on stderr, the exit status is non-zero, nothing is written."""
    result = gaz(engine, "import", "divisions", bad_divisions, "--valid-from", "2023-06-30")

    assert result.returncode != 0
    assert "row 2: code '1506020' is not 2, 4, 6, 9 or 12 digits" in result.stderr
    assert "nothing written" in result.stderr and "--skip-invalid" in result.stderr
    assert summaries(result.stdout) == []
    assert row_counts(engine) == dict.fromkeys(row_counts(engine), 0)


def test_import_divisions_skip_invalid_writes_the_rest(engine: Engine, bad_divisions: Path) -> None:
    """--skip-invalid exits 0, prints the summary line and lists the skipped row."""
    result = gaz(engine, "import", "divisions", bad_divisions, "--valid-from", "2023-06-30", "--skip-invalid")

    assert result.returncode == 0, result.stderr
    assert "skipped row 2: code '1506020'" in result.stdout
    assert summaries(result.stdout) == [
        {"source": "fixture_bad_divisions.csv", "read": "4", "written": "3", "unchanged": "0", "rejected": "1"}
    ]
    assert row_counts(engine)["admin_unit"] == 3


def test_import_divisions_bad_date_and_missing_file(engine: Engine, tmp_path: Path) -> None:
    """A malformed --valid-from and a missing file each get one clear line and a non-zero exit."""
    bad_date = gaz(engine, "import", "divisions", tmp_path / "x.csv", "--valid-from", "30.06.2023")
    assert bad_date.returncode != 0 and "--valid-from '30.06.2023' is not a date: use YYYY-MM-DD" in bad_date.stderr

    missing = gaz(engine, "import", "divisions", tmp_path / "x.csv", "--valid-from", "2023-06-30")
    assert missing.returncode != 0 and f"file not found: {tmp_path / 'x.csv'}" in missing.stderr


# --- gaz import polygons ---------------------------------------------------------------------------
def test_import_polygons_gcj02_with_repair(divisions_engine: Engine, bow_tie: Path) -> None:
    """--crs gcj02 --on-invalid repair stores the repaired polygon and prints the repair."""
    result = gaz(
        divisions_engine,
        *("import", "polygons", bow_tie, "--source", "fixture", "--status", "registered"),
        *("--valid-from", "2024-01-01", "--crs", "gcj02", "--on-invalid", "repair"),
    )

    assert result.returncode == 0, result.stderr
    assert "note: repaired 150602001000: Self-intersection" in result.stdout
    assert summaries(result.stdout)[0]["written"] == "1"
    with divisions_engine.connect() as conn:
        valid, has_original = conn.execute(
            text("SELECT ST_IsValid(geom), original_geom IS NOT NULL FROM unit_polygon")
        ).one()
    assert valid and has_original


def test_import_polygons_refuses_the_bow_tie_by_default(divisions_engine: Engine, bow_tie: Path) -> None:
    """Without --on-invalid repair the import fails naming the row and the reason; nothing written."""
    result = gaz(
        divisions_engine,
        *("import", "polygons", bow_tie, "--source", "fixture", "--status", "registered"),
        *("--valid-from", "2024-01-01", "--crs", "GCJ-02"),
    )
    assert result.returncode != 0
    assert "row 1: unit 150602001000: invalid geometry: Self-intersection[" in result.stderr
    assert row_counts(divisions_engine)["unit_polygon"] == 0


def test_import_polygons_unknown_crs_lists_the_accepted_names(divisions_engine: Engine, bow_tie: Path) -> None:
    """--crs foo fails with the list of accepted CRS names."""
    result = gaz(
        divisions_engine,
        *("import", "polygons", bow_tie, "--source", "fixture", "--status", "registered"),
        *("--valid-from", "2024-01-01", "--crs", "foo"),
    )
    assert result.returncode != 0
    assert "'foo'" in result.stderr
    assert all(name in result.stderr for name in ACCEPTED_CRS_NAMES)
    assert row_counts(divisions_engine)["unit_polygon"] == 0


# --- gaz users -------------------------------------------------------------------------------------
def test_users_create_prints_a_key_once(engine: Engine) -> None:
    """A new editor gets a gaz_ key; the same name again fails clearly; an unknown role is refused."""
    created = gaz(engine, "users", "create", "--name", "x", "--role", "editor")
    assert created.returncode == 0, created.stderr
    key = created.stdout.strip()
    assert key.startswith("gaz_") and len(key) > 30

    again = gaz(engine, "users", "create", "--name", "x", "--role", "approver")
    assert again.returncode != 0
    assert "user 'x' already exists" in again.stderr
    assert key not in again.stdout + again.stderr

    superuser = gaz(engine, "users", "create", "--name", "y", "--role", "superuser")
    assert superuser.returncode != 0
    assert "invalid choice: 'superuser'" in superuser.stderr
    with engine.connect() as conn:
        users = conn.execute(text("SELECT name, role, key_hash FROM api_user")).all()
    assert [(u.name, u.role) for u in users] == [("x", "editor")]
    assert key not in users[0].key_hash  # only the hash is stored


def test_users_list_shows_roles_and_times_never_the_key(engine: Engine) -> None:
    """gaz users list: one line per user with role, created, last used (a real request through the server) and
    revoked; neither the keys nor their hashes appear."""
    assert gaz(engine, "users", "list").stdout.split() == ["name", "role", "created", "last", "used", "revoked"]
    keys = {name: gaz(engine, "users", "create", "--name", name, "--role", role).stdout.strip()
            for name, role in (("王主任", "admin"), ("ed", "editor"))}  # fmt: skip
    assert gaz(engine, "users", "revoke", "--name", "ed").returncode == 0
    with LiveServer(engine.url.render_as_string(hide_password=False)) as client:
        assert client.get("/api/v1/audit", headers={"X-API-Key": keys["王主任"]}).status_code == 200
    listed = gaz(engine, "users", "list")
    assert listed.returncode == 0, listed.stderr
    with engine.connect() as conn:
        secrets = [*keys.values(), *conn.execute(text("SELECT key_hash FROM api_user")).scalars()]
    assert not any(secret in listed.stdout for secret in secrets)
    header, *lines = listed.stdout.splitlines()
    assert re.split(r"\s{2,}", header) == ["name", "role", "created", "last used", "revoked"]
    when = r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d[+-]\d\d:\d\d"
    assert re.fullmatch(rf"ed\s+editor\s+{when}\s+-\s+{when}", lines[0]), lines[0]
    assert re.fullmatch(rf"王主任\s+admin\s+{when}\s+{when}\s+-", lines[1]), lines[1]
    assert len(lines) == 2


# --- gaz load --------------------------------------------------------------------------------------
def test_load_the_ordos_manifest_twice(engine: Engine, data_root: Path) -> None:
    """The first run loads every dataset; the second reports each one unchanged and writes no data row."""
    first = gaz(engine, "load", "data/ordos.toml", "--data-root", data_root)
    assert first.returncode == 0, first.stderr
    loaded = summaries(first.stdout)
    assert len(loaded) == 7  # 1 division file, 3 polygon files, 3 point files
    assert all(int(s["written"]) == int(s["read"]) > 0 and s["rejected"] == "0" for s in loaded), loaded
    counts = row_counts(engine)

    second = gaz(engine, "load", "data/ordos.toml", "--data-root", data_root)
    assert second.returncode == 0, second.stderr
    again = summaries(second.stdout)
    assert [s["source"] for s in again] == [s["source"] for s in loaded]
    assert all(s["written"] == "0" and s["unchanged"] == s["read"] for s in again), again
    after = row_counts(engine)
    assert {k: v for k, v in after.items() if k != "audit_log"} == {k: v for k, v in counts.items() if k != "audit_log"}
    assert after["audit_log"] == counts["audit_log"] + 7  # one audit row per dataset and run
