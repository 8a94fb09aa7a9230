"""HTTP routes of administrative units (thin: parse, call the service)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Query, Response

from boundaries.units import service
from boundaries.units.schemas import UnitOut, UnitRef
from core.conditional import fresh_for
from core.values import IsoDate
from core.web import Db, Router, json_answer

router = Router(prefix="/api/v1/units", tags=["units"])

AsOf = Annotated[IsoDate | None, Query(description="the date to answer for (YYYY-MM-DD); today when omitted")]
CODE_DOC = "NBS code with 2, 4, 6, 9 or 12 digits (150603 = 150603000000)"
FRESH = [Depends(fresh_for("boundaries"))]  # ETag from the units' data version (core.conditional)


@router.get("/{code}", response_model=UnitOut, dependencies=FRESH)
def get_unit(
    conn: Db,
    code: str,
    as_of: AsOf = None,
    crs: Annotated[str, Query(description="CRS of the returned polygon")] = "EPSG:4326",
) -> Response:
    """A unit with its path to the top, children count, registered polygon and area (km², ellipsoid)."""
    return json_answer(service.get_unit(conn, code, as_of=as_of, crs=crs))  # the fields of UnitOut, in its order


@router.get("/{code}/children", response_model=list[UnitRef], dependencies=FRESH)
def get_children(conn: Db, code: str, as_of: AsOf = None) -> Response:
    """The unit's children on the date."""
    return json_answer(service.get_children(conn, code, as_of=as_of))  # the fields of UnitRef, in its order


@router.get("/{code}/ancestors", response_model=list[UnitRef])
def get_ancestors(conn: Db, code: str, as_of: AsOf = None) -> list[dict[str, Any]]:
    """The unit's loaded ancestors on the date, top first."""
    return service.get_ancestors(conn, code, as_of=as_of)
