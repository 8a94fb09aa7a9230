"""SQL of dispute cases and their timelines."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Connection, RowMapping

CASE_SELECT = (
    "SELECT id, title, unit_codes, status, documents, check_id, comparison_id, piece_ids, created_by, created_at,"
    " version,"
    " ST_AsBinary(geom) AS wkb FROM dispute_case"
)


def insert_case(conn: Connection, values: dict[str, Any]) -> int:
    """Store a case; returns its id."""
    return int(
        conn.execute(
            text(
                "INSERT INTO dispute_case (title, unit_codes, status, documents, check_id, comparison_id, piece_ids,"
                " geom, created_by) VALUES (:title, CAST(:unit_codes AS text[]), :status, CAST(:documents AS jsonb),"
                " :check_id, :comparison_id, CAST(:piece_ids AS bigint[]), ST_Multi(ST_GeomFromWKB(:wkb, 4490)),"
                " :created_by) RETURNING id"
            ),
            {**values, "documents": json.dumps(values["documents"], ensure_ascii=False, default=str)},
        ).scalar_one()
    )


def update_case(conn: Connection, case_id: int, version: int, status: str, documents: list[dict[str, Any]]) -> bool:
    """Change status and documents if the case is still at ``version``; False when stale."""
    return (
        conn.execute(
            text(
                "UPDATE dispute_case SET status = :status, documents = CAST(:documents AS jsonb), version = version + 1"
                " WHERE id = :id AND version = :version"
            ),
            {
                "id": case_id,
                "version": version,
                "status": status,
                "documents": json.dumps(documents, ensure_ascii=False, default=str),
            },
        ).rowcount
        == 1
    )


def add_event(conn: Connection, case_id: int, on_date: date, kind: str, note: str, actor: str) -> None:
    """Append one dated entry to a case's timeline."""
    conn.execute(
        text(
            "INSERT INTO dispute_event (case_id, on_date, kind, note, actor)"
            " VALUES (:case_id, :on_date, :kind, :note, :actor)"
        ),
        {"case_id": case_id, "on_date": on_date, "kind": kind, "note": note, "actor": actor},
    )


def case(conn: Connection, case_id: int) -> RowMapping | None:
    """One case."""
    return conn.execute(text(CASE_SELECT + " WHERE id = :id"), {"id": case_id}).mappings().first()


def cases(conn: Connection, status: str | None, unit: str | None) -> list[RowMapping]:
    """Cases filtered by status and unit, newest first."""
    return list(
        conn.execute(
            text(
                CASE_SELECT + " WHERE (CAST(:status AS text) IS NULL OR status = :status)"
                " AND (CAST(:unit AS text) IS NULL OR :unit = ANY(unit_codes)) ORDER BY id DESC"
            ),
            {"status": status, "unit": unit},
        ).mappings()
    )


def opened_on(conn: Connection, case_id: int) -> date | None:
    """The date of the case's opening entry."""
    return conn.execute(
        text("SELECT min(on_date) FROM dispute_event WHERE case_id = :id AND kind = 'opened'"), {"id": case_id}
    ).scalar_one()


def events(conn: Connection, case_id: int) -> list[RowMapping]:
    """A case's timeline, in date order."""
    return list(
        conn.execute(
            text(
                "SELECT on_date, kind, note, actor, recorded_at FROM dispute_event WHERE case_id = :id"
                " ORDER BY on_date, id"
            ),
            {"id": case_id},
        ).mappings()
    )


def pieces_outside(conn: Connection, comparison_id: int, piece_ids: list[int]) -> list[int]:
    """The ids among ``piece_ids`` that are not disputed pieces of the comparison."""
    found = conn.execute(
        text("SELECT id FROM disputed_piece WHERE comparison_id = :c AND id = ANY(CAST(:ids AS bigint[]))"),
        {"c": comparison_id, "ids": piece_ids},
    ).scalars()
    return sorted(set(piece_ids) - set(found))


def exists(conn: Connection, table: str, row_id: int) -> bool:
    """True when a check or comparison with this id is stored."""
    statements = {
        "boundary_check": "SELECT 1 FROM boundary_check WHERE id = :id",
        "boundary_comparison": "SELECT 1 FROM boundary_comparison WHERE id = :id",
    }
    return conn.execute(text(statements[table]), {"id": row_id}).first() is not None


def dispute_cases(conn: Connection, day: date) -> list[RowMapping]:
    """Cases opened on or before ``day``, with their status now, the date of their last status change when they
    are resolved (``resolved_on``), and their ground as WKB (None when the case has none)."""
    return list(
        conn.execute(
            text(
                "SELECT c.id, c.title, c.unit_codes, c.status, ST_AsBinary(c.geom) AS wkb,"
                " (SELECT min(e.on_date) FROM dispute_event e WHERE e.case_id = c.id AND e.kind = 'opened')"
                " AS opened_on,"
                " CASE WHEN c.status = 'resolved' THEN (SELECT max(e.on_date) FROM dispute_event e"
                " WHERE e.case_id = c.id AND e.kind = 'status') END AS resolved_on"
                " FROM dispute_case c WHERE EXISTS (SELECT 1 FROM dispute_event e WHERE e.case_id = c.id"
                " AND e.kind = 'opened' AND e.on_date <= :day) ORDER BY c.id"
            ),
            {"day": day},
        ).mappings()
    )
