"""HTTP routes of unit polygons: adding a polygon version to a unit, and the batch reverse lookup over the
registered polygons (thin: parse, call the service)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Request

from boundaries.polygons import service
from boundaries.polygons.schemas import BatchPointsIn, BatchReverseOut, PolygonCreated, PolygonIn
from core.auth import Principal
from core.errors import Forbidden
from core.web import Db, Router, require_role

router = Router(prefix="/api/v1/units", tags=["units"])


@router.post("/{code}/polygons", response_model=PolygonCreated, status_code=201)
def add_polygon(
    conn: Db,
    code: str,
    body: PolygonIn,
    caller: Annotated[Principal, Depends(require_role("editor", "approver"))],
) -> dict[str, Any]:
    """Add a polygon version (editor: draft/claimed/reference; approver: registered)."""
    if body.status == "registered" and caller.role not in ("approver", "admin"):
        raise Forbidden("only an approver may register a polygon")
    return service.add_polygon(
        conn,
        code,
        geometry=body.geometry,
        crs=body.crs,
        source=body.source,
        status=body.status,
        valid_from=body.valid_from,
        on_invalid=body.on_invalid,
        actor=caller.name,
    )


batch_router = Router(prefix="/api/v1/reverse", tags=["lookup"])


@batch_router.post("/batch", response_model=BatchReverseOut)
def reverse_batch(
    conn: Db,
    request: Request,
    body: BatchPointsIn,
    caller: Annotated[Principal, Depends(require_role("editor", "approver", "inspector"))],
) -> dict[str, Any]:
    """Up to 200,000 points in one request: the deepest unit with a registered polygon (valid on ``as_of``,
    today when omitted) at each.

    Served from an in-process index of the registered polygons, rebuilt when they change. Needs a key
    (any role): it is the heavy lookup offered to the office's own systems.
    """
    xs = [p[0] for p in body.points]
    ys = [p[1] for p in body.points]
    return service.locate_points(conn, request.app.state.unit_locator, xs, ys, body.crs, as_of=body.as_of)
