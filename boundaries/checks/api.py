"""HTTP routes of boundary management (thin: parse, call the service)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import FileResponse, HTMLResponse

from boundaries.checks import service as checks
from boundaries.checks.schemas import (
    AgreementIn,
    CampaignIn,
    CheckIn,
    CheckOut,
    DisputeIn,
    DisputeUpdate,
    LinesDeriveIn,
    ObservationIn,
)
from boundaries.disputes import service as disputes
from boundaries.inspections import photos as field_photos
from boundaries.inspections import report as inspection_report
from boundaries.inspections import service as inspections
from boundaries.lines import service as lines
from core.auth import Principal
from core.values import GeoPoint, IsoDate
from core.web import AppSettings, Db, Imports, RequestBody, require_role

router = APIRouter(prefix="/api/v1/boundaries", tags=["boundaries"])

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


# --- lines and markers ----------------------------------------------------------------------------------
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


# --- dispute cases --------------------------------------------------------------------------------------
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


# --- joint inspections ----------------------------------------------------------------------------------
@router.post("/inspections", status_code=201)
def create_campaign(
    conn: Db, body: CampaignIn, caller: Annotated[Principal, Depends(require_role("editor"))]
) -> dict[str, Any]:
    """Open an inspection campaign over lines (the parties are the units on either side)."""
    return inspections.create_campaign(
        conn,
        title=body.title,
        line_ids=body.line_ids,
        period_start=body.period_start,
        period_end=body.period_end,
        inspectors=body.inspectors,
        tolerance_m=body.tolerance_m,
        actor=caller.name,
    )


@router.get("/inspections/{campaign_id}")
def get_campaign(conn: Db, campaign_id: int) -> dict[str, Any]:
    """A campaign with its observations."""
    return inspections.get_campaign(conn, campaign_id)


@router.post("/inspections/{campaign_id}/observations", status_code=201)
def submit_observation(
    conn: Db,
    campaign_id: int,
    body: ObservationIn,
    response: Response,
    caller: Annotated[Principal, Depends(require_role("inspector"))],
) -> dict[str, Any]:
    """Submit an observation (201); the same submission again answers 200 with the stored one."""
    observation, new = inspections.submit_observation(
        conn,
        campaign_id,
        submission_id=body.submission_id,
        observed_on=body.observed_on,
        marker_id=body.marker_id,
        line_id=body.line_id,
        status=body.status,
        fix=(body.fix.x, body.fix.y, body.fix.crs) if body.fix else None,
        notes=body.notes,
        actor=caller.name,
    )
    if not new:
        response.status_code = 200
    return observation


@router.put("/inspections/{campaign_id}/observations/{submission_id}/photos/{seq}", status_code=201)
def upload_photo(
    request: Request,
    conn: Db,
    content: RequestBody,
    campaign_id: int,
    submission_id: str,
    seq: int,
    response: Response,
    caller: Annotated[Principal, Depends(require_role("inspector"))],
    settings: AppSettings,
    name: Annotated[str, Query(max_length=200, description="the photo's file name on the phone")] = "",
) -> dict[str, Any]:
    """Attach photo number ``seq`` (the body: JPEG or PNG bytes) to an observation (201); the same photo again
    answers 200; its SHA-256 is recorded and the file stored outside the database."""
    photo, new = field_photos.add_photo(
        conn,
        campaign_id,
        submission_id,
        seq,
        content,
        declared_type=request.headers.get("content-type", ""),
        original_name=name,
        photos=settings.photos,
        actor=caller.name,
    )
    if not new:
        response.status_code = 200
    return photo


@router.get("/inspections/{campaign_id}/photos/{photo_id}")
def get_photo(conn: Db, campaign_id: int, photo_id: int, settings: AppSettings) -> FileResponse:
    """A stored photo of a campaign's observation."""
    path, media_type = field_photos.photo_file(conn, campaign_id, photo_id, settings.photos)
    return FileResponse(path, media_type=media_type, headers={"Cache-Control": "private, max-age=86400"})


@router.get(
    "/inspections/{campaign_id}/report",
    response_class=HTMLResponse,
    responses={200: {"content": {"text/html": {}, "application/pdf": {}}}},
)
def inspection_report_page(
    conn: Db,
    campaign_id: int,
    settings: AppSettings,
    line: Annotated[int | None, Query(description="id of the line (needed when the campaign has several)")] = None,
    format: Annotated[
        Literal["html", "pdf"], Query(description="html (A4 print CSS) or pdf (printed by Chromium)")
    ] = "html",
) -> Response:
    """The per-line inspection report to file: map of the line and markers (displaced in red), observations,
    photos and the signature block of both parties; A4 HTML or PDF."""
    if format == "pdf":
        pdf = inspection_report.report_pdf(conn, campaign_id, line, settings.photos)
        name = f"inspection-{campaign_id}-line-{line or 'only'}.pdf"
        return Response(
            pdf, media_type="application/pdf", headers={"Content-Disposition": f'inline; filename="{name}"'}
        )
    return HTMLResponse(inspection_report.report_html(conn, campaign_id, line))
