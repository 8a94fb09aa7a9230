"""Boundary hazard screening with the people and assets near each section.

A thin composition on the top floor, as the comparison is: boundaries cuts and scores the sections (it sits below
the gazetteer and the facilities and may not read them); the place names, facilities and graves within the
buffer of each section are found here through those contexts' services (:func:`app.boundary_compare.contents_finder`).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import Query, Response
from fastapi.responses import JSONResponse

from app.boundary_compare import contents_finder
from boundaries import service as boundaries
from core.values import IsoDate
from core.web import AppSettings, Db, Router

router = Router(prefix="/api/v1/boundaries", tags=["boundaries"])


@router.get(
    "/hazards",
    response_model=None,
    responses={
        200: {
            "model": boundaries.HazardsOut,
            "content": {"text/csv": {"schema": {"type": "string"}}, "application/geo+json": {}},
        }
    },
)
def boundary_hazards(
    conn: Db,
    settings: AppSettings,
    unit: Annotated[str | None, Query(description="code of a unit: the lines of its children and its own")] = None,
    as_of: Annotated[IsoDate | None, Query(description="YYYY-MM-DD; today when omitted")] = None,
    section_m: Annotated[float, Query(description="length of a section in metres (100–50,000)")] = 1000.0,
    format: Annotated[
        Literal["json", "csv", "geojson"], Query(description="json, csv (UTF-8 BOM) or geojson (lon/lat)")
    ] = "json",
) -> Any:
    """Boundary lines cut into sections, each scored by dispute cases, disputed ground, marker problems, people
    and assets within the buffer, disagreeing sources and overdue joint inspection; highest first, with reasons."""
    result = boundaries.screen_hazards(
        conn,
        unit=unit,
        as_of=as_of,
        section_m=section_m,
        weights=settings.hazards,
        contents=contents_finder(conn),
    )
    if format == "csv":
        return Response(
            boundaries.hazards_csv(result).encode("utf-8"),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": 'attachment; filename="boundary-hazards.csv"'},
        )
    if format == "geojson":
        return JSONResponse(boundaries.hazards_geojson(result), media_type="application/geo+json")
    return boundaries.hazards_json(result)
