"""HTTP routes of place-name lookup, search and romanization (thin: parse, call the service)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import Depends, Path, Query, Request, Response
from fastapi.responses import RedirectResponse
from pydantic import BaseModel, ConfigDict, Field, StrictStr, with_config
from shapely.geometry.base import BaseGeometry
from sqlalchemy.engine import Connection
from typing_extensions import TypedDict

from core.auth import Principal
from core.conditional import fresh_for
from core.error_pages import prefers_html
from core.errors import InvalidInput
from core.values import Coordinate, GeoPoint, IsoDate
from core.web import Db, Router, json_answer, require_role
from gazetteer.places import editing, service
from gazetteer.places import export as place_export
from gazetteer.places import files_api as place_api
from gazetteer.places import geometry as place_geometry
from gazetteer.points import service as reference_points
from gazetteer.review import service as review
from gazetteer.search import service as name_search

router = Router(prefix="/api/v1", tags=["lookup"])
ExportFormat = Annotated[
    Literal["json", "csv", "geojson", "gpkg"], Query(description="json, csv (UTF-8 BOM), geojson or gpkg (GeoPackage)")
]
EXPORT_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "content": {
            "application/json": {},
            "application/geo+json": {},
            "text/csv": {},
            "application/geopackage+sqlite3": {"schema": {"type": "string", "format": "binary"}},
        }
    }
}
router.include_router(place_api.router)  # the registry's files (import, exchange), ahead of /places/{id}
# Read routes answering from the units and the place names: ETag from their data versions (core.conditional).
FRESH = [Depends(fresh_for("boundaries", "gazetteer"))]


@router.get("/reverse", response_model=dict[str, Any], dependencies=FRESH)
def reverse(
    conn: Db,
    lon: Annotated[float, Query(description="longitude, or easting for EPSG:4545/4546")],
    lat: Annotated[float, Query(description="latitude, or northing for EPSG:4545/4546")],
    crs: Annotated[str, Query(description="EPSG:4490, EPSG:4326, EPSG:4545, EPSG:4546, GCJ-02 or BD-09")] = "EPSG:4326",
    as_of: Annotated[IsoDate | None, Query(description="date to answer for (YYYY-MM-DD); today when omitted")] = None,
) -> Response:
    """The unit path at a point: containing polygons down to the deepest level, then the nearest unit points."""
    return json_answer(reference_points.reverse(conn, GeoPoint.from_input(lon, lat, crs), as_of=as_of))


@router.get("/romanize")
def romanize(
    text: Annotated[str, Query(description="a place name in Hanzi, e.g. 东胜区")],
    village: Annotated[bool, Query(description="the name of a village: one word (1984 rules, rule 3)")] = False,
    unit: Annotated[
        str | None,
        Query(description="NBS code (2, 4, 6, 9 or 12 digits) of the unit the name lies in: readings by place"),
    ] = None,
) -> dict[str, Any]:
    """Plain and toned romanization (GB/T 16159-2012 place-name rules), specific/generic split, deciding rules;
    with ``unit``, a reading that data/place_readings.csv binds to another unit is not used (1984 rule 8)."""
    return service.romanize_text(text, village=village, unit=unit)


@router.get(
    "/places/search",
    response_model=None,
    responses=EXPORT_RESPONSES,
    dependencies=FRESH,
)
def search_places(
    conn: Db,
    q: Annotated[str, Query(description="Hanzi (simplified or traditional), pinyin, initials or official form")],
    limit: Annotated[int, Query(ge=1, le=100)] = 10,
    offset: Annotated[int, Query(ge=0, le=1000)] = 0,
    unit: Annotated[str | None, Query(description="only places in this unit (NBS code, 2–12 digits)")] = None,
    category: Annotated[str | None, Query(description="GB/T 18521 category code, e.g. 32")] = None,
    status: Annotated[str | None, Query(description="standard, alias, historic, retired or proposed")] = None,
    as_of: Annotated[IsoDate | None, Query(description="only names valid on this date (YYYY-MM-DD)")] = None,
    format: ExportFormat = "json",
) -> dict[str, Any] | Response:
    """Ranked place names: exact, then generic dropped, written-in prefix, prefix, one-character typo."""
    found = name_search.search_places(
        conn, q, limit=limit, offset=offset, unit=unit, category=category, status=status, as_of=as_of
    )
    if format == "json":
        return json_answer(found)  # serialised once (the hot path)
    return _formatted(conn, found, format, "search")


def _formatted(conn: Connection, found: dict[str, Any], format: str, stem: str) -> dict[str, Any] | Response:
    """The answer as JSON, or as a CSV (UTF-8 with BOM), GeoJSON or GeoPackage export of its results."""
    if format == "json":
        return found
    exported = place_export.export_hits(conn, found["results"], format, stem)
    inline = format == "geojson"
    headers = {} if inline else {"Content-Disposition": f'attachment; filename="{exported.filename}"'}
    return Response(exported.content, media_type=exported.media_type, headers=headers)


@router.get(
    "/lists/{tag}",
    response_model=None,
    responses=EXPORT_RESPONSES,
)
def list_by_tag(
    conn: Db,
    tag: Annotated[str, Path(description="a tag, e.g. 红色地名")],
    unit: Annotated[str | None, Query(description="only places in this unit (NBS code)")] = None,
    status: str | None = None,
    limit: Annotated[int, Query(ge=1, le=10000)] = 1000,
    format: ExportFormat = "json",
) -> dict[str, Any] | Response:
    """A thematic list of place names by tag."""
    return _formatted(conn, service.list_by_tag(conn, tag, unit=unit, status=status, limit=limit), format, "list")


@router.get("/places/autocomplete", response_model=dict[str, Any], dependencies=FRESH)
def autocomplete(
    conn: Db,
    q: Annotated[str, Query(description="the beginning of a name or its pinyin")],
    limit: Annotated[int, Query(ge=1, le=20)] = 10,
    unit: str | None = None,
) -> Response:
    """Prefix matches for a search box."""
    return json_answer(name_search.search_places(conn, q, limit=limit, unit=unit, autocomplete=True))


@router.get("/places/nearby")
def nearby(
    conn: Db,
    lon: float,
    lat: float,
    crs: Annotated[str, Query(description="EPSG:4490, EPSG:4326, EPSG:4545, EPSG:4546, GCJ-02 or BD-09")] = "EPSG:4326",
    radius_m: Annotated[float, Query(description="search radius in metres (1–50,000)")] = 1000,
    category: str | None = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> list[dict[str, Any]]:
    """Current place names near a point, nearest first."""
    point = GeoPoint.from_input(lon, lat, crs)
    return name_search.nearby_places(conn, point, radius_m=radius_m, category=category, limit=limit)


@router.get(
    "/places/{place_name_id}",
    responses={303: {"description": "a browser asking for HTML is sent to the record's page /maps/places/{id}"}},
)
def get_place(
    conn: Db,
    request: Request,
    place_name_id: Annotated[int, Path(ge=1, le=2**63 - 1)],
    as_of: Annotated[IsoDate | None, Query(description="date of the unit path (YYYY-MM-DD)")] = None,
) -> Any:
    """The whole record of a place name, the other names of its place and its events (JSON); a browser that asks
    for HTML first is sent to the record's page with its small map."""
    record = service.get_place(conn, place_name_id, as_of=as_of)
    if prefers_html(request.headers.get("accept", "")):
        return RedirectResponse(f"/maps/places/{place_name_id}", status_code=303)
    return record


