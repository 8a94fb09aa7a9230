"""HTTP routes of boundary lines, markers and the point query (thin: parse, call the service)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Query

from boundaries.lines import service as lines
from boundaries.lines.schemas import AgreementIn, LinesDeriveIn
from core.auth import Principal
from core.values import GeoPoint, IsoDate
from core.web import Db, Imports, RequestBody, Router, require_role

router = Router(prefix="/api/v1/boundaries", tags=["boundaries"])


@router.post("/lines/derive", status_code=201)
def derive_lines(
    conn: Db, body: LinesDeriveIn, caller: Annotated[Principal, Depends(require_role("editor"))]
) -> dict[str, Any]:
    """Derive (or re-derive) the lines between neighbouring units, and their outer lines, from registered polygons."""
    return lines.derive_lines(conn, parent=body.parent, level=body.level, as_of=body.as_of, actor=caller.name)


@router.get("/lines")
def list_lines(
    conn: Db,
    unit: Annotated[str | None, Query(description="code of a unit: its lines on either side")] = None,
    geometry: Annotated[bool, Query(description="include each line's geometry (lon/lat)")] = True,
) -> list[dict[str, Any]]:
    """Boundary lines: the two units, length (km, ellipsoid), agreement reference, geometry."""
    return lines.list_lines(conn, unit=unit, with_geometry=geometry)


@router.get("/lines/{line_id}")
def get_line(conn: Db, line_id: int) -> dict[str, Any]:
    """One line with its geometry and markers."""
    return lines.get_line(conn, line_id)


@router.put("/lines/{line_id}/agreement")
def set_agreement(
    conn: Db, line_id: int, body: AgreementIn, caller: Annotated[Principal, Depends(require_role("editor"))]
) -> dict[str, Any]:
    """Record the agreement document a line rests on."""
    return lines.set_agreement(conn, line_id, body.agreement_ref, actor=caller.name)


@router.post("/markers/import")
def import_markers(
    imports: Imports,
    content: RequestBody,
    caller: Annotated[Principal, Depends(require_role("editor"))],
    name: Annotated[str, Query(min_length=1, max_length=200, description="name of the file, for the report")],
    skip_invalid: bool = False,
) -> dict[str, Any]:
    """Import markers from a CSV body (number, unit_a, unit_b, type, x, y, crs, description), all or nothing."""
    return imports.run(lines.import_markers_content, content, name=name, skip_invalid=skip_invalid, actor=caller.name)


@router.get("/markers")
def list_markers(
    conn: Db,
    line: Annotated[int | None, Query(description="id of a line")] = None,
    unit: Annotated[str | None, Query(description="code of a unit: the markers on its lines")] = None,
) -> list[dict[str, Any]]:
    """Boundary markers (界桩) with their agreed coordinates as given and in lon/lat."""
    return lines.list_markers(conn, line_id=line, unit=unit)


@router.get("/markers/{marker_id}")
def get_marker(conn: Db, marker_id: int) -> dict[str, Any]:
    """One marker."""
    return lines.get_marker(conn, marker_id)


@router.get("/at")
def at_point(
    conn: Db,
    lon: Annotated[float, Query(description="longitude or easting, east first")],
    lat: Annotated[float, Query(description="latitude or northing")],
    crs: Annotated[str, Query(description="CRS of the coordinates")] = "EPSG:4326",
    as_of: Annotated[IsoDate | None, Query(description="YYYY-MM-DD; today when omitted")] = None,
) -> dict[str, Any]:
    """Which unit, the nearest boundary line and its distance (m), and whether the point is in dispute."""
    return lines.at_point(conn, GeoPoint.from_input(lon, lat, crs), as_of=as_of)
