"""SQL of the proposals to lower a place name's secrecy (the two-person rule of gazetteer.service)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Connection

PROPOSAL_COLUMNS = (
    "sp.id, sp.place_name_id, p.name AS place_name, sp.from_secrecy, sp.to_secrecy, sp.record_version, sp.status,"
    " sp.proposed_by, sp.proposed_at, sp.decided_by, sp.decided_at"
)


def insert_proposal(
    conn: Connection, place_name_id: int, from_secrecy: str, to_secrecy: str, record_version: int, proposed_by: str
) -> int:
    """A pending proposal; its id."""
    return int(
        conn.execute(
            text(
                "INSERT INTO place_secrecy_proposal (place_name_id, from_secrecy, to_secrecy, record_version,"
                " proposed_by) VALUES (:place_name_id, :from_secrecy, :to_secrecy, :record_version, :proposed_by)"
                " RETURNING id"
            ),
            {
                "place_name_id": place_name_id,
                "from_secrecy": from_secrecy,
                "to_secrecy": to_secrecy,
                "record_version": record_version,
                "proposed_by": proposed_by,
            },
        ).scalar_one()
    )


def proposals(conn: Connection, *, place_name_id: int | None, status: str | None) -> list[dict[str, Any]]:
    """The proposals of a record (of every record when None), optionally of one status only, newest first."""
    rows = conn.execute(
        text(
            f"SELECT {PROPOSAL_COLUMNS} FROM place_secrecy_proposal sp JOIN place_name p ON p.id = sp.place_name_id"  # noqa: S608
            " WHERE (CAST(:place_name_id AS bigint) IS NULL OR sp.place_name_id = :place_name_id)"
            " AND (CAST(:status AS text) IS NULL OR sp.status = :status) ORDER BY sp.id DESC"
        ),
        {"place_name_id": place_name_id, "status": status},
    ).mappings()
    return [dict(row) for row in rows]


def proposal_for_update(conn: Connection, proposal_id: int) -> dict[str, Any] | None:
    """One proposal, locked for the transaction; None when there is none of that id."""
    rows = conn.execute(
        text(
            f"SELECT {PROPOSAL_COLUMNS} FROM place_secrecy_proposal sp JOIN place_name p ON p.id = sp.place_name_id"  # noqa: S608
            " WHERE sp.id = :id FOR UPDATE OF sp"
        ),
        {"id": proposal_id},
    ).mappings()
    found = rows.first()
    return None if found is None else dict(found)


def decide(conn: Connection, proposal_id: int, status: str, decided_by: str) -> datetime:
    """Close a pending proposal as approved or rejected by ``decided_by``; when it was decided."""
    decided_at: datetime = conn.execute(
        text(
            "UPDATE place_secrecy_proposal SET status = :status, decided_by = :decided_by, decided_at = now()"
            " WHERE id = :id AND status = 'pending' RETURNING decided_at"
        ),
        {"id": proposal_id, "status": status, "decided_by": decided_by},
    ).scalar_one()
    return decided_at
