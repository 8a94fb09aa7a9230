"""SQL of the unit changes an applied division change writes (boundaries.units.changes)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlalchemy import text
from sqlalchemy.engine import Connection, RowMapping


def codes_ever_used(conn: Connection, prefix: str, level: str) -> set[str]:
    """Every code of ``level`` starting with ``prefix`` that has (or had) a version."""
    rows = conn.execute(
        text("SELECT DISTINCT code FROM admin_unit WHERE code LIKE :like AND level = :level"),
        {"like": prefix + "%", "level": level},
    )
    return {r.code for r in rows}


def close_units(conn: Connection, codes: Sequence[str], day: date) -> list[RowMapping]:
    """End on ``day`` the versions of ``codes`` valid on it that started before it; returns what was closed."""
    return list(
        conn.execute(
            text(
                "UPDATE admin_unit SET valid_to = :day WHERE code = ANY(:codes) AND period @> CAST(:day AS date)"
                " AND valid_from < :day RETURNING code, name, valid_from"
            ),
            {"codes": list(codes), "day": day},
        ).mappings()
    )
