"""HTTP routes of joint field inspections: the API and the field pages served to inspectors' phones."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import Depends, Query, Request, Response
from fastapi.responses import FileResponse, HTMLResponse

from boundaries.inspections import form as field_form
from boundaries.inspections import photos as field_photos
from boundaries.inspections import report as inspection_report
from boundaries.inspections import service as inspections
from boundaries.inspections.schemas import CampaignIn, ObservationIn
from core.auth import Principal
from core.web import AppSettings, Db, RequestBody, Router, require_role

router = Router(prefix="/api/v1/boundaries", tags=["boundaries"])
# The form pages (HTML; the data goes through the API above).
field_router = Router(prefix="/field", tags=["field"])


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


# --- the field form ---------------------------------------------------------------------------------------
@field_router.get("/inspections/{campaign_id}", response_class=HTMLResponse)
def inspection_form(conn: Db, campaign_id: int, settings: AppSettings) -> str:
    """The mobile form of a campaign: marker, status, GNSS fix (browser or typed, any CRS), notes, photos; opens
    offline once visited, reports queued on the phone and sent when the network is back."""
    return field_form.field_form_page(conn, campaign_id, settings.photos)


@field_router.get("/form.js", include_in_schema=False)
def field_form_script() -> Response:
    """The field form's script."""
    return Response(field_form.asset("form.js"), media_type="text/javascript", headers={"Cache-Control": "no-cache"})


@field_router.get("/sw.js", include_in_schema=False)
def field_form_service_worker() -> Response:
    """The field form's service worker (scope ``/field/``)."""
    return Response(field_form.asset("sw.js"), media_type="text/javascript", headers={"Cache-Control": "no-cache"})
