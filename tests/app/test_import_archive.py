"""The import archive and the replay of the audit log: every import keeps its input files (content-addressed, outside
the database) and the parameters to re-run it, so a database restored to the state before entry N reaches the same
state by `gaz audit replay --from-id N`. Real Ordos files from the data root; the shapefile square and the facilities
are hand-made fixtures (illustrative)."""

from __future__ import annotations

import gzip
import json
import uuid
from pathlib import Path
from typing import Any

import geopandas as gpd
import pytest
from shapely.geometry import Polygon
from sqlalchemy import Engine, create_engine, text

from core import audit, auth
from core.database import transaction
from core.files import archive_input, archived_name
from core.imports import REPLAY_IMPORTERS, file_checksum, replayable
from core.settings import ImportSettings
from tests.app.test_integrity import gaz, table_fingerprints
from tests.conftest import LiveServer, create_database, drop_database, server_config

# A key's last use is when it authenticated, not an audited change: a replay cannot and need not repeat it, and a
# refused request still uses its key. A data version counts the committed transactions that wrote (core.data_version),
# not data: a replay commits in other batches.
UNAUDITED = {"api_user": "last_used_at", "data_version": "version"}

SQUARE = [(109.77, 39.60), (109.79, 39.60), (109.79, 39.62), (109.77, 39.62), (109.77, 39.60)]
FACILITY = {"kind": "eldercare_institution", "beds": 40, "lon": 109.78, "lat": 39.61, "crs": "EPSG:4490"}
DIVISIONS = "ordos/codes/ordos_divisions_nbs2023.csv"
AMAP_BANNERS = "ordos/boundaries/ordos_banners_amap2020_gcj02.geojson"
DATAV_BANNERS = "ordos/boundaries/ordos_banners_datav_gcj02.geojson"
GEONAMES = "ordos/places/ordos_geonames_cities500.csv"
FACILITY_LIST = (
    "external_id,name,kind,lon,lat,beds\n"
    "F1,示例养老院甲,eldercare_institution,109.775,39.605,20\n"
    "F2,示例养老院乙,eldercare_institution,109.785,39.615,30\n"
)
POPULATION = "unit_code,year,total,aged_60_plus\n150603,2023,150000,20000\n150602,2023,580000,90000\n"


