"""The map viewer under /maps/: an index, the map pages and the assets they need (all served here).

A map page's Content-Security-Policy (core.security_headers) allows one foreign origin: its basemap's tiles."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import Path, Query, Request
from fastapi.responses import FileResponse, HTMLResponse, Response

from core.security_headers import CSP, page_policy
from core.values import IsoDate
from core.web import Db, Router, app_settings
from facilities import service as coverage
from maps import coverage as coverage_maps
from maps import service
from maps.assets import asset_path
from maps.builders import TILE_ORIGINS
from maps.export import DrawnMap, drawn_csv
from maps.viewer import place_page, viewer_page

router = Router(prefix="/maps", tags=["maps"])
Basemap = Annotated[
    Literal["none", "osm", "tianditu", "amap"],
    Query(
        description="none (offline, default), osm, tianditu (needs GAZ_TIANDITU_KEY) or amap (data shifted to GCJ-02)"
    ),
]


def _key(request: Request) -> str:
    """The Tianditu key of the app's settings (empty when none is configured)."""
    return app_settings(request).maps.tianditu_key


@router.get("/", response_class=HTMLResponse)
def viewer(
    conn: Db,
    request: Request,
    basemap: Basemap = "none",
    as_of: Annotated[IsoDate | None, Query(description="draw units, names and polygons as on this date")] = None,
) -> HTMLResponse:
    """The map viewer: every layer in one switcher, a search box, click-to-identify, basemap and date controls;
    the view (centre, zoom, layers) is kept in the URL's fragment."""
    settings = app_settings(request)
    page = viewer_page(
        conn,
        basemap=basemap,
        tianditu_key=_key(request),
        as_of=as_of,
        settings=settings.coverage,
        compliance_note=settings.maps.compliance_note,
        approval_number=settings.maps.map_approval_number,
    )
    return _map_page(page, basemap)


MAX_ID = 2**63 - 1


def _map_page(page: str, basemap: str) -> HTMLResponse:
    """A map page whose policy lets in the images of its basemap's tile server, and nothing else from outside."""
    return HTMLResponse(page, headers={CSP: page_policy({"img": TILE_ORIGINS[basemap]})})


@router.get("/boundaries", response_class=HTMLResponse)
def boundaries_map(
    conn: Db,
    request: Request,
    basemap: Basemap = "none",
    check: Annotated[int | None, Query(ge=1, le=MAX_ID, description="id of a stored topology check")] = None,
    comparison: Annotated[int | None, Query(ge=1, le=MAX_ID, description="id of a stored comparison")] = None,
) -> HTMLResponse:
    """Banner polygons by source with Chinese labels, the city outline, township and village points; the
    findings of a topology check (``check``) or the disputed pieces of a comparison (``comparison``)."""
    page = service.boundaries_map(
        conn,
        basemap=basemap,
        tianditu_key=_key(request),
        check_id=check,
        comparison_id=comparison,
        compliance_note=app_settings(request).maps.compliance_note,
    )
    return _map_page(page, basemap)


@router.get("/places", response_class=HTMLResponse)
def places_map(conn: Db, request: Request, basemap: Basemap = "none") -> HTMLResponse:
    """Standard place names with a location, clustered by GB/T 18521 category, with popups and record links."""
    return _map_page(service.places_map(conn, basemap=basemap, tianditu_key=_key(request)), basemap)


@router.get("/places/{place_name_id}", response_class=HTMLResponse)
def place(
    conn: Db,
    request: Request,
    place_name_id: Annotated[int, Path(ge=1, le=MAX_ID)],
    basemap: Basemap = "none",
) -> HTMLResponse:
    """The page of one place name: its record, other names and events, the place and its unit on the map."""
    page = place_page(
        conn,
        place_name_id,
        basemap=basemap,
        tianditu_key=_key(request),
        compliance_note=app_settings(request).maps.compliance_note,
    )
    return _map_page(page, basemap)


@router.get("/coverage", response_class=HTMLResponse)
def coverage_map(
    conn: Db,
    request: Request,
    basemap: Basemap = "none",
    walk_m: Annotated[float, Query(description="walking distance of the circles")] = coverage.DEFAULT_WALK_M,
    bed_target: Annotated[
        float | None, Query(description="beds per 1,000 aged 60+ (default: the setting GAZ_BED_TARGET_PER_1000)")
    ] = None,
    widths: Annotated[str | None, Query(description="prohibited-zone buffer widths, e.g. road:200,river:500")] = None,
    as_of: Annotated[
        IsoDate | None,
        Query(description="the facilities open on this day with that day's dated version (YYYY-MM-DD); today"),
    ] = None,
) -> HTMLResponse:
    """Sites and walking circles, covered/uncovered communities, burial gaps, graves, cemeteries and graves
    inside prohibited zones, choropleths per banner: the facilities of one day (the date of the data, noted)."""
    page = coverage_maps.coverage_map(
        conn,
        basemap=basemap,
        tianditu_key=_key(request),
        walk_m=walk_m,
        bed_target=bed_target,
        settings=app_settings(request).coverage,
        widths=coverage.parse_widths(widths),
        as_of=as_of,
    )
    return _map_page(page, basemap)


@router.post(
    "/export.csv",
    response_class=Response,
    responses={200: {"content": {"text/csv": {"schema": {"type": "string"}}}}},
)
def export_csv(drawn: DrawnMap) -> Response:
    """What the viewer drew (the FeatureCollection of its GeoJSON export) as CSV, UTF-8 with BOM: one row per
    feature, its layer and properties, longitude and latitude in CGCS2000 (the AMap shift undone)."""
    day = drawn.as_of.isoformat() if drawn.as_of else "today"
    return Response(
        drawn_csv(drawn).encode("utf-8"),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="ordos-map-{day}.csv"'},
    )


@router.get("/assets/{package}/{name:path}")
def asset(package: str, name: str) -> FileResponse:
    """Leaflet and its plugins, the viewer's script and styles, the API documentation's bundles (maps.assets)."""
    path, media_type = asset_path(package, name)
    return FileResponse(path, media_type=media_type, headers={"Cache-Control": "public, max-age=86400"})