class ReviewRequest(BaseModel):
    """A proposed name to review."""

    name: str = Field(description="the proposed name in Chinese characters", max_length=200)
    category: str = Field(description="GB/T 18521 category code, e.g. 32 for a village")
    unit: str = Field(description="NBS code of the unit it lies in (2–12 digits)")
    lon: Coordinate | None = None
    lat: Coordinate | None = None
    crs: str = "EPSG:4326"
    review_date: IsoDate | None = Field(
        default=None, description="date of the review (YYYY-MM-DD): 'recently retired' counts back from it; today"
    )


@router.post("/naming/review")
def naming_review(
    conn: Db, body: ReviewRequest, caller: Annotated[Principal, Depends(require_role("editor", "approver"))]
) -> dict[str, Any]:
    """Findings on a proposed name (重名, 同音, recently retired, generic vs category, forbidden patterns,
    near-identical nearby) with a memo text; changes nothing."""
    point = None
    if body.lon is not None or body.lat is not None:
        if body.lon is None or body.lat is None:
            raise InvalidInput("give both lon and lat, or neither")
        point = GeoPoint.from_input(body.lon, body.lat, body.crs)
    return review.review_name(
        conn, name=body.name, category=body.category, unit=body.unit, point=point, review_date=body.review_date
    )


