"""HTTP routes of boundary checks (thin: parse, call the service)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Query

from boundaries.checks import service as checks
from boundaries.checks.schemas import CheckIn, CheckOut
from core.auth import Principal
from core.web import Db, Router, require_role

router = Router(prefix="/api/v1/boundaries", tags=["boundaries"])


Kind = Annotated[str | None, Query(description="only findings of this kind")]


@router.post("/checks", response_model=CheckOut, status_code=201)
def run_check(
    conn: Db,
    body: CheckIn,
    caller: Annotated[Principal, Depends(require_role("editor", "inspector", "approver"))],
) -> dict[str, Any]:
    """Run a topology check of the units of a level under a parent and store it with its findings."""
    return checks.run_topology_check(
        conn,
        parent=body.parent,
        level=body.level,
        source=body.source,
        gap_width_m=body.gap_width_m,
        sliver_area_m2=body.sliver_area_m2,
        as_of=body.as_of,
        actor=caller.name,
    )


@router.get("/checks")
def list_checks(conn: Db, limit: Annotated[int, Query(ge=1, le=500)] = 50) -> list[dict[str, Any]]:
    """The latest stored checks, newest first, with their counts per kind (pick one for /checks/{id})."""
    return checks.list_checks(conn, limit)


@router.get("/checks/{check_id}", response_model=CheckOut)
def get_check(
    conn: Db,
    check_id: int,
    kind: Kind = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = checks.FINDINGS_SHOWN,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> dict[str, Any]:
    """A stored check: summary (count and area per kind, per unit) and its findings, largest first."""
    return checks.get_check(conn, check_id, kind=kind, limit=limit, offset=offset)


@router.get("/checks/{check_id}/findings.geojson")
def get_findings_geojson(
    conn: Db,
    check_id: int,
    kind: Kind = None,
    limit: Annotated[int, Query(ge=1, le=200_000)] = 10_000,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> dict[str, Any]:
    """The findings of a check as GeoJSON (lon/lat), largest first."""
    return checks.findings_geojson(conn, check_id, kind=kind, limit=limit, offset=offset)
