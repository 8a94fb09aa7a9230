"""The audit log: every write leaves one row in the same transaction."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Connection

from core.files import archive_input
from core.imports import ImportReport


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


def entries_from(conn: Connection, first_id: int) -> list[dict[str, Any]]:
    """Every audit row from id ``first_id`` on, oldest first."""
    rows = conn.execute(
        text(
            "SELECT id, at, actor, action, object_type, object_id, before, after FROM audit_log "
            "WHERE id >= :first_id ORDER BY id"
        ),
        {"first_id": first_id},
    ).mappings()
    return [dict(row) for row in rows]


def last_id(conn: Connection, before: int | None = None) -> int:
    """The id of the latest audit row (below ``before`` when given; 0 when there is none)."""
    query = "SELECT coalesce(max(id), 0) FROM audit_log WHERE CAST(:before AS bigint) IS NULL OR id < :before"
    return int(conn.execute(text(query), {"before": before}).scalar_one())


# --- writing logged rows back (the audit-log replay) ---------------------------------------------------
def table_columns(conn: Connection, table: str) -> set[str]:
    """The column names of a table of the service's schema."""
    rows = conn.execute(
        text(
            "SELECT column_name FROM information_schema.columns"
            " WHERE table_schema = current_schema() AND table_name = :t"
        ),
        {"t": table},
    )
    return {row[0] for row in rows}


def advance_identity(conn: Connection, table: str, row_id: int) -> None:
    """Move the table's id sequence past ``row_id`` (written explicitly), as the original insert did."""
    conn.execute(
        text(
            "SELECT setval(pg_get_serial_sequence(:t, 'id'), GREATEST(:id,"
            " coalesce(pg_sequence_last_value(CAST(pg_get_serial_sequence(:t, 'id') AS regclass)), 0)))"
        ),
        {"t": table, "id": row_id},
    )


def rename_this_transactions_entry(conn: Connection, object_id: str | None) -> None:
    """Give the audit row this transaction just wrote another object id (the replay: a re-run import is named by the
    logged object id — the path of the original file, not the folder the archived copy was re-run from)."""
    conn.execute(text("UPDATE audit_log SET object_id = :object_id WHERE at = now()"), {"object_id": object_id})


def record_import(
    conn: Connection,
    data: Path | bytes,
    report: ImportReport,
    *,
    importer: str,
    object_type: str,
    object_id: str,
    actor: str,
    name: str | None = None,
    before: dict[str, Any] | None = None,
    facts: dict[str, Any] | None = None,
    **params: Any,
) -> None:
    """Keep an import's input in the import archive and write its audit row: the report, the ``facts`` the importer
    adds, and how to re-run it (``importer`` with its keyword ``params``, see core.files.archive_input)."""
    replay = archive_input(data, importer=importer, name=name, **params)
    after = {**report.as_dict(), **(facts or {}), "replay": replay}
    record(conn, actor=actor, action="import", object_type=object_type, object_id=object_id, before=before, after=after)