class PointIn(BaseModel):
    """A point east first in a named CRS (coordinates are JSON numbers)."""

    lon: Coordinate
    lat: Coordinate
    crs: str = "EPSG:4326"


class GeometryIn(BaseModel):
    """A GeoJSON geometry east first in a named CRS (rings closed, at most 20,000 vertices)."""

    type: Literal["Point", "LineString", "Polygon", "MultiPoint", "MultiLineString", "MultiPolygon"]
    coordinates: list[Any]
    crs: str = "EPSG:4326"


class ProposalIn(BaseModel):
    """A new name proposal."""

    name: str = Field(max_length=200)
    category: str
    unit: str
    point: PointIn | None = None
    geometry: GeometryIn | None = Field(default=None, description="a line or polygon (or point) instead of point")
    meaning: str | None = None
    origin: str | None = None
    history: str | None = None
    tags: list[str] = Field(default_factory=list)
    secrecy: str = "public"


@with_config(ConfigDict(extra="forbid"))
class PlaceChanges(TypedDict, total=False):
    """The descriptive fields to change, only those given (the name changes through rename); text is JSON strings,
    ``null`` clears a text."""

    category: StrictStr
    meaning: StrictStr | None
    origin: StrictStr | None
    history: StrictStr | None
    tags: list[StrictStr]
    secrecy: StrictStr
    approving_body: StrictStr | None
    document_number: StrictStr | None
    approval_date: IsoDate | None


class UpdateIn(BaseModel):
    """Descriptive fields to change at a known version."""

    version: int
    changes: PlaceChanges = Field(default_factory=lambda: PlaceChanges())
    point: PointIn | None = None
    geometry: GeometryIn | None = Field(default=None, description="a new line or polygon (or point) instead of point")


class DecisionIn(BaseModel):
    """The approval behind an approval, rename or retirement."""

    version: int
    approving_body: str | None = None
    document_number: str | None = None
    approval_date: IsoDate | None = None
    effective_date: IsoDate | None = None


class RenameIn(DecisionIn):
    """A rename: the new name and its approval."""

    new_name: str = Field(max_length=200)


def _point(point: PointIn | None) -> GeoPoint | None:
    return None if point is None else GeoPoint.from_input(point.lon, point.lat, point.crs)


def _geometry(geometry: GeometryIn | None) -> BaseGeometry | None:
    return None if geometry is None else place_geometry.from_geojson(geometry.model_dump(exclude={"crs"}), geometry.crs)


Editor = Annotated[Principal, Depends(require_role("editor", "approver"))]


@router.post("/places", status_code=201)
def propose_place(conn: Db, body: ProposalIn, caller: Editor) -> dict[str, Any]:
    """A new name proposal (status proposed) for an approver."""
    return editing.propose_place(
        conn,
        name=body.name,
        category=body.category,
        unit=body.unit,
        point=_point(body.point),
        geometry=_geometry(body.geometry),
        meaning=body.meaning,
        origin=body.origin,
        history_text=body.history,
        tags=body.tags,
        secrecy=body.secrecy,
        actor=caller.name,
    )


