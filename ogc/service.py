"""The OGC API - Features service: documents, item queries, CRS handling, tiles (no web framework here)."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any
from urllib.parse import urlencode

import shapely
from sqlalchemy.engine import Connection

from core.errors import InvalidInput, NotFound
from core.lru import LRU
from ogc import queries
from ogc.collections import Collection, published, require
from ogc.cql2 import SQL_TYPES, GeometryFilter, compile_filter
from ogc.crs import CRS84, STORAGE, SUPPORTED, OgcCrs, check_coordinates, parse_ogc_crs

DEFAULT_LIMIT = 10
MAX_LIMIT = 10_000
MAX_OFFSET = 10**12
EXPORT_MAX = 1_000_000
COUNT_CAP = 10_000  # numberMatched is given up to this many matches (an exact count); beyond, it is left out
COUNTS_KEPT = 1024  # counts of recent queries a worker keeps (Counts), the least recently used dropped first
STANDARD_PARAMETERS = frozenset(
    {"f", "bbox", "bbox-crs", "crs", "limit", "offset", "datetime", "filter", "filter-lang", "filter-crs"}
)
CONFORMANCE = [
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/html",
    "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables-query-parameters",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/filter",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/features-filter",
    "http://www.opengis.net/spec/cql2/1.0/conf/cql2-text",
    "http://www.opengis.net/spec/cql2/1.0/conf/basic-cql2",
    "http://www.opengis.net/spec/cql2/1.0/conf/advanced-comparison-operators",
    "http://www.opengis.net/spec/cql2/1.0/conf/basic-spatial-functions",
    "http://www.opengis.net/spec/cql2/1.0/conf/basic-spatial-functions-plus",
]
GEOJSON = "application/geo+json"
_GEOMETRY_SCHEMA = {
    "polygon": "https://geojson.org/schema/MultiPolygon.json",
    "point": "https://geojson.org/schema/Point.json",
    "line": "https://geojson.org/schema/MultiLineString.json",
    "geometry": "https://geojson.org/schema/Geometry.json",
}


@dataclass
class ItemsQuery:
    """The parameters of an items request, validated."""

    limit: int = DEFAULT_LIMIT
    offset: int = 0
    bbox: tuple[float, float, float, float] | None = None
    bbox_crs: OgcCrs = SUPPORTED[0]
    crs: OgcCrs = SUPPORTED[0]
    datetime: str | None = None
    filter: str | None = None
    filter_crs: OgcCrs = SUPPORTED[0]
    properties: dict[str, str] = field(default_factory=dict)


def link(href: str, rel: str, type_: str, title: str | None = None) -> dict[str, str]:
    """One link object."""
    return {"href": href, "rel": rel, "type": type_, **({"title": title} if title else {})}


# --- documents -------------------------------------------------------------------------------------
def landing(base: str) -> dict[str, Any]:
    """The landing page: the service and its links (``base`` is the URL of /ogc)."""
    root = base.rsplit("/ogc", 1)[0]
    return {
        "title": "Ordos place names, boundaries and facilities — OGC API Features",
        "description": "Administrative units, unit polygons, reference points and place names of Ordos City "
        "(CGCS2000, EPSG:4490), published by the civil-affairs bureau.",
        "links": [
            link(base, "self", "application/json", "this document"),
            link(f"{base}?f=html", "alternate", "text/html", "this document as HTML"),
            link(f"{root}/openapi.json", "service-desc", "application/vnd.oai.openapi+json;version=3.1", "OpenAPI"),
            link(f"{root}/docs", "service-doc", "text/html", "API documentation"),
            link(f"{base}/conformance", "conformance", "application/json", "conformance classes"),
            link(f"{base}/collections", "data", "application/json", "collections"),
        ],
    }


def conformance() -> dict[str, Any]:
    """The conformance classes implemented."""
    return {"conformsTo": CONFORMANCE}


def collection_document(conn: Connection, collection: Collection, base: str) -> dict[str, Any]:
    """The description of one collection: extent (CRS84 and dates), CRSs, links."""
    box = queries.extent(conn, collection)
    spatial = [[box["xmin"], box["ymin"], box["xmax"], box["ymax"]]] if box["xmin"] is not None else None
    href = f"{base}/collections/{collection.id}"
    extent: dict[str, Any] = {}
    if spatial:
        extent["spatial"] = {"bbox": spatial, "crs": CRS84}
    if collection.temporal and box["first_day"] is not None:
        interval = [_iso(box["first_day"]), _iso(box["last_day"])]
        extent["temporal"] = {"interval": [interval], "trs": "http://www.opengis.net/def/uom/ISO-8601/0/Gregorian"}
    return {
        "id": collection.id,
        "title": collection.title,
        "description": collection.description,
        "itemType": "feature",
        "extent": extent,
        "crs": [c.uri for c in SUPPORTED],
        "storageCrs": STORAGE.uri,
        "links": [
            link(href, "self", "application/json", "this collection"),
            link(f"{href}?f=html", "alternate", "text/html", "this collection as HTML"),
            link(f"{href}/items", "items", GEOJSON, "the features"),
            link(f"{href}/items?f=html", "items", "text/html", "the features as HTML"),
            link(f"{href}/queryables", "http://www.opengis.net/def/rel/ogc/1.0/queryables", "application/schema+json"),
            link(f"{href}/items?f=gpkg", "alternate", "application/geopackage+sqlite3", "GeoPackage download"),
            link(f"{href}/items?f=shp", "alternate", "application/zip", "Shapefile download (zip)"),
            link(f"{href}/items?f=csv", "alternate", "text/csv", "CSV download"),
            link(f"{href}/items?f=geojson", "alternate", GEOJSON, "GeoJSON download"),
            link(base.rsplit("/ogc", 1)[0] + f"/tiles/{collection.id}.json", "tiles", "application/json", "TileJSON"),
        ],
    }


def collections_document(conn: Connection, base: str) -> dict[str, Any]:
    """Every published collection."""
    return {
        "links": [
            link(f"{base}/collections", "self", "application/json", "this document"),
            link(f"{base}/collections?f=html", "alternate", "text/html", "this document as HTML"),
        ],
        "collections": [collection_document(conn, c, base) for c in published(conn).values()],
        "crs": [c.uri for c in SUPPORTED],
    }


def collection(conn: Connection, collection_id: str, base: str) -> dict[str, Any]:
    """One collection's description, or NotFound."""
    return collection_document(conn, require(conn, collection_id), base)


