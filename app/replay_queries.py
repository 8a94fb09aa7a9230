"""SQL of the audit-log replay (app/replay.py): logged row images written back as they were, and the time stamps
of a replayed entry set to the time it was logged. Column names in composed SQL come from the database's own
catalogue (hence ``noqa: S608``); every value is bound."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import shapely
from sqlalchemy import text
from sqlalchemy.engine import Connection

FACILITY_POINT = "ST_SetSRID(ST_MakePoint(:lon, :lat), 4490)"


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


def advance_identity(conn: Connection, table: str, row_id: int) -> None:
    """Move the table's id sequence past ``row_id`` (written explicitly), as the original insert did."""
    conn.execute(
        text(
            "SELECT setval(pg_get_serial_sequence(:t, 'id'), GREATEST(:id,"
            " coalesce(pg_sequence_last_value(CAST(pg_get_serial_sequence(:t, 'id') AS regclass)), 0)))"
        ),
        {"t": table, "id": row_id},
    )


def insert_facility(conn: Connection, row: dict[str, Any]) -> None:
    """Insert a facility exactly as logged (its id, version and time stamp included)."""
    columns = sorted(table_columns(conn, "facility") & set(row))
    conn.execute(
        text(
            f"INSERT INTO facility ({', '.join(columns)}, geom) OVERRIDING SYSTEM VALUE"  # noqa: S608
            f" VALUES ({', '.join(':' + c for c in columns)}, {FACILITY_POINT})"
        ),
        row,
    )
    advance_identity(conn, "facility", int(row["id"]))


def overwrite_facility(conn: Connection, row: dict[str, Any], version: int) -> bool:
    """Overwrite a facility found at ``version`` with the logged row; False when it is missing or elsewhere."""
    columns = sorted(table_columns(conn, "facility") & set(row) - {"id"})
    assignments = ", ".join(f"{c} = :{c}" for c in columns)
    result = conn.execute(
        text(
            f"UPDATE facility SET {assignments}, geom = {FACILITY_POINT}"  # noqa: S608
            " WHERE id = :id AND version = :old_version"
        ),
        {**row, "old_version": version},
    )
    return result.rowcount == 1


def delete_facility(conn: Connection, facility_id: int, version: int) -> bool:
    """Delete a facility found at ``version``; False when it is missing or elsewhere."""
    result = conn.execute(
        text("DELETE FROM facility WHERE id = :id AND version = :version"), {"id": facility_id, "version": version}
    )
    return result.rowcount == 1


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
    advance_identity(conn, "unit_polygon", int(row["id"]))
