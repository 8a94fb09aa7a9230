"""HTTP routes of division-change applications (thin: parse, call the service)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Query

from core.auth import Principal
from core.conditional import fresh_for
from core.web import AppSettings, Db, Router, require_role
from divisions import service as divisions
from divisions.schemas import ApplicationIn, ApprovalIn, VersionIn

router = Router(prefix="/api/v1/divisions", tags=["divisions"])
Editor = Annotated[Principal, Depends(require_role("editor", "approver"))]
Approver = Annotated[Principal, Depends(require_role("approver"))]
# ETag from the versions of the applications and of the units and dispute cases they show (core.conditional).
FRESH = [Depends(fresh_for("divisions", "boundaries"))]


@router.get("/criteria")
def criteria() -> list[dict[str, Any]]:
    """The rules applications are checked against, each with its source (document, clause, year) and, where the
    figure is the bureau's own, the local setting that holds it."""
    return [c.cited() for c in divisions.CRITERIA]


@router.post("/applications", status_code=201)
def create_application(conn: Db, body: ApplicationIn, caller: Editor) -> dict[str, Any]:
    """Draw up an application (draft): the township-level units it touches, the units it proposes (kept or new
    codes, villages allocated, drawn polygons), figures and documents."""
    return divisions.create_application(conn, **body.arguments(), actor=caller.name)


@router.get("/applications", dependencies=FRESH)
def list_applications(
    conn: Db,
    status: Annotated[str | None, Query(max_length=20)] = None,
    unit: Annotated[str | None, Query(max_length=12)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> list[dict[str, Any]]:
    """Applications by status and unit (touched, proposed, or their county), newest first."""
    return divisions.list_applications(conn, status=status, unit=unit, limit=limit)


@router.get("/applications/{application_id}", dependencies=FRESH)
def get_application(conn: Db, application_id: int) -> dict[str, Any]:
    """One application with its proposed units, state, approval, result once applied, and flags."""
    return divisions.get_application(conn, application_id)


@router.get("/applications/{application_id}/check", dependencies=FRESH)
def check_application(conn: Db, application_id: int, settings: AppSettings) -> dict[str, Any]:
    """The standards check: per proposed unit each applicable criterion, pass/fail with the figures used."""
    return divisions.check_application(conn, application_id, settings.divisions)


@router.post("/applications/{application_id}/submit")
def submit(conn: Db, application_id: int, body: VersionIn, caller: Editor) -> dict[str, Any]:
    """draft → submitted."""
    return divisions.submit(conn, application_id, version=body.version, actor=caller.name)


@router.post("/applications/{application_id}/approve")
def approve(conn: Db, application_id: int, body: ApprovalIn, caller: Approver) -> dict[str, Any]:
    """submitted → approved, with the approving body, 批准文号 and date; a stale version gets 409."""
    return divisions.approve(
        conn,
        application_id,
        version=body.version,
        approving_body=body.approving_body,
        document_number=body.document_number,
        approval_date=body.approval_date,
        actor=caller.name,
    )


@router.post("/applications/{application_id}/apply")
def apply(conn: Db, application_id: int, body: VersionIn, caller: Approver) -> dict[str, Any]:
    """approved → applied: unit versions, villages, polygons, lines and name events, in one transaction."""
    return divisions.apply_application(conn, application_id, version=body.version, actor=caller.name)


@router.post("/applications/{application_id}/withdraw")
def withdraw(conn: Db, application_id: int, body: VersionIn, caller: Editor) -> dict[str, Any]:
    """Withdraw an application not yet applied."""
    return divisions.withdraw(conn, application_id, version=body.version, actor=caller.name)


@router.post("/applications/{application_id}/revert")
def revert(conn: Db, application_id: int, body: VersionIn, caller: Editor) -> dict[str, Any]:
    """Send a submitted or approved application back to draft (its approval cleared)."""
    return divisions.revert(conn, application_id, version=body.version, actor=caller.name)