def queryables(conn: Connection, collection_id: str, base: str) -> dict[str, Any]:
    """The JSON Schema of the properties a filter may name."""
    found = require(conn, collection_id)
    json_types = {"string": "string", "integer": "integer", "number": "number", "boolean": "boolean"}
    properties: dict[str, Any] = {
        "geom": {
            "title": "geometry",
            "format": f"geometry-{found.geometry_type}",
            "$ref": _GEOMETRY_SCHEMA[found.geometry_type],
        }
    }
    for name, kind in found.properties.items():
        properties[name] = {"type": "string", "format": "date"} if kind == "date" else {"type": json_types[kind]}
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"{base}/collections/{found.id}/queryables",
        "type": "object",
        "title": found.title,
        "properties": properties,
        "additionalProperties": False,
    }


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value else None


# --- parameters -----------------------------------------------------------------------------------
def parse_items_query(parameters: Mapping[str, str], collection: Collection) -> ItemsQuery:
    """Validate the query parameters of an items request (property filters are the declared properties)."""
    unknown = sorted(set(parameters) - STANDARD_PARAMETERS - set(collection.properties))
    if unknown:
        raise InvalidInput(
            f"unknown query parameter(s) {', '.join(unknown)}; besides {', '.join(sorted(STANDARD_PARAMETERS))} "
            f"the properties of {collection.id} may be given: {', '.join(collection.properties)}"
        )
    query = ItemsQuery()
    if "limit" in parameters:
        query.limit = _integer(parameters["limit"], "limit", 1, MAX_LIMIT)
    if "offset" in parameters:
        query.offset = _integer(parameters["offset"], "offset", 0, MAX_OFFSET)
    query.crs = parse_ogc_crs(parameters.get("crs"), "crs")
    query.bbox_crs = parse_ogc_crs(parameters.get("bbox-crs"), "bbox-crs")
    query.filter_crs = parse_ogc_crs(parameters.get("filter-crs"), "filter-crs")
    if "bbox-crs" in parameters and "bbox" not in parameters:
        raise InvalidInput("bbox-crs is given without bbox")
    if "bbox" in parameters:
        query.bbox = parse_bbox(parameters["bbox"], query.bbox_crs)
    if "datetime" in parameters:
        query.datetime = parameters["datetime"]
        parse_datetime(query.datetime)
    lang = parameters.get("filter-lang", "cql2-text")
    if lang != "cql2-text":
        raise InvalidInput(f"filter-lang {lang!r} is not supported; use cql2-text")
    query.filter = parameters.get("filter")
    query.properties = {k: v for k, v in parameters.items() if k in collection.properties}
    return query


