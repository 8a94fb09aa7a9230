"""HTTP routes of facilities, population and coverage (thin: parse, call the service)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import Depends, Query, Response
from fastapi.responses import HTMLResponse

from core.auth import Principal
from core.printing import html_to_pdf
from core.values import IsoDate
from core.web import AppSettings, Db, Imports, RequestBody, Router, require_role
from facilities import coverage
from facilities import importers as facility_imports
from facilities import registry as service
from facilities import report as facility_report
from facilities.report_page import report_html
from facilities.schemas import FacilityIn, FacilityOut, FacilityUpdate

router = Router(prefix="/api/v1", tags=["facilities"])
Editor = Annotated[Principal, Depends(require_role("editor"))]
Format = Annotated[Literal["json", "csv"], Query(description="json, or csv (UTF-8 with BOM)")]
UnitParam = Annotated[str, Query(description="NBS code of the city, a banner or a township")]
AsOf = Annotated[
    IsoDate | None,
    Query(
        description="the day counted (YYYY-MM-DD, 1949-10-01 to today; today when omitted): facilities open that day "
        "with that day's dated version; units from the current division list"
    ),
]
# The coverage routes answer JSON, or CSV with format=csv: both are declared in the OpenAPI.
CSV_OR_JSON: dict[int | str, dict[str, Any]] = {
    200: {"content": {"application/json": {}, "text/csv": {"schema": {"type": "string"}}}}
}


def _answer(result: dict[str, Any], table: str, file_format: str) -> Any:
    if file_format == "csv":
        return Response(coverage.to_csv(result[table]), media_type="text/csv; charset=utf-8")
    return result


@router.get("/facilities", response_model=list[FacilityOut])
def list_facilities(
    conn: Db,
    kind: str | None = None,
    unit: str | None = None,
    status: str | None = None,
    as_of: Annotated[
        IsoDate | None,
        Query(
            description="the facilities open on this day (YYYY-MM-DD) with that day's dated version (beds, status, "
            "...); the register as it stands when omitted"
        ),
    ] = None,
) -> list[dict[str, Any]]:
    """Facilities, filtered by kind, unit (the facilities within it) and status; as_of gives those open on a day."""
    return service.list_facilities(conn, kind=kind, unit=unit, status=status, as_of=as_of)


@router.post("/facilities", response_model=FacilityOut, status_code=201)
def create_facility(conn: Db, body: FacilityIn, caller: Editor) -> dict[str, Any]:
    """Register a facility; its unit is found from the point, or declared and checked against it."""
    return service.create_facility(conn, body, actor=caller.name)


@router.post("/facilities/import")
def import_facilities(
    imports: Imports,
    content: RequestBody,
    caller: Editor,
    source: Annotated[str, Query(description="name of the list (re-imports of one source update it)")],
    format: Annotated[Literal["csv", "geojson"], Query(description="csv or geojson")],
    crs: Annotated[str | None, Query(description="CRS of the coordinates; overrides the file's")] = None,
    illustrative: bool = False,
    skip_invalid: bool = False,
) -> dict[str, Any]:
    """Import facilities from the request body (CSV with lon/lat, or GeoJSON points), all or nothing."""
    return imports.run(
        facility_imports.import_facilities,
        content,
        name=f"{source}.{format}",
        file_format=format,
        source=source,
        crs=crs,
        illustrative=illustrative,
        skip_invalid=skip_invalid,
        actor=caller.name,
    )


@router.get("/facilities/{facility_id}", response_model=FacilityOut)
def get_facility(conn: Db, facility_id: int) -> dict[str, Any]:
    """One facility."""
    return service.get_facility(conn, facility_id)


@router.put("/facilities/{facility_id}", response_model=FacilityOut)
def update_facility(conn: Db, facility_id: int, body: FacilityUpdate, caller: Editor) -> dict[str, Any]:
    """Replace a facility; ``version`` must be the one read (409 when stale, nothing changed)."""
    data = FacilityIn.model_validate(body.model_dump(exclude={"version"}))
    return service.update_facility(conn, facility_id, data, body.version, actor=caller.name)


@router.delete("/facilities/{facility_id}", status_code=204)
def delete_facility(conn: Db, facility_id: int, version: Annotated[int, Query(ge=1)], caller: Editor) -> Response:
    """Delete a facility read at ``version`` (409 when stale)."""
    service.delete_facility(conn, facility_id, version, actor=caller.name)
    return Response(status_code=204)


@router.get("/population")
def population(conn: Db, unit: UnitParam = service.CITY_CODE, year: int | None = None) -> list[dict[str, Any]]:
    """The latest population figure (total, aged 60+) of each unit within ``unit``."""
    return service.population(conn, unit=unit, year=year)


@router.post("/population/import")
def import_population(
    imports: Imports,
    content: RequestBody,
    caller: Editor,
    source: Annotated[str, Query(description="where the figures come from")],
    skip_invalid: bool = False,
) -> dict[str, Any]:
    """Import population per unit from a CSV body: unit_code, year, total, aged_60_plus."""
    return imports.run(
        facility_imports.import_population,
        content,
        name=f"{source}.csv",
        source=source,
        skip_invalid=skip_invalid,
        actor=caller.name,
    )


@router.post("/prohibited-layers/import")
def import_layer(
    imports: Imports,
    content: RequestBody,
    caller: Editor,
    layer: Annotated[str, Query(description="layer name, e.g. G18 highway")],
    layer_kind: Annotated[
        str, Query(description="road, railway, river, reservoir, water_source, farmland, scenic_area")
    ],
    buffer_m: Annotated[float, Query(description="buffer width in metres")],
    crs: Annotated[str, Query(description="CRS of the GeoJSON body")],
    skip_invalid: bool = False,
) -> dict[str, Any]:
    """Import a prohibited-zone layer (GeoJSON body) with its buffer width."""
    return imports.run(
        facility_imports.import_layer,
        content,
        name=f"{layer}.geojson",
        layer=layer,
        layer_kind=layer_kind,
        buffer_m=buffer_m,
        crs=crs,
        skip_invalid=skip_invalid,
        actor=caller.name,
    )


@router.get("/coverage/burial", responses=CSV_OR_JSON)
def burial(conn: Db, unit: UnitParam = service.CITY_CODE, as_of: AsOf = None, format: Format = "json") -> Any:
    """Every township-level unit with or without an operating public-welfare cemetery (CSV: the township rows)."""
    return _answer(coverage.burial(conn, unit=unit, as_of=as_of), "townships", format)


Minutes = Annotated[float, Query(description="the circle's walking time in minutes (default 15)")]
Speed = Annotated[float, Query(description="walking speed in km/h (default 4: 15 minutes = 1,000 m)")]
WalkM = Annotated[float | None, Query(description="the walking distance in metres, instead of minutes x speed")]


def _walk(minutes: float, speed_kmh: float, walk_m: float | None) -> float:
    """The circle's radius: ``walk_m`` when given, else the distance walked in ``minutes`` at ``speed_kmh``."""
    return walk_m if walk_m is not None else coverage.walk_distance_m(minutes, speed_kmh)


