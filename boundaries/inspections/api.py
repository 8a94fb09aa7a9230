"""The field pages served to inspectors' phones (HTML; the data goes through the boundaries API)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

from boundaries.inspections import form as field_form
from core.web import AppSettings, Db

router = APIRouter(prefix="/field", tags=["field"])


@router.get("/inspections/{campaign_id}", response_class=HTMLResponse)
def inspection_form(conn: Db, campaign_id: int, settings: AppSettings) -> str:
    """The mobile form of a campaign: marker, status, GNSS fix (browser or typed, any CRS), notes, photos; kept on
    the phone and retried while the network is down."""
    return field_form.field_form_page(conn, campaign_id, settings.photos)
