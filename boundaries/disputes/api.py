"""HTTP routes of boundary dispute cases (thin: parse, call the service)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Query

from boundaries.disputes import service as disputes
from boundaries.disputes.schemas import DisputeIn, DisputeUpdate
from core.auth import Principal
from core.web import Db, Router, require_role

router = Router(prefix="/api/v1/boundaries", tags=["boundaries"])


@router.post("/disputes", status_code=201)
def create_dispute(
    conn: Db, body: DisputeIn, caller: Annotated[Principal, Depends(require_role("editor"))]
) -> dict[str, Any]:
    """Open a dispute case (units, ground, documents, links to the check or comparison that found it)."""
    return disputes.create_case(
        conn,
        title=body.title,
        units=body.units,
        opened_on=body.opened_on,
        geometry=body.geometry,
        crs=body.crs,
        documents=[d.model_dump() for d in body.documents],
        check_id=body.check_id,
        comparison_id=body.comparison_id,
        piece_ids=body.piece_ids,
        note=body.note,
        actor=caller.name,
    )


@router.patch("/disputes/{case_id}")
def update_dispute(
    conn: Db, case_id: int, body: DisputeUpdate, caller: Annotated[Principal, Depends(require_role("editor"))]
) -> dict[str, Any]:
    """Change a case's status (open, mediating, resolved), add documents or a note; dated on the timeline."""
    return disputes.update_case(
        conn,
        case_id,
        version=body.version,
        on_date=body.on_date,
        status=body.status,
        add_documents=[d.model_dump() for d in body.add_documents],
        note=body.note,
        actor=caller.name,
    )


@router.get("/disputes")
def list_disputes(
    conn: Db, status: Annotated[str | None, Query()] = None, unit: Annotated[str | None, Query()] = None
) -> list[dict[str, Any]]:
    """Dispute cases, newest first."""
    return disputes.list_cases(conn, status=status, unit=unit)


@router.get("/disputes/{case_id}")
def get_dispute(conn: Db, case_id: int) -> dict[str, Any]:
    """One dispute case with its dated timeline."""
    return disputes.get_case(conn, case_id)