def _walked(result: dict[str, Any], minutes: float, speed_kmh: float, walk_m: float | None) -> dict[str, Any]:
    """The result with the walking assumption it used."""
    pace = {"minutes": None, "speed_kmh": None} if walk_m is not None else {"minutes": minutes, "speed_kmh": speed_kmh}
    return {**result, "walk": {**pace, "walk_m": result["walk_m"]}}


@router.get("/coverage/eldercare", responses=CSV_OR_JSON)
def eldercare(
    conn: Db,
    unit: UnitParam = service.CITY_CODE,
    level: Annotated[str, Query(description="township, county or city")] = "township",
    minutes: Minutes = coverage.WALK_MINUTES,
    speed_kmh: Speed = coverage.WALK_SPEED_KMH,
    walk_m: WalkM = None,
    year: Annotated[int | None, Query(description="latest population figure not after this year")] = None,
    method: Annotated[
        str, Query(description="auto (network when a road layer exists), straight_line, network")
    ] = "auto",
    as_of: AsOf = None,
    format: Format = "json",
) -> Any:
    """The 15-minute eldercare circle: share of communities and villages near a site (CSV: the area rows)."""
    distance = _walk(minutes, speed_kmh, walk_m)
    result = coverage.eldercare_circle(
        conn, unit=unit, level=level, walk_m=distance, year=year, method=method, as_of=as_of
    )
    return _answer(_walked(result, minutes, speed_kmh, walk_m), "areas", format)


