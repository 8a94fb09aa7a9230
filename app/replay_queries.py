"""SQL of the audit-log replay (app/replay.py): the time stamps of a replayed entry set to the time it was logged
(the logged row images are written back by their own contexts). Column names in composed SQL come from the
database's own catalogue (hence ``noqa: S608``); every value is bound."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import text
from sqlalchemy.engine import Connection


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


def drop_temporary_tables(conn: Connection) -> None:
    """Drop this session's temporary tables: importers stage rows in ``ON COMMIT DROP`` tables, and the replay
    runs every entry in one transaction."""
    conn.execute(text("DISCARD TEMP"))
