"""Routers of the OGC API - Features (/ogc) and of the vector tiles (/tiles); errors in the OGC exception format."""

from __future__ import annotations

import json
from collections.abc import Callable, Coroutine
from typing import Annotated, Any

from fastapi import Depends, Query, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse

from core.conditional import SCOPE_KEY as ETAG_KEY
from core.conditional import fresh_for
from core.database import translated_db_errors
from core.errors import GazError, InvalidInput, NotFound
from core.lru import LRU
from core.web import VERSIONS, Db, Route, Router
from ogc import export, html, service
from ogc.crs import OgcCrs

OGC_CODES = {InvalidInput: ("InvalidParameterValue", 400), NotFound: ("NotFound", 404)}
JSON_FORMATS = ("json", "html")


def ogc_error(exc: GazError) -> JSONResponse:
    """The OGC exception document ``{"code", "description"}`` for an error of the service."""
    code, status = OGC_CODES.get(type(exc), (exc.code, exc.status_code))
    return JSONResponse({"code": code, "description": exc.detail}, status_code=status)


class OgcRoute(Route):
    """Route answering the service's errors and invalid parameters in the OGC exception format."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def guarded(request: Request) -> Response:
            try:
                with translated_db_errors():  # a driver error (value out of range...) as the service's error
                    return await handler(request)
            except GazError as exc:
                return ogc_error(exc)
            except RequestValidationError as exc:
                problems = "; ".join(
                    f"{'.'.join(str(p) for p in e.get('loc', ())[1:])}: {e.get('msg')} (got {e.get('input')!r})"
                    for e in exc.errors()
                )
                return ogc_error(InvalidInput(problems))

        return guarded


OGC_EXCEPTION: dict[int | str, dict[str, Any]] = {
    "default": {
        "description": "OGC exception: 400 invalid parameter, 404 not found",
        "content": {
            "application/json": {
                "schema": {
                    "type": "object",
                    "required": ["code", "description"],
                    "properties": {"code": {"type": "string"}, "description": {"type": "string"}},
                }
            }
        },
    }
}
router = Router(prefix="/ogc", tags=["OGC API - Features"], route_class=OgcRoute, responses=OGC_EXCEPTION)
tiles_router = Router(prefix="/tiles", tags=["vector tiles"], route_class=OgcRoute, responses=OGC_EXCEPTION)

# Features come from every context's tables: ETag from all their data versions (core.conditional).
FRESH = [Depends(fresh_for("boundaries", "gazetteer", "facilities"))]
Format = Annotated[str | None, Query(description="json (GeoJSON) or html; on items also gpkg, shp, geojson, csv")]


def _base(request: Request) -> str:
    return str(request.base_url).rstrip("/") + "/ogc"


def _wants_html(request: Request, f: str | None, allowed: tuple[str, ...] = JSON_FORMATS) -> bool:
    if f is not None:
        if f not in allowed:
            raise InvalidInput(f"f {f!r} is not one of {', '.join(allowed)}")
        return f == "html"
    accept = request.headers.get("accept", "")
    return "text/html" in accept and "json" not in accept


def _crs_headers(crs: OgcCrs) -> dict[str, str]:
    return {"Content-Crs": f"<{crs.uri}>"}


def _document(document: dict[str, Any], as_html: bool, render: Callable[[dict[str, Any]], str]) -> Response:
    if as_html:
        return HTMLResponse(render(document))
    return JSONResponse(document)


@router.get("", summary="Landing page")
@router.get("/", include_in_schema=False)
def landing(request: Request, f: Format = None) -> Response:
    """The landing page of the OGC API."""
    return _document(service.landing(_base(request)), _wants_html(request, f), html.landing)


@router.get("/conformance", summary="Conformance classes")
def conformance(request: Request, f: Format = None) -> Response:
    """The conformance classes implemented."""
    return _document(service.conformance(), _wants_html(request, f), html.conformance)


@router.get("/collections", summary="Collections")
def collections(request: Request, conn: Db, f: Format = None) -> Response:
    """Every published collection."""
    return _document(service.collections_document(conn, _base(request)), _wants_html(request, f), html.collections)


@router.get("/collections/{collection_id}", summary="One collection")
def collection(request: Request, conn: Db, collection_id: str, f: Format = None) -> Response:
    """One collection with its extent, CRSs and links."""
    return _document(service.collection(conn, collection_id, _base(request)), _wants_html(request, f), html.collection)


@router.get(
    "/collections/{collection_id}/queryables",
    summary="Queryable properties",
    responses={200: {"content": {"application/schema+json": {}}}},  # OGC API - Features Part 3, queryables: JSON Schema
)
def queryables(request: Request, conn: Db, collection_id: str) -> Response:
    """The properties a filter may name (JSON Schema)."""
    document = service.queryables(conn, collection_id, _base(request))
    return JSONResponse(document, media_type="application/schema+json")


def _query(name: str, description: str, schema: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": False, "description": description, "schema": schema or {}}


_TEXT = {"type": "string"}
# The items route's query parameters, documented here rather than declared as the function's: every one of them is
# read from the query string and checked by the service (ogc.service.parse_items_query, 400 in the OGC format), so
# FastAPI need not validate them a second time on the busiest routes (items; a feature takes f and crs).
ITEMS_PARAMETERS = [
    _query("f", "json (GeoJSON) or html; also gpkg, shp, geojson, csv", _TEXT),
    _query("limit", "page size", {"type": "integer", "minimum": 1, "maximum": service.MAX_LIMIT, "default": 10}),
    _query("offset", "features skipped", {"type": "integer", "minimum": 0, "default": 0}),
    _query("bbox", "minx,miny,maxx,maxy in bbox-crs axis order", _TEXT),
    _query("bbox-crs", "CRS of bbox (default CRS84)", _TEXT),
    _query("crs", "CRS of the answer (default CRS84)", _TEXT),
    _query("datetime", "date or interval against the validity (default today)", _TEXT),
    _query("filter", "CQL2 text over the queryables", _TEXT),
    _query("filter-lang", "cql2-text", _TEXT),
    _query("filter-crs", "CRS of filter geometries", _TEXT),
]
FEATURE_PARAMETERS = [_query("f", "json (GeoJSON) or html", _TEXT), ITEMS_PARAMETERS[5]]  # f, crs


@router.get(
    "/collections/{collection_id}/items",
    summary="Features of a collection",
    dependencies=FRESH,
    openapi_extra={"parameters": ITEMS_PARAMETERS},
)
def items(request: Request, conn: Db, collection_id: str) -> Response:
    """Features with bbox, datetime, property (``name=value``) and CQL2 filters, paged; GeoJSON, HTML or a file.

    The documented parameters (ITEMS_PARAMETERS) are read from the query string with the property filters (any
    declared property of the collection) and checked by the service.
    """
    parameters = dict(request.query_params)
    fmt = parameters.get("f")
    if fmt in export.FORMATS:
        written = export.export(conn, collection_id, parameters, fmt)
        disposition = f'attachment; filename="{written.filename}"'
        return Response(written.content, media_type=written.media_type, headers={"Content-Disposition": disposition})
    as_html = _wants_html(request, fmt, (*JSON_FORMATS, *export.FORMATS))
    url = str(request.url).split("?", 1)[0]
    selected = {k: v for k, v in parameters.items() if k != "f"}
    counts: service.Counts = request.app.state.ogc_counts
    body, out_crs, envelope = service.items(conn, collection_id, selected, url, request.scope[VERSIONS], counts)
    if as_html:
        return HTMLResponse(html.items(collection_id, {**envelope, **json.loads(body)}), headers=_crs_headers(out_crs))
    return Response(body, media_type=service.GEOJSON, headers=_crs_headers(out_crs))


@router.get(
    "/collections/{collection_id}/items/{feature_id}",
    summary="One feature",
    dependencies=FRESH,
    openapi_extra={"parameters": FEATURE_PARAMETERS},
)
def feature(request: Request, conn: Db, collection_id: str, feature_id: str) -> Response:
    """One feature, whatever its validity dates (f and crs read from the query string, checked by the service)."""
    parameters = dict(request.query_params)
    as_html = _wants_html(request, parameters.pop("f", None))
    body, out_crs = service.item(conn, collection_id, feature_id, parameters)
    if as_html:
        return HTMLResponse(html.item(collection_id, json.loads(body)), headers=_crs_headers(out_crs))
    url = str(request.url).split("?", 1)[0]
    links = [
        service.link(url, "self", service.GEOJSON),
        service.link(url.rsplit("/items/", 1)[0], "collection", "application/json"),
    ]
    text_ = body[:-1] + ', "links": ' + json.dumps(links) + "}"
    return Response(text_, media_type=service.GEOJSON, headers=_crs_headers(out_crs))


@tiles_router.get("/{collection_id}.json", summary="TileJSON of a collection")
def tilejson(request: Request, conn: Db, collection_id: str) -> Response:
    """TileJSON 3.0 describing the collection's vector tiles."""
    return JSONResponse(service.tilejson(conn, collection_id, str(request.base_url).rstrip("/")))


@tiles_router.get("/{collection_id}/{z}/{x}/{y}.mvt", summary="A vector tile (WebMercatorQuad)", dependencies=FRESH)
def vector_tile(
    request: Request,
    conn: Db,
    collection_id: str,
    z: int,
    x: int,
    y: int,
    datetime: Annotated[str | None, Query(description="date against the validity (default today)")] = None,
) -> Response:
    """A Mapbox vector tile of the features valid today (or at ``datetime``), simplified for the zoom; a tile
    this worker built for the same entity tag is answered from its cache (``app.state.tile_cache``, bounded in bytes
    by GAZ_TILE_CACHE_MB, 0 keeps none). The tag (core.conditional) names all the tile's bytes depend on: the data
    versions, today's date, the request target, its Accept header and the settings; a committed write bumps a data
    version, so a tile of the old data is never served again and just ages out."""
    cache: LRU[str, bytes] = request.app.state.tile_cache
    tag: str = request.scope[ETAG_KEY]
    content = cache.get(tag)
    if content is None:
        content = service.tile(conn, collection_id, z, x, y, datetime)
        cache.put(tag, content)
    return Response(content, media_type="application/vnd.mapbox-vector-tile")
