"""HTTP routes of administrative units (thin: parse, call the service)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request

from boundaries.units import service
from boundaries.units.schemas import BatchPointsIn, BatchReverseOut, PolygonCreated, PolygonIn, UnitOut, UnitRef
from core.auth import Principal
from core.conditional import fresh_for
from core.errors import Forbidden
from core.values import IsoDate
from core.web import Db, require_role

router = APIRouter(prefix="/api/v1/units", tags=["units"])

AsOf = Annotated[IsoDate | None, Query(description="the date to answer for (YYYY-MM-DD); today when omitted")]
CODE_DOC = "NBS code with 2, 4, 6, 9 or 12 digits (150603 = 150603000000)"
FRESH = [Depends(fresh_for("boundaries"))]  # ETag from the units' data version (core.conditional)


@router.get("/{code}", response_model=UnitOut, dependencies=FRESH)
def get_unit(
    conn: Db,
    code: str,
    as_of: AsOf = None,
    crs: Annotated[str, Query(description="CRS of the returned polygon")] = "EPSG:4326",
) -> dict[str, Any]:
    """A unit with its path to the top, children count, registered polygon and area (km², ellipsoid)."""
    return service.get_unit(conn, code, as_of=as_of, crs=crs)


@router.get("/{code}/children", response_model=list[UnitRef], dependencies=FRESH)
def get_children(conn: Db, code: str, as_of: AsOf = None) -> list[dict[str, Any]]:
    """The unit's children on the date."""
    return service.get_children(conn, code, as_of=as_of)


@router.get("/{code}/ancestors", response_model=list[UnitRef])
def get_ancestors(conn: Db, code: str, as_of: AsOf = None) -> list[dict[str, Any]]:
    """The unit's loaded ancestors on the date, top first."""
    return service.get_ancestors(conn, code, as_of=as_of)


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


batch_router = APIRouter(prefix="/api/v1/reverse", tags=["lookup"])


@batch_router.post("/batch", response_model=BatchReverseOut)
def reverse_batch(
    conn: Db,
    request: Request,
    body: BatchPointsIn,
    caller: Annotated[Principal, Depends(require_role("editor", "approver", "inspector"))],
) -> dict[str, Any]:
    """Up to 200,000 points in one request: the deepest unit with a registered polygon (today) at each.

    Served from an in-process index of the registered polygons, rebuilt when they change. Needs a key
    (any role): it is the heavy lookup offered to the office's own systems.
    """
    xs = [p[0] for p in body.points]
    ys = [p[1] for p in body.points]
    return service.locate_points(conn, request.app.state.unit_locator, xs, ys, body.crs)