@pytest.fixture
def archive(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh import archive for this test (GAZ_IMPORT_ARCHIVE_DIR for the CLI; the test server's settings)."""
    folder = tmp_path / "archive"
    monkeypatch.setenv("GAZ_IMPORT_ARCHIVE_DIR", str(folder))
    return folder


@pytest.fixture
def server_settings(archive: Path) -> dict[str, Any]:
    """The test server archives into this test's archive."""
    return {"imports": ImportSettings(import_archive_dir=archive)}


@pytest.fixture
def empty_target(template_db: str) -> Any:
    """A second migrated, empty database to replay into."""
    name = f"gaz_replay_{uuid.uuid4().hex[:8]}"
    url = create_database(name, template_db)
    yield url
    drop_database(name)


def url_of(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=False)


def cli_import(url: str, *args: str) -> None:
    done = gaz(url, "import", *args)
    assert done.returncode == 0, done.stderr


def log_rows(url: str, first_id: int) -> list[dict[str, Any]]:
    """The log from ``first_id`` on."""
    engine = create_engine(url)
    with engine.connect() as conn:
        rows = audit.entries_from(conn, first_id)
    engine.dispose()
    return rows


def count(url: str, table: str) -> int:
    engine = create_engine(url)
    with engine.connect() as conn:
        number = int(conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one())  # noqa: S608 (test constant)
    engine.dispose()
    return number


def write_square_shapefile(folder: Path) -> Path:
    """A hand-made shapefile (illustrative square in banner 150603) with its sidecar files."""
    path = folder / "fixture_draft_square.shp"
    gpd.GeoDataFrame({"adcode": ["150603"]}, geometry=[Polygon(SQUARE)], crs="EPSG:4490").to_file(
        path, engine="pyogrio"
    )
    return path


def test_archive_stores_each_input_once_under_its_checksum(tmp_path: Path, data_root: Path) -> None:
    folder = tmp_path / "archive"
    shapefile = write_square_shapefile(tmp_path)
    kept = archive_input(shapefile, importer="polygons", archive_dir=folder, source="fixture", status="draft")
    names = {f["name"] for f in kept["files"]}
    assert {f"fixture_draft_square.{ext}" for ext in ("shp", "shx", "dbf", "prj")} <= names
    assert kept["files"][0]["name"] == "fixture_draft_square.shp"  # the file to import comes first
    assert kept["importer"] == "polygons" and kept["params"] == {"source": "fixture", "status": "draft"}
    for entry in kept["files"]:
        stored = folder / entry["archived"]
        assert entry["archived"] == f"{entry['sha256'][:2]}/{entry['sha256']}{Path(entry['name']).suffix}"
        assert file_checksum(stored) == entry["sha256"] == file_checksum(tmp_path / entry["name"])
    villages = data_root / "national" / "china_streets_nbs2023.csv.gz"
    first = archive_input(villages, importer="divisions", archive_dir=folder)["files"][0]
    stored = folder / first["archived"]
    assert first["archived"].endswith(".csv.gz") and stored.read_bytes()[:2] == b"\x1f\x8b"  # kept compressed
    assert gzip.decompress(stored.read_bytes()) == gzip.decompress(villages.read_bytes())
    mtime = stored.stat().st_mtime_ns
    again = archive_input(villages.read_bytes(), importer="divisions", name=villages.name, archive_dir=folder)
    assert again["files"][0] == first and stored.stat().st_mtime_ns == mtime  # the identical file is left alone
    stored.write_bytes(b"damaged")
    archive_input(villages, importer="divisions", archive_dir=folder)
    assert file_checksum(stored) == first["sha256"]  # a damaged copy is replaced
    assert archived_name("ab" * 32, "odd name.v2.tar.gz") == f"ab/{'ab' * 32}.tar.gz"
    assert archived_name("ab" * 32, "no-suffix") == f"ab/{'ab' * 32}"


def test_replaying_the_log_rebuilds_imports_and_api_writes(
    engine: Engine, archive: Path, data_root: Path, tmp_path: Path
) -> None:
    source_url = url_of(engine)
    with transaction(engine) as conn:
        editor = {"X-API-Key": auth.create_user(conn, "ed", "editor")}
        approver = {"X-API-Key": auth.create_user(conn, "appr", "approver")}
        first = audit.last_id(conn) + 1
    dump = tmp_path / "before.dump"
    assert gaz(source_url, "db", "backup", str(dump)).returncode == 0  # the state before entry `first`

    # Imports through the CLI, as a user runs them.
    cli_import(source_url, "divisions", str(data_root / DIVISIONS), "--valid-from", "2023-06-30")
    polygon_options = ["--crs", "GCJ-02", "--on-invalid", "repair"]
    cli_import(
        source_url, "polygons", str(data_root / AMAP_BANNERS), "--source", "amap-2020", "--status", "registered",
        "--valid-from", "2020-06-03", *polygon_options,
    )  # fmt: skip
    cli_import(
        source_url, "polygons", str(data_root / DATAV_BANNERS), "--source", "datav-2021", "--status", "reference",
        "--valid-from", "2021-08-01", *polygon_options,
    )  # fmt: skip
    shapefile = write_square_shapefile(tmp_path)
    cli_import(
        source_url, "polygons", str(shapefile), "--source", "fixture-square", "--status", "draft",
        "--valid-from", "2025-01-01",
    )  # fmt: skip
    cli_import(
        source_url, "points", str(data_root / GEONAMES), "--source", "geonames-cities500-2021", "--crs", "EPSG:4326",
        "--lon-column", "longitude", "--lat-column", "latitude", "--name-column", "name",
        "--id-column", "geonameid", "--category-column", "feature_code",
    )  # fmt: skip
    cli_import(source_url, "divisions", str(data_root / DIVISIONS), "--valid-from", "2023-06-30")  # unchanged
    synced = gaz(source_url, "names", "sync")  # every unit gets its place name
    assert synced.returncode == 0, synced.stderr

    # Writes through the API, in between.
    with LiveServer(source_url) as api:
        ids = []
        for number in range(2):
            created = api.post("/api/v1/facilities", headers=editor, json={**FACILITY, "name": f"回放养老院{number}"})
            assert created.status_code == 201, created.text
            ids.append(created.json()["id"])
        update = {**FACILITY, "name": "回放养老院0", "beds": 60, "version": 1}
        assert api.put(f"/api/v1/facilities/{ids[0]}", headers=editor, json=update).status_code == 200
        assert api.delete(f"/api/v1/facilities/{ids[1]}", headers=editor, params={"version": 1}).status_code == 204
        body = {"geometry": {"type": "Polygon", "coordinates": [SQUARE]}, "crs": "EPSG:4490"}
        body |= {"source": "replay-survey", "status": "registered", "valid_from": "2026-03-01"}
        polygon = api.post("/api/v1/units/150603/polygons", headers=approver, json=body)
        assert polygon.status_code == 201, polygon.text
        listed = api.post(
            "/api/v1/facilities/import",
            headers=editor,
            params={"source": "fixture-list", "format": "csv", "crs": "EPSG:4490", "illustrative": True},
            content=FACILITY_LIST.encode(),
        )
        assert listed.status_code == 200 and listed.json()["inserted"] == 2, listed.text
        people = api.post("/api/v1/population/import", headers=editor, params={"source": "fixture-census"},
                          content=POPULATION.encode())  # fmt: skip
        assert people.status_code == 200 and people.json()["inserted"] == 2, people.text
    # An import after the API writes: registered DataV banners from 2027 close the surveyed square too.
    cli_import(
        source_url, "polygons", str(data_root / DATAV_BANNERS), "--source", "datav-2027", "--status", "registered",
        "--valid-from", "2027-01-01", *polygon_options,
    )  # fmt: skip

    log = log_rows(source_url, first)
    assert [(e["action"], e["object_type"]) for e in log] == [
        ("import", "admin_unit"),
        *[("import", "unit_polygon")] * 3,
        ("import", "reference_point"),
        ("import", "admin_unit"),
        ("sync", "place_name"),
        *[("create", "facility")] * 2,
        ("update", "facility"),
        ("delete", "facility"),
        ("create", "unit_polygon"),
        ("import", "facility"),
        ("import", "unit_population"),
        ("import", "unit_polygon"),
    ]
    divisions = log[0]["after"]["replay"]
    assert divisions["importer"] == "divisions"
    assert divisions["params"] == {"valid_from": "2023-06-30", "encoding": None, "skip_invalid": False}
    assert divisions["files"][0]["sha256"] == file_checksum(data_root / DIVISIONS)
    assert (archive / divisions["files"][0]["archived"]).is_file()
    assert log[1]["after"]["replay"]["params"]["crs"] == "GCJ-02"
    assert log[1]["after"]["replay"]["params"]["on_invalid"] == "repair"
    assert len(log[3]["after"]["replay"]["files"]) >= 4  # the shapefile and its sidecars

    restore_name = f"gaz_restore_{uuid.uuid4().hex[:8]}"
    restore_url = create_database(restore_name)
    try:
        restored = gaz(restore_url, "db", "restore", str(dump))
        assert restored.returncode == 0, restored.stderr
        assert count(restore_url, "admin_unit") == 0 and count(restore_url, "api_user") == 2
        replayed = gaz(restore_url, "audit", "replay", "--from-id", str(first), "--log-database", source_url)
        assert replayed.returncode == 0, replayed.stderr
        assert f"replayed {len(log)} log entries" in replayed.stdout
        assert "import admin_unit: 2" in replayed.stdout and "create facility: 2" in replayed.stdout

        source_engine, restored_engine = create_engine(source_url), create_engine(restore_url)
        original = table_fingerprints(source_engine, UNAUDITED)
        rebuilt = table_fingerprints(restored_engine, UNAUDITED)
        source_engine.dispose()
        restored_engine.dispose()
        assert original["admin_unit"][0] == 1109 and original["facility"][0] == 3
        assert original["reference_point"][0] > 0 and original["unit_polygon"][0] > 20
        assert original["place_name"][0] > 1000 and original["unit_population"][0] == 2
        assert rebuilt == original  # every table, row count and checksum (the audit log too: ids, times, rows)
        assert log_rows(restore_url, first) == log
        # The target now holds the log's entries: a second replay is refused and changes nothing.
        again = gaz(restore_url, "audit", "replay", "--from-id", str(first), "--log-database", source_url)
        assert again.returncode == 2 and f"replay from {first} needs a database restored" in again.stderr
    finally:
        drop_database(restore_name)


def test_an_unwritable_archive_refuses_the_import(
    engine: Engine, tmp_path: Path, data_root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the archive folder should be")
    monkeypatch.setenv("GAZ_IMPORT_ARCHIVE_DIR", str(blocker))
    done = gaz(url_of(engine), "import", "divisions", str(data_root / DIVISIONS), "--valid-from", "2023-06-30")
    assert done.returncode == 2
    assert f"the import archive {blocker} cannot be written" in done.stderr and "nothing was imported" in done.stderr
    assert count(url_of(engine), "admin_unit") == 0 and count(url_of(engine), "audit_log") == 0


def test_an_unwritable_archive_refuses_an_upload(ordos_engine: Engine, tmp_path: Path) -> None:
    with transaction(ordos_engine) as conn:
        editor = {"X-API-Key": auth.create_user(conn, "ed", "editor")}
    before = table_fingerprints(ordos_engine, UNAUDITED)
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the archive folder should be")
    csv = "external_id,name,kind,lon,lat\nF1,示例养老院,eldercare_institution,109.78,39.61\n"
    url = url_of(ordos_engine)
    with LiveServer(url, server_config(url, imports=ImportSettings(import_archive_dir=blocker))) as api:
        answer = api.post(
            "/api/v1/facilities/import",
            headers=editor,
            params={"source": "fixture-list", "format": "csv", "crs": "EPSG:4490", "illustrative": True},
            content=csv.encode(),
        )
    assert answer.status_code == 503, answer.text
    assert answer.json()["code"] == "unavailable" and "cannot be written" in answer.json()["detail"]
    assert table_fingerprints(ordos_engine, UNAUDITED) == before


def test_replay_refuses_missing_altered_and_unreplayable_entries(
    engine: Engine, empty_target: str, archive: Path, data_root: Path
) -> None:
    source_url = url_of(engine)
    with transaction(engine) as conn:
        auth.create_user(conn, "ed", "editor")  # entry 1: an API key, which the log cannot rebuild
    cli_import(source_url, "divisions", str(data_root / DIVISIONS), "--valid-from", "2023-06-30")
    entry = log_rows(source_url, 2)[0]
    stored = archive / entry["after"]["replay"]["files"][0]["archived"]
    target_engine = create_engine(empty_target)
    with transaction(target_engine) as conn:  # the target holds the state before entry 2: the user
        auth.create_user(conn, "ed", "editor")
    target_engine.dispose()
    target_before = (count(empty_target, "admin_unit"), count(empty_target, "audit_log"))

    def replay(first: int) -> Any:
        done = gaz(empty_target, "audit", "replay", "--from-id", str(first), "--log-database", source_url)
        if done.returncode != 0:  # a refused replay writes nothing
            assert (count(empty_target, "admin_unit"), count(empty_target, "audit_log")) == target_before
        return done

    refused = replay(1)
    assert refused.returncode == 2
    assert "#1 create api_user ed: api_user create has no replay rule yet" in refused.stderr
    assert "nothing was replayed" in refused.stderr and "replay covers imports of divisions" in refused.stderr

    content = stored.read_bytes()
    stored.unlink()
    missing = replay(2)
    assert missing.returncode == 2
    assert "#2 import admin_unit" in missing.stderr and "ordos_divisions_nbs2023.csv" in missing.stderr
    assert "is missing from the import archive" in missing.stderr

    stored.write_bytes(content.replace(b"\n", b"\r\n", 1))
    altered = replay(2)
    assert altered.returncode == 2 and "#2 import admin_unit" in altered.stderr
    assert "ordos_divisions_nbs2023.csv" in altered.stderr and "no longer matches its SHA-256" in altered.stderr

    with transaction(engine) as conn:  # an import logged before the archive existed
        conn.execute(text("UPDATE audit_log SET after = after - 'replay' WHERE id = 2"))
    old = replay(2)
    assert old.returncode == 2 and "#2 import admin_unit" in old.stderr
    assert "logged before the import archive" in old.stderr
    with transaction(engine) as conn:
        conn.execute(
            text("UPDATE audit_log SET after = CAST(:after AS jsonb) WHERE id = 2"),
            {"after": json.dumps(entry["after"])},
        )
    stored.write_bytes(content)
    with transaction(engine) as conn:  # a log whose counts the re-run does not reproduce
        conn.execute(text("UPDATE audit_log SET after = jsonb_set(after, '{inserted}', '5') WHERE id = 2"))
    differs = replay(2)
    assert differs.returncode == 2 and "cannot replay #2 import admin_unit" in differs.stderr
    assert "re-running it gave inserted 1109 (logged 5)" in differs.stderr
    with transaction(engine) as conn:
        conn.execute(text("UPDATE audit_log SET after = jsonb_set(after, '{inserted}', '1109') WHERE id = 2"))
    assert replay(2).returncode == 0  # the intact archive replays
    assert count(empty_target, "admin_unit") == 1109


def test_each_context_registers_its_importers_for_replay() -> None:
    """The importers register themselves where they are defined; the replay names none of them."""
    assert {name: importer.reads for name, importer in REPLAY_IMPORTERS.items()} == {
        "divisions": "path",
        "polygons": "path",
        "points": "path",
        "facilities": "bytes",
        "population": "bytes",
        "hazard_layer": "path",
    }
    with pytest.raises(ValueError, match="registered twice"):
        replayable("divisions", reads="path")(REPLAY_IMPORTERS["divisions"].run)