@router.patch(
    "/places/{place_name_id}",
    responses={202: {"description": "a lowering of the secrecy: the pending proposal (the record is unchanged)"}},
)
def update_place(
    conn: Db,
    place_name_id: Annotated[int, Path(ge=1, le=2**63 - 1)],
    body: UpdateIn,
    caller: Editor,
    response: Response,
) -> dict[str, Any]:
    """Change descriptive fields at ``version`` (a stale version answers 409 and changes nothing). Lowering the
    secrecy is not written: it answers 202 with a pending proposal an approver must approve, and must come alone
    (with other changes: 422, nothing written); raising it is immediate."""
    update = editing.update_place(
        conn,
        place_name_id,
        version=body.version,
        changes=dict(body.changes),
        point=_point(body.point),
        geometry=_geometry(body.geometry),
        actor=caller.name,
    )
    if not update.applied:
        response.status_code = 202
    return update.answer


Approver = Annotated[Principal, Depends(require_role("approver"))]
ProposalId = Annotated[int, Path(ge=1, le=2**63 - 1)]
ProposalStatus = Annotated[
    Literal["pending", "approved", "rejected"] | None, Query(description="only proposals of this status")
]


# Proposals to lower secrecy live beside the registry, not under /places: they need a key, and every GET under
# /places is a public route (tests/gazetteer/test_place_names.py walks them for leaked locations).
@router.get("/secrecy-proposals")
def secrecy_proposals(
    conn: Db,
    caller: Editor,
    place: Annotated[int | None, Query(ge=1, le=2**63 - 1, description="only the proposals of this record")] = None,
    status: ProposalStatus = None,
) -> list[dict[str, Any]]:
    """Proposals to lower the secrecy of place names, newest first: record, levels, who proposed and who decided,
    when (``status=pending``: what awaits an approver)."""
    return editing.secrecy_proposals(conn, place, status=status)


@router.post("/secrecy-proposals/{proposal_id}/approve")
def approve_secrecy(conn: Db, proposal_id: ProposalId, caller: Approver) -> dict[str, Any]:
    """An approver other than the proposer lowers the record's secrecy as proposed (the proposer: 403; the record
    changed since the proposal: 409)."""
    return editing.decide_secrecy_proposal(conn, proposal_id, approve=True, actor=caller.name)


@router.post("/secrecy-proposals/{proposal_id}/reject")
def reject_secrecy(conn: Db, proposal_id: ProposalId, caller: Approver) -> dict[str, Any]:
    """An approver other than the proposer rejects the proposal; the record keeps its secrecy."""
    return editing.decide_secrecy_proposal(conn, proposal_id, approve=False, actor=caller.name)


@router.post("/places/{place_name_id}/approve")
def approve_place(
    conn: Db,
    place_name_id: Annotated[int, Path(ge=1, le=2**63 - 1)],
    body: DecisionIn,
    caller: Annotated[Principal, Depends(require_role("approver"))],
) -> dict[str, Any]:
    """An approver makes a proposal the standard name (命名)."""
    return editing.approve_place(conn, place_name_id, actor=caller.name, **body.model_dump())


@router.post("/places/{place_name_id}/rename")
def rename_place(
    conn: Db, place_name_id: Annotated[int, Path(ge=1, le=2**63 - 1)], body: RenameIn, caller: Editor
) -> dict[str, Any]:
    """更名 from the effective date; the old name stays, historic."""
    return editing.rename_place(conn, place_name_id, actor=caller.name, **body.model_dump())


@router.post("/places/{place_name_id}/retire")
def retire_place(
    conn: Db, place_name_id: Annotated[int, Path(ge=1, le=2**63 - 1)], body: DecisionIn, caller: Editor
) -> dict[str, Any]:
    """销名 from the effective date."""
    return editing.retire_place(conn, place_name_id, actor=caller.name, **body.model_dump())