def _integer(raw: str, name: str, low: int, high: int | None) -> int:
    try:
        value = int(raw)
    except ValueError:
        raise InvalidInput(f"{name} {raw!r} is not an integer") from None
    if value < low or (high is not None and value > high):
        bound = f"{low}..{high}" if high is not None else f">= {low}"
        raise InvalidInput(f"{name} {value} is out of range ({bound})")
    return value


def parse_bbox(raw: str, crs: OgcCrs) -> tuple[float, float, float, float]:
    """``minx,miny,maxx,maxy`` (or with heights, six numbers) in ``crs``'s axis order -> east-first box."""
    parts = raw.split(",")
    try:
        numbers = [float(p) for p in parts]
    except ValueError:
        raise InvalidInput(f"bbox {raw!r} must be 4 (or 6) comma-separated numbers") from None
    if len(numbers) not in (4, 6) or not all(math.isfinite(n) for n in numbers):
        raise InvalidInput(f"bbox {raw!r} must be 4 (or 6) comma-separated finite numbers")
    if len(numbers) == 6:
        numbers = [numbers[0], numbers[1], numbers[3], numbers[4]]
    a1, b1, a2, b2 = numbers
    x1, y1, x2, y2 = (b1, a1, b2, a2) if crs.north_first else (a1, b1, a2, b2)
    order = "lat,lon" if crs.north_first and crs.geographic else "northing,easting" if crs.north_first else None
    axes = f" (axis order of {crs.short}: {order})" if order else ""
    if x1 > x2 or y1 > y2:
        raise InvalidInput(f"bbox {raw!r}: the lower corner must come first{axes}")
    check_coordinates(crs, (x1, x2), (y1, y2), f"bbox {raw!r}")
    return x1, y1, x2, y2


def parse_datetime(raw: str) -> tuple[date | None, date | None]:
    """An instant or interval (``a/b``, ``../b``, ``a/..``) -> (first day, last day), None for an open end."""
    ends = raw.split("/")
    if len(ends) > 2 or not raw.strip():
        raise InvalidInput(f"datetime {raw!r} must be a date, a date-time or an interval start/end")
    days = [_day(end, raw) for end in ends]
    if len(days) == 1:
        if days[0] is None:
            raise InvalidInput(f"datetime {raw!r}: an instant cannot be open ('..')")
        return days[0], days[0]
    if days[0] and days[1] and days[0] > days[1]:
        raise InvalidInput(f"datetime {raw!r}: the interval ends before it starts")
    return days[0], days[1]


def _day(text_: str, raw: str) -> date | None:
    value = text_.strip()
    if value in ("", ".."):
        return None
    match = re.fullmatch(r"(\d{4}-\d{2}-\d{2})(?:[Tt ]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:[Zz]|[+-]\d{2}:\d{2})?)?", value)
    try:
        if match is None:
            raise ValueError
        return date.fromisoformat(match.group(1))
    except ValueError:
        raise InvalidInput(f"datetime {raw!r}: {value!r} is not an RFC 3339 date or date-time") from None


