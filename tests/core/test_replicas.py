"""Read scale-out for real: a primary and a streaming replica on this machine; GETs are served by the
replica, writes go to the primary, and reads keep answering while the primary restarts."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, text

from app import schema
from app.manifest import load_manifest
from core import auth
from core.database import transaction
from core.settings import Settings
from tests.conftest import DATA_ROOT, ORDOS_MANIFEST, LiveServer

SCRIPTS = Path(__file__).resolve().parents[2] / "scripts"
PG_BIN = sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=lambda p: int(p.parts[-2]))[-1]


def as_cluster_owner(*args: str) -> None:
    command = ["runuser", "-u", "postgres", "--", *args] if os.geteuid() == 0 else list(args)
    subprocess.run(command, check=True, capture_output=True, text=True)


def url(directory: Path, database: str) -> str:
    return f"postgresql+psycopg://postgres@/{database}?host={directory}"


@pytest.fixture(scope="module")
def primary_and_replica() -> Iterator[tuple[Path, Path]]:
    """A fresh primary with the Ordos data and a streaming replica made from it by pg_basebackup."""
    root = Path(tempfile.mkdtemp(prefix="gazrepl."))
    primary, replica = root / "p", root / "r"
    if os.geteuid() == 0:
        shutil.chown(root, "postgres")
    subprocess.run(
        ["bash", str(SCRIPTS / "pgcluster.sh"), "start", str(primary), "--throwaway"], check=True, capture_output=True
    )
    try:
        admin = create_engine(url(primary, "postgres"), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text("CREATE DATABASE gazetteer"))
        admin.dispose()
        engine = create_engine(url(primary, "gazetteer"))
        schema.upgrade(engine)
        load_manifest(engine, ORDOS_MANIFEST, DATA_ROOT, progress=False)
        engine.dispose()
        replica.mkdir()
        if os.geteuid() == 0:
            shutil.chown(replica, "postgres")
        as_cluster_owner(
            str(PG_BIN / "pg_basebackup"),
            "-D",
            str(replica / "data"),
            "-R",
            "--checkpoint=fast",
            "-X",
            "stream",
            "-h",
            str(primary),
            "-U",
            "postgres",
        )
        with open(replica / "data" / "postgresql.auto.conf", "a") as conf:
            conf.write(f"unix_socket_directories = '{replica}'\n")
        as_cluster_owner(
            str(PG_BIN / "pg_ctl"),
            "-D",
            str(replica / "data"),
            "-l",
            str(replica / "data" / "server.log"),
            "-w",
            "start",
        )
        yield primary, replica
    finally:
        for directory in (replica, primary):
            subprocess.run(["bash", str(SCRIPTS / "pgcluster.sh"), "stop", str(directory)], capture_output=True)
        shutil.rmtree(root, ignore_errors=True)


def pg_ctl(directory: Path, action: str) -> None:
    as_cluster_owner(
        str(PG_BIN / "pg_ctl"),
        "-D",
        str(directory / "data"),
        "-m",
        "fast",
        "-w",
        "-l",
        str(directory / "data" / "server.log"),
        action,
    )


def test_reads_from_the_replica_writes_to_the_primary(primary_and_replica: tuple[Path, Path]) -> None:
    primary, replica = primary_and_replica
    with create_engine(url(replica, "gazetteer")).connect() as conn:
        assert conn.execute(text("SELECT pg_is_in_recovery()")).scalar_one() is True
    approver = {"X-API-Key": _key(primary, "appr", "approver")}
    settings = Settings(
        database_url=url(primary, "gazetteer"),
        replica_urls=[url(replica, "gazetteer")],
        connect_timeout_s=1,
        pool_size=2,
    )
    square = {
        "type": "Polygon",
        "coordinates": [[[109.77, 39.60], [109.79, 39.60], [109.79, 39.62], [109.77, 39.62], [109.77, 39.60]]],
    }
    body = {
        "geometry": square,
        "crs": "EPSG:4490",
        "source": "replica-test",
        "status": "registered",
        "valid_from": "2026-01-01",
    }
    with LiveServer(settings.database_url, settings=settings) as client:
        written = client.post("/api/v1/units/150603/polygons", headers=approver, json=body)
        assert written.status_code == 201, written.text
        # The write comes back through the replica (streaming lag is short; poll for it).
        assert _eventually(lambda: client.get("/api/v1/units/150603").json()["polygon"]["source"] == "replica-test")

        # With the primary stopped, reads still answer (from the replica); a write is a clear 503.
        pg_ctl(primary, "stop")
        try:
            for path in ("/api/v1/units/150603", "/api/v1/units/150603/children", "/health"):
                response = client.get(path)
                assert response.status_code == 200, (path, response.text)
            assert client.get("/api/v1/units/150603").json()["polygon"]["source"] == "replica-test"
            refused = client.post("/api/v1/units/150602/polygons", headers=approver, json=body)
            assert refused.status_code == 503 and refused.json()["code"] == "unavailable"
        finally:
            pg_ctl(primary, "start")
        # The primary is back: writes go through again.
        again = client.post("/api/v1/units/150602/polygons", headers=approver, json=body)
        assert again.status_code == 201, again.text


def _key(primary: Path, name: str, role: str) -> str:
    engine = create_engine(url(primary, "gazetteer"))
    with transaction(engine) as conn:
        key = auth.create_user(conn, name, role)
    engine.dispose()
    return key


def _eventually(check: Callable[[], bool], timeout_s: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            if check():
                return True
        except (httpx.HTTPError, KeyError, TypeError):
            pass
        time.sleep(0.1)
    return False
