"""Shared test helpers: API keys of the roles, and the ``gaz`` CLI run as a user runs it."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from sqlalchemy import Engine

from core import auth
from core.database import transaction

PROJECT = Path(__file__).resolve().parent.parent
GAZ = PROJECT / ".venv" / "bin" / "gaz"


def api_key(engine: Engine, name: str = "editor", role: str = "editor") -> dict[str, str]:
    """A new user of ``role`` in the database, as the ``X-API-Key`` header of its key."""
    with transaction(engine) as conn:
        return {"X-API-Key": auth.create_user(conn, name, role)}


def gaz(target: Engine | str, *args: str | Path, **env: str) -> subprocess.CompletedProcess[str]:
    """Run ``gaz`` on the database of ``target`` (an engine or a URL) from the checkout, with ``env`` added to the
    environment; the finished process with its output (never raises on a non-zero exit)."""
    url = target if isinstance(target, str) else target.url.render_as_string(hide_password=False)
    environment = {**os.environ, "GAZ_DATABASE_URL": url, **env}
    return subprocess.run(
        [str(GAZ), *map(str, args)], cwd=PROJECT, env=environment, capture_output=True, text=True, timeout=300
    )