# --- conditions -----------------------------------------------------------------------------------
def conditions(collection: Collection, query: ItemsQuery) -> tuple[list[str], dict[str, Any]]:
    """SQL conditions and parameters for the bbox, datetime, property filters and CQL2 filter of a query."""
    where: list[str] = []
    params: dict[str, Any] = {}
    if query.bbox is not None:
        params.update(dict(zip(("ogc_x1", "ogc_y1", "ogc_x2", "ogc_y2"), query.bbox, strict=True)))
        envelope = f"ST_MakeEnvelope(:ogc_x1, :ogc_y1, :ogc_x2, :ogc_y2, {query.bbox_crs.srid})"
        if query.bbox_crs.same_as_storage:
            envelope = f"ST_SetSRID({envelope}, 4490)"
        else:
            envelope = f"ST_Transform(ST_Segmentize({envelope}, 1000), 4490)"
        where.append(f"ST_Intersects(t.geom, {envelope})")
    if collection.temporal:
        first, last = parse_datetime(query.datetime) if query.datetime else (date.today(), date.today())
        if last is not None:
            where.append("t.valid_from <= :ogc_last")
            params["ogc_last"] = last
        if first is not None:
            where.append("(t.valid_to IS NULL OR t.valid_to > :ogc_first)")
            params["ogc_first"] = first
    for number, (name, raw) in enumerate(query.properties.items()):
        kind = collection.properties[name]
        key = f"ogc_p{number}"
        params[key] = _typed(raw, kind, name)
        where.append(f't."{name}" = CAST(:{key} AS {SQL_TYPES[kind]})')
    if query.filter is not None:
        crs = query.filter_crs
        geometry = GeometryFilter(
            to_sql=lambda parameter: queries.geometry_in_storage(parameter, crs),
            check=lambda shape: check_coordinates(
                crs, shapely.get_coordinates(shape)[:, 0], shapely.get_coordinates(shape)[:, 1], "filter geometry"
            ),
            north_first=crs.north_first,
        )
        sql, filter_params = compile_filter(query.filter, collection.properties, geometry)
        where.append(sql)
        params.update(filter_params)
    return where, params


def _typed(raw: str, kind: str, name: str) -> Any:
    try:
        if kind == "integer":
            value = int(raw)
            if not -(2**63) <= value < 2**63:
                raise ValueError
            return value
        if kind == "number":
            return float(raw)
        if kind == "date":
            return date.fromisoformat(raw)
        if kind == "boolean":
            return {"true": True, "false": False}[raw.lower()]
    except (ValueError, KeyError):
        raise InvalidInput(f"{name} {raw!r} is not a {kind}") from None
    return raw


# --- items ----------------------------------------------------------------------------------------
Counts = LRU[tuple[str, ...], int]  # numberMatched by data versions and query: one per app (app.state.ogc_counts)


def items(
    conn: Connection,
    collection_id: str,
    parameters: Mapping[str, str],
    url: str,
    data_versions: str,
    counts: Counts,
) -> tuple[str, OgcCrs, dict[str, Any]]:
    """A page of features as a GeoJSON FeatureCollection text, its CRS, and its envelope (for HTML);
    ``data_versions`` are the versions of the data the request reads (core.conditional), under which a count is
    kept in ``counts``."""
    found = require(conn, collection_id)
    query = parse_items_query(parameters, found)
    where, params = conditions(found, query)
    # One feature more than the page tells whether a next page exists without counting.
    features = queries.feature_json(conn, found, where, params, query.crs, limit=query.limit + 1, offset=query.offset)
    more = len(features) > query.limit
    features = features[: query.limit]
    matched = number_matched(conn, found, where, params, query, len(features), more, data_versions, counts)
    envelope: dict[str, Any] = {
        "type": "FeatureCollection",
        **({"numberMatched": matched} if matched is not None else {}),
        "numberReturned": len(features),
        "timeStamp": date.today().isoformat(),
        "links": _page_links(url, parameters, query, more),
    }
    head = ", ".join(f"{_json(k)}: {_json(v)}" for k, v in envelope.items())
    return "{" + head + ', "features": [' + ", ".join(features) + "]}", query.crs, envelope


def number_matched(
    conn: Connection,
    collection: Collection,
    where: list[str],
    params: dict[str, Any],
    query: ItemsQuery,
    returned: int,
    more: bool,
    data_versions: str,
    counts: Counts,
) -> int | None:
    """numberMatched of a page, or None (left out, as OGC API Features allows) when more than COUNT_CAP match.

    The last page gives it for free (offset + returned); otherwise a count that stops at COUNT_CAP rows, so that
    a page of a large collection never pays for counting all of it (a national table: seconds). A count is kept in
    ``counts`` (one per app, so per database) for the same conditions and values under the same data versions
    (every page of one query, the first page asked again and again): any committed write to the data bumps a
    version and so starts afresh."""
    if not more and (returned > 0 or query.offset == 0):
        return query.offset + returned
    key = (data_versions, str(COUNT_CAP), collection.id, *where, repr(params))
    counted = counts.get(key)
    if counted is None:
        counted = queries.count(conn, collection, where, params, cap=COUNT_CAP)
        counts.put(key, counted)
    return counted if counted < COUNT_CAP else None


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def _page_links(url: str, parameters: Mapping[str, str], query: ItemsQuery, more: bool) -> list[dict[str, str]]:
    def page(offset: int | None, fmt: str | None = None) -> str:
        kept = {k: v for k, v in parameters.items() if k not in ("offset", "f")}
        if offset:
            kept["offset"] = str(offset)
        if fmt:
            kept["f"] = fmt
        return url + ("?" + urlencode(kept) if kept else "")

    links = [
        link(page(query.offset), "self", GEOJSON, "this page"),
        link(page(query.offset, "html"), "alternate", "text/html"),
    ]
    if more:
        links.append(link(page(query.offset + query.limit), "next", GEOJSON, "next page"))
    if query.offset > 0:
        links.append(link(page(max(query.offset - query.limit, 0)), "prev", GEOJSON, "previous page"))
    links.append(link(url.rsplit("/items", 1)[0], "collection", "application/json", "the collection"))
    return links


