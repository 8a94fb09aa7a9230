"""The audit log: every write leaves one row in the same transaction."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Connection


def record(
    conn: Connection,
    *,
    actor: str,
    action: str,
    object_type: str,
    object_id: str | None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> None:
    """Append one audit row (who, what, object before and after) inside the caller's transaction."""
    conn.execute(
        text(
            "INSERT INTO audit_log (actor, action, object_type, object_id, before, after) "
            "VALUES (:actor, :action, :object_type, :object_id, CAST(:before AS jsonb), CAST(:after AS jsonb))"
        ),
        {
            "actor": actor,
            "action": action,
            "object_type": object_type,
            "object_id": object_id,
            "before": None if before is None else json.dumps(before, ensure_ascii=False, default=str),
            "after": None if after is None else json.dumps(after, ensure_ascii=False, default=str),
        },
    )


def recent(conn: Connection, limit: int = 100, object_type: str | None = None) -> list[dict[str, Any]]:
    """The latest audit rows, newest first."""
    rows = conn.execute(
        text(
            "SELECT id, at, actor, action, object_type, object_id, before, after FROM audit_log "
            "WHERE CAST(:object_type AS text) IS NULL OR object_type = :object_type ORDER BY id DESC LIMIT :limit"
        ),
        {"limit": limit, "object_type": object_type},
    ).mappings()
    return [dict(row) for row in rows]
