"""Nothing lost or half-written: backup/restore round trip, and an import killed mid-way."""

from __future__ import annotations

import os
import signal
import subprocess
import time
import uuid
from pathlib import Path

from sqlalchemy import Engine, create_engine, inspect, text

from core import auth
from core.database import transaction
from tests.conftest import create_database, drop_database
from tests.factories import gaz

GAZ = str(Path(__file__).resolve().parents[2] / ".venv" / "bin" / "gaz")


def table_fingerprints(engine: Engine, ignore: dict[str, str] | None = None) -> dict[str, tuple[int, str]]:
    """Row count and a checksum of every row's text, per table of the service; ``ignore`` names a column per table
    left out of the checksum."""
    fingerprints = {}
    digest_sql = "SELECT count(*), md5(coalesce(string_agg({row}, '|' ORDER BY {row}), '')) FROM {table} t"
    with engine.connect() as conn:
        for table in sorted(set(inspect(engine).get_table_names()) - {"spatial_ref_sys"}):
            # The table name comes from the database's own catalogue, quoted as an identifier.
            quoted = conn.dialect.identifier_preparer.quote(table)
            column = (ignore or {}).get(table)
            row = "t::text" if column is None else f"(to_jsonb(t) - '{column}')::text"
            count, digest = conn.execute(text(digest_sql.format(row=row, table=quoted))).one()
            fingerprints[table] = (count, digest)
    return fingerprints


def test_backup_and_restore_round_trip(ordos_engine: Engine, tmp_path: Path) -> None:
    with transaction(ordos_engine) as conn:
        auth.create_user(conn, "ed", "editor")
    source_url = ordos_engine.url.render_as_string(hide_password=False)
    dump = tmp_path / "gazetteer.dump"
    backed = gaz(source_url, "db", "backup", str(dump))
    assert backed.returncode == 0, backed.stderr
    assert dump.stat().st_size > 10_000
    again = gaz(source_url, "db", "backup", str(dump))
    assert again.returncode != 0 and "exists" in again.stderr  # never overwrites a backup

    target = f"gaz_restore_{uuid.uuid4().hex[:8]}"
    target_url = create_database(target)
    try:
        restored = gaz(target_url, "db", "restore", str(dump))
        assert restored.returncode == 0, restored.stderr
        target_engine = create_engine(target_url)
        original = table_fingerprints(ordos_engine)
        assert original["admin_unit"][0] == 1109 and original["api_user"][0] == 1
        assert table_fingerprints(target_engine) == original
        # A second restore into the now non-empty database is refused and changes nothing.
        refused = gaz(target_url, "db", "restore", str(dump))
        assert refused.returncode != 0 and "not empty" in refused.stderr
        assert table_fingerprints(target_engine) == original
        target_engine.dispose()
    finally:
        drop_database(target)


def test_import_killed_mid_way_leaves_nothing_and_reruns(engine: Engine, data_root: Path) -> None:
    """SIGKILL while the national village file is being written: no row, no audit entry; rerun completes."""
    url = engine.url.render_as_string(hide_password=False)
    villages = str(data_root / "national" / "china_villages_nbs2023.csv.gz")
    args = [GAZ, "import", "divisions", villages, "--valid-from", "2023-06-30"]
    process = subprocess.Popen(args, env={**os.environ, "GAZ_DATABASE_URL": url}, stdout=subprocess.DEVNULL)
    database = engine.url.database
    deadline = time.monotonic() + 120
    with engine.connect() as conn:
        while True:  # wait until the import's transaction is writing
            writing = conn.execute(
                text(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = :db AND state = 'active'"
                    " AND (query ILIKE 'COPY%' OR query ILIKE '%INSERT INTO admin_unit%')"
                ),
                {"db": database},
            ).scalar_one()
            if writing or process.poll() is not None or time.monotonic() > deadline:
                break
            time.sleep(0.05)
    assert process.poll() is None, "the import finished before it could be killed"
    process.send_signal(signal.SIGKILL)
    process.wait()
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM admin_unit")).scalar_one() == 0
        assert conn.execute(text("SELECT count(*) FROM audit_log")).scalar_one() == 0
    rerun = gaz(url, "import", "divisions", villages, "--valid-from", "2023-06-30")
    assert rerun.returncode == 0, rerun.stderr
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM admin_unit")).scalar_one() > 620_000
        assert conn.execute(text("SELECT count(*) FROM audit_log")).scalar_one() == 1
