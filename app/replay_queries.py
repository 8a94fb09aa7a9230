"""SQL of the audit-log replay (app/replay.py): logged row images written back as they were, and the time stamps
of a replayed entry set to the time it was logged. Column names in composed SQL come from the database's own
catalogue (hence ``noqa: S608``); every value is bound."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import shapely
from sqlalchemy import text
from sqlalchemy.engine import Connection

from core import audit


def timestamp_columns(conn: Connection) -> list[tuple[str, str]]:
    """Every (table, column) of type timestamptz: the columns a write stamps with the transaction's ``now()``."""
    rows = conn.execute(
        text(
            "SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = current_schema()"
            " AND data_type = 'timestamp with time zone' AND is_generated = 'NEVER' ORDER BY table_name, column_name"
        )
    )
    return [(row[0], row[1]) for row in rows]


def restamp(conn: Connection, columns: list[tuple[str, str]], logged_at: datetime) -> None:
    """Give the values this transaction stamped with ``now()`` the time the replayed entry was logged (the original
    write stamped its rows and its audit row with the same transaction time)."""
    for table, column in columns:
        quoted_table, quoted_column = (conn.dialect.identifier_preparer.quote(name) for name in (table, column))
        sql = f"UPDATE {quoted_table} SET {quoted_column} = :at WHERE {quoted_column} = now()"  # noqa: S608
        conn.execute(text(sql), {"at": logged_at})


def name_logged_input(conn: Connection, object_id: str | None) -> None:
    """Give the audit row a re-run import just wrote the logged object id (the path of the original file, not the
    folder the archived copy was re-run from)."""
    conn.execute(text("UPDATE audit_log SET object_id = :object_id WHERE at = now()"), {"object_id": object_id})


def drop_temporary_tables(conn: Connection) -> None:
    """Drop this session's temporary tables: importers stage rows in ``ON COMMIT DROP`` tables, and the replay
    runs every entry in one transaction."""
    conn.execute(text("DISCARD TEMP"))


def close_polygon(conn: Connection, polygon_id: int, valid_to: str) -> bool:
    """End an open polygon version on ``valid_to``; False when it is missing or already closed."""
    result = conn.execute(
        text("UPDATE unit_polygon SET valid_to = CAST(:valid_to AS date) WHERE id = :id AND valid_to IS NULL"),
        {"id": polygon_id, "valid_to": valid_to},
    )
    return result.rowcount == 1


def insert_polygon(conn: Connection, row: dict[str, Any], geometry: Any) -> None:
    """Insert a polygon version as logged (its id included; ``geometry`` in EPSG:4490)."""
    conn.execute(
        text(
            "INSERT INTO unit_polygon (id, unit_code, source, status, geom, repair_note, valid_from)"
            " OVERRIDING SYSTEM VALUE VALUES (:id, :unit_code, :source, :status,"
            " ST_Multi(ST_GeomFromWKB(:wkb, 4490)), :repair_note, CAST(:valid_from AS date))"
        ),
        {**{k: row[k] for k in ("id", "unit_code", "source", "status", "repair_note")}, "valid_from": row["valid_from"]}
        | {"wkb": shapely.to_wkb(geometry)},
    )
    audit.advance_identity(conn, "unit_polygon", int(row["id"]))
