"""Shared test helpers: API keys (``api_key`` by name, ``role_key`` by role), the ``gaz`` CLI as a user runs it."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from sqlalchemy import Engine, text

from core import auth
from core.database import transaction

PROJECT = Path(__file__).resolve().parent.parent
GAZ = PROJECT / ".venv" / "bin" / "gaz"


def api_key(engine: Engine, name: str = "editor", role: str = "editor") -> dict[str, str]:
    """A new user of ``role`` in the database, as the ``X-API-Key`` header of its key."""
    with transaction(engine) as conn:
        return {"X-API-Key": auth.create_user(conn, name, role)}


def role_key(engine: Engine, role: str = "editor") -> dict[str, str]:
    """A key of a new holder of ``role``, named after the role (``editor``, then ``editor-1``, ``editor-2``...)."""
    with transaction(engine) as conn:
        taken = conn.execute(
            text("SELECT count(*) FROM api_user WHERE name = :role OR name LIKE :numbered"),
            {"role": role, "numbered": f"{role}-%"},
        ).scalar_one()
        return {"X-API-Key": auth.create_user(conn, role if taken == 0 else f"{role}-{taken}", role)}


def gaz(target: Engine | str, *args: str | Path, **env: str) -> subprocess.CompletedProcess[str]:
    """Run ``gaz`` on the database of ``target`` (an engine or a URL) from the checkout, with ``env`` added to the
    environment; the finished process with its output (never raises on a non-zero exit)."""
    url = target if isinstance(target, str) else target.url.render_as_string(hide_password=False)
    environment = {**os.environ, "GAZ_DATABASE_URL": url, **env}
    return subprocess.run(
        [str(GAZ), *map(str, args)], cwd=PROJECT, env=environment, capture_output=True, text=True, timeout=300
    )