@router.get("/coverage/eldercare/uncovered", responses=CSV_OR_JSON)
def eldercare_uncovered(
    conn: Db,
    unit: UnitParam = service.CITY_CODE,
    minutes: Minutes = coverage.WALK_MINUTES,
    speed_kmh: Speed = coverage.WALK_SPEED_KMH,
    walk_m: WalkM = None,
    method: Annotated[str, Query(description="auto, straight_line or network")] = "auto",
    as_of: AsOf = None,
    format: Format = "json",
) -> Any:
    """The communities and villages outside the circle, with the distance to the nearest site."""
    distance = _walk(minutes, speed_kmh, walk_m)
    result = coverage.eldercare_circle(conn, unit=unit, walk_m=distance, method=method, as_of=as_of)
    return _answer(_walked(result, minutes, speed_kmh, walk_m), "uncovered", format)


@router.get("/coverage/beds", responses=CSV_OR_JSON)
def beds(
    conn: Db,
    settings: AppSettings,
    target: Annotated[
        float | None,
        Query(description="beds per 1,000 residents aged 60+; the setting GAZ_BED_TARGET_PER_1000 when omitted"),
    ] = None,
    year: int | None = None,
    unit: UnitParam = service.CITY_CODE,
    as_of: AsOf = None,
    format: Format = "json",
) -> Any:
    """Eldercare beds per 1,000 residents aged 60+, per banner, against a target."""
    result = coverage.beds(conn, settings=settings.coverage, target=target, year=year, unit=unit, as_of=as_of)
    return _answer(result, "banners", format)


@router.get("/coverage/prohibited-zones", responses=CSV_OR_JSON)
def prohibited_zones(
    conn: Db,
    widths: Annotated[str | None, Query(description="override buffer widths, e.g. road:200,river:500")] = None,
    as_of: AsOf = None,
    format: Format = "json",
) -> Any:
    """Cemeteries and individual graves (kind grave) inside the buffers of the prohibited-zone layers (三沿七区)."""
    result = coverage.prohibited_zones(conn, widths=coverage.parse_widths(widths), as_of=as_of)
    return _answer(result, "hits", format)


@router.get(
    "/reports/facilities",
    tags=["reports"],
    responses={200: {"content": {"application/json": {}, "text/csv": {}, "text/html": {}, "application/pdf": {}}}},
)
def facilities_report(
    conn: Db,
    settings: AppSettings,
    as_of: Annotated[
        IsoDate | None,
        Query(description="count the facilities open on this day with that day's dated version (YYYY-MM-DD); today"),
    ] = None,
    unit: Annotated[str, Query(description="NBS code of the city or a banner")] = service.CITY_CODE,
    walk_m: Annotated[
        float, Query(description="walking distance of the community-site circle in metres")
    ] = coverage.DEFAULT_WALK_M,
    format: Annotated[
        Literal["json", "csv", "html", "pdf"],
        Query(description="json, csv (UTF-8 with BOM, one row per area and figure), html (A4 page in Chinese), pdf"),
    ] = "json",
) -> Any:
    """The year-end figures (民政设施年度数据) computed from the registry, city-wide and per banner, each with its
    definition, against the office's reported figures (the setting GAZ_REPORTED_FIGURES) of the same day and area."""
    reported = facility_report.load_reported(settings.coverage.reported_figures)
    result = facility_report.facility_report(conn, as_of=as_of, unit=unit, walk_m=walk_m, reported=reported)
    if format == "csv":
        return Response(facility_report.report_csv(result), media_type="text/csv; charset=utf-8")
    if format == "html":
        return HTMLResponse(report_html(result))
    if format == "pdf":
        return Response(
            html_to_pdf(report_html(result), what="the facility report"),
            media_type="application/pdf",
            headers={"Content-Disposition": f'inline; filename="facilities-{result["as_of"]}.pdf"'},
        )
    return result
