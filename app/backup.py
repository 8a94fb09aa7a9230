"""Backup and restore of the whole database with pg_dump / pg_restore (custom format)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from sqlalchemy import create_engine, inspect
from sqlalchemy.engine import make_url

from core.errors import InvalidInput, ServiceUnavailable


def libpq_url(url: str) -> str:
    """The SQLAlchemy URL as a libpq connection string (driver name dropped)."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def client_tool(name: str) -> str:
    """The newest installed PostgreSQL client program (pg_dump must not be older than the server)."""
    candidates = sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"), key=lambda p: int(p.parts[-3]))
    if candidates:
        return str(candidates[-1])
    found = shutil.which(name)
    if not found:
        raise ServiceUnavailable(f"{name} not found: install the PostgreSQL client programs")
    return found


def backup(url: str, target: Path) -> int:
    """Dump the database to ``target`` (pg_dump custom format); returns the file size in bytes."""
    if target.exists():
        raise InvalidInput(f"{target} exists: choose a new file name")
    result = subprocess.run(
        [client_tool("pg_dump"), "--format=custom", "--no-owner", f"--file={target}", libpq_url(url)],
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        target.unlink(missing_ok=True)
        raise ServiceUnavailable(f"pg_dump failed: {result.stderr.strip()}")
    return target.stat().st_size


def restore(url: str, source: Path) -> None:
    """Restore a dump into the database of ``url``, which must hold no tables of the service yet."""
    if not source.is_file():
        raise InvalidInput(f"backup file not found: {source}")
    engine = create_engine(url)
    try:
        tables = set(inspect(engine).get_table_names()) - {"spatial_ref_sys"}
    finally:
        engine.dispose()
    if tables:
        raise InvalidInput(
            f"the target database is not empty ({len(tables)} tables, e.g. {sorted(tables)[0]}): "
            "restore into a new, empty database"
        )
    result = subprocess.run(
        [
            client_tool("pg_restore"),
            "--no-owner",
            "--exit-on-error",
            "--single-transaction",
            f"--dbname={libpq_url(url)}",
            str(source),
        ],
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        raise InvalidInput(f"pg_restore failed (nothing restored): {result.stderr.strip()}")
