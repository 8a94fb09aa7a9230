"""GET /maps/print.pdf: the printed city map (maps.print_map) of the city or one banner, as a one-page PDF."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import Query
from fastapi.responses import Response

from core.values import IsoDate
from core.web import AppSettings, Db, Router
from facilities.service import CITY_CODE
from maps.print_map import SCALE_MAX, SCALE_MIN, city_map_pdf

router = Router(prefix="/maps", tags=["maps"])


@router.get("/print.pdf", response_class=Response, responses={200: {"content": {"application/pdf": {}}}})
def print_map(
    conn: Db,
    settings: AppSettings,
    unit: Annotated[str, Query(description="NBS code of the city or of one banner/district")] = CITY_CODE,
    paper: Annotated[Literal["A1", "A3", "A4"], Query(description="ISO 216 sheet, printed landscape")] = "A1",
    scale: Annotated[
        int | None,
        Query(ge=SCALE_MIN, le=SCALE_MAX, description="scale denominator (default: the largest round scale that fits)"),
    ] = None,
    as_of: Annotated[IsoDate | None, Query(description="units, polygons and names valid on this day (today)")] = None,
) -> Response:
    """The city (or one banner) as a vector PDF: boundaries with their status, names in Chinese with their
    romanization, seats, graticule, legend, scale bar, north arrow, title block and the 审图号 placeholder."""
    pdf, report = city_map_pdf(conn, unit=unit, paper=paper, scale=scale, as_of=as_of, maps=settings.maps)
    name = f"map-{report['unit']['code']}-{paper}-{report['as_of']}.pdf"
    return Response(pdf, media_type="application/pdf", headers={"Content-Disposition": f'inline; filename="{name}"'})