def item(conn: Connection, collection_id: str, feature_id: str, parameters: Mapping[str, str]) -> tuple[str, OgcCrs]:
    """One feature as GeoJSON text in the requested CRS, whatever its validity dates, or NotFound."""
    found = require(conn, collection_id)
    unknown = sorted(set(parameters) - {"f", "crs"})
    if unknown:
        raise InvalidInput(f"unknown query parameter(s) {', '.join(unknown)}; a feature takes f and crs")
    crs = parse_ogc_crs(parameters.get("crs"), "crs")
    key: Any = feature_id
    if found.id_type == "integer":
        if not re.fullmatch(r"-?\d{1,18}", feature_id):
            raise NotFound(f"no feature {feature_id!r} in {collection_id} (feature ids are integers)")
        key = int(feature_id)
    rows = queries.feature_json(conn, found, ["t.id = :ogc_id"], {"ogc_id": key}, crs, limit=1, offset=0)
    if not rows:
        raise NotFound(f"no feature {feature_id!r} in {collection_id}", extra={"feature": feature_id})
    return rows[0], crs


# --- vector tiles ---------------------------------------------------------------------------------
MAX_ZOOM = 22  # the last zoom of every collection's tiles (a collection sets its first: Collection.minzoom)


def tile(conn: Connection, collection_id: str, z: int, x: int, y: int, datetime: str | None = None) -> bytes:
    """A Mapbox vector tile of the features valid at ``datetime`` (today by default), simplified for zoom ``z``."""
    found = require(conn, collection_id)
    if not found.minzoom <= z <= MAX_ZOOM:
        raise InvalidInput(f"zoom {z} is out of range ({found.minzoom}..{MAX_ZOOM} for {found.id}, see its TileJSON)")
    if not (0 <= x < 2**z and 0 <= y < 2**z):
        raise InvalidInput(f"tile {z}/{x}/{y} does not exist (x and y must be in 0..{2**z - 1} at zoom {z})")
    query = ItemsQuery(datetime=datetime)
    where, params = conditions(found, query)
    # About one tile pixel (of 512) in degrees: finer detail disappears in the tile grid anyway.
    tolerance = 360.0 / (2**z) / 512
    return queries.tile(conn, found, where, params, z=z, x=x, y=y, tolerance_deg=tolerance)


def tilejson(conn: Connection, collection_id: str, root: str) -> dict[str, Any]:
    """The TileJSON 3.0 document of a collection's vector tiles."""
    found = require(conn, collection_id)
    box = queries.extent(conn, found)
    bounds = [box["xmin"], box["ymin"], box["xmax"], box["ymax"]] if box["xmin"] is not None else [-180, -85, 180, 85]
    return {
        "tilejson": "3.0.0",
        "name": found.id,
        "description": found.description,
        "scheme": "xyz",
        "tiles": [f"{root}/tiles/{found.id}/{{z}}/{{x}}/{{y}}.mvt"],
        "minzoom": found.minzoom,
        "maxzoom": MAX_ZOOM,
        "bounds": bounds,
        "center": [(bounds[0] + bounds[2]) / 2, (bounds[1] + bounds[3]) / 2, max(6, found.minzoom)],
        "vector_layers": [
            {
                "id": found.id,
                "fields": {name: kind for name, kind in found.properties.items()},
                "minzoom": found.minzoom,
                "maxzoom": MAX_ZOOM,
            }
        ],
    }
