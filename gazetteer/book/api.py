"""HTTP route of the printable gazetteer draft (地名志) per banner (thin: parse, call gazetteer.book)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path
from fastapi.responses import HTMLResponse

from core.web import Db
from gazetteer.book import service as book

router = APIRouter(prefix="/api/v1", tags=["lookup"])


@router.get(
    "/gazetteer-book/{banner_code}", response_class=HTMLResponse, responses={200: {"content": {"text/html": {}}}}
)
def gazetteer_book(
    conn: Db,
    banner_code: Annotated[
        str, Path(description="NBS code of a banner, district or county (6 or 12 digits), e.g. 150625")
    ],
) -> HTMLResponse:
    """The banner's gazetteer draft as an A4 print page: title page, contents, its current standard names grouped
    by GB/T 18521 category (code order) with romanization, township, coordinates (generalised for non-public
    records), meaning, origin and history; page numbers when printed."""
    return HTMLResponse(book.book_html(conn, banner_code))
