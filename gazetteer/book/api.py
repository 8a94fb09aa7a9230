"""HTTP route of the printable gazetteer draft (地名志) per banner (thin: parse, call gazetteer.book)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import Path, Query, Response
from fastapi.responses import HTMLResponse

from core.printing import html_to_pdf
from core.web import Db, Router
from gazetteer.book import service as book

router = Router(prefix="/api/v1", tags=["lookup"])


@router.get(
    "/gazetteer-book/{banner_code}",
    response_class=HTMLResponse,
    responses={200: {"content": {"text/html": {}, "application/pdf": {}}}},
)
def gazetteer_book(
    conn: Db,
    banner_code: Annotated[
        str, Path(description="NBS code of a banner, district or county (6 or 12 digits), e.g. 150625")
    ],
    format: Annotated[Literal["html", "pdf"], Query(description="html (A4 print CSS) or pdf (printed)")] = "html",
) -> Response:
    """The banner's gazetteer draft as an A4 print page: title page, contents, its current standard names grouped
    by GB/T 18521 category (code order) with romanization, township, coordinates (generalised for non-public
    records), meaning, origin and history; page numbers when printed. ``format=pdf``: the same page printed."""
    page = book.book_html(conn, banner_code)
    if format == "pdf":
        return Response(
            html_to_pdf(page, what="the gazetteer draft"),
            media_type="application/pdf",
            headers={"Content-Disposition": f'inline; filename="gazetteer-{banner_code}.pdf"'},
        )
    return HTMLResponse(page)
