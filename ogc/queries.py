"""SQL of the OGC API: the contexts' published SELECTs wrapped as subqueries (no table is read here directly).

Column and property names come from checked collection descriptors (identifiers only); values are bound.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from functools import lru_cache
from typing import Any

from sqlalchemy import TextClause, text
from sqlalchemy.engine import Connection, RowMapping

from ogc.collections import Collection
from ogc.crs import OgcCrs

MVT_EXTENT = 4096
MVT_BUFFER = 64


@lru_cache(maxsize=1024)
def _statement(sql: str) -> TextClause:
    """The statement of ``sql``, made once: the SQL of a request differs only in its bound values, and parsing
    the text for its parameters is not free on the hot path (SQLAlchemy then finds its compiled form cached)."""
    return text(sql)


def geometry_in_storage(parameter: str, crs: OgcCrs) -> str:
    """SQL of a WKT literal (bound as ``parameter``, east-first in ``crs``) as a geometry in EPSG:4490."""
    if crs.same_as_storage:
        return f"ST_GeomFromText(:{parameter}, 4490)"
    return f"ST_Transform(ST_Segmentize(ST_GeomFromText(:{parameter}, {crs.srid}), 1000), 4490)"


def geometry_out(crs: OgcCrs, *, axis_order: bool, alias: str = "t") -> str:
    """SQL of the feature geometry in ``crs``, in the CRS's axis order when ``axis_order`` (GeoJSON of Part 2)."""
    geom = f"{alias}.geom" if crs.same_as_storage else f"ST_Transform({alias}.geom, {crs.srid})"
    return f"ST_FlipCoordinates({geom})" if axis_order and crs.north_first else geom


def _from(collection: Collection) -> str:
    return f"({collection.sql}) t"


def _where(conditions: Sequence[str]) -> str:
    return " WHERE " + " AND ".join(conditions) if conditions else ""


def _page_from(collection: Collection, conditions: Sequence[str], offset: int) -> str:
    """FROM of a page ordered by id, as the subquery ``t``: the page is cut first (ORDER BY id LIMIT/OFFSET over
    the rows the indexes give in id order), so that the caller builds its features (GeoJSON, WKB) for the page's
    rows only, never for the rows an offset skips. A collection published in parts gives each part's first
    ``offset + limit`` matches (its indexes find them), and the page is cut from their union. A collection in one
    piece past its first page cuts the page from the matches' ids alone and then reads those rows: the columns its
    SELECT computes (a unit's name looked up for each polygon) are computed for the page, not for every row the
    offset skips (2,000 name lookups at offset 2,000 before)."""
    if not collection.parts:
        matches = f"{_from(collection)}{_where(conditions)}"
        if offset == 0:
            return f"(SELECT t.* FROM {matches} ORDER BY t.id LIMIT :ogc_limit) t"
        page_ids = f"SELECT t.id FROM {matches} ORDER BY t.id LIMIT :ogc_limit OFFSET :ogc_offset"
        return f"(SELECT t.* FROM {_from(collection)}{_where([*conditions, f't.id IN ({page_ids})'])}) t"
    firsts = " UNION ALL ".join(
        f"(SELECT * FROM ({part}) t{_where(conditions)} ORDER BY t.id LIMIT :ogc_limit + :ogc_offset)"
        for part in collection.parts
    )
    return f"(SELECT t.* FROM ({firsts}) t ORDER BY t.id LIMIT :ogc_limit OFFSET :ogc_offset) t"


def _properties_json(collection: Collection) -> str:
    pairs = ", ".join(f"'{name}', t.\"{name}\"" for name in collection.properties)
    return f"json_build_object({pairs})"


def feature_json(
    conn: Connection,
    collection: Collection,
    conditions: Sequence[str],
    params: Mapping[str, Any],
    crs: OgcCrs,
    *,
    limit: int,
    offset: int,
) -> list[str]:
    """The matching features as GeoJSON Feature texts, ordered by id."""
    digits = 8 if crs.geographic else 3
    sql = (
        f"SELECT json_build_object('type', 'Feature', 'id', t.id,"
        f" 'geometry', ST_AsGeoJSON({geometry_out(crs, axis_order=True)}, {digits}, 0)::json,"
        f" 'properties', {_properties_json(collection)})::text"
        f" FROM {_page_from(collection, conditions, offset)} ORDER BY t.id"
    )
    bound = {**collection.params, **params, "ogc_limit": limit, "ogc_offset": offset}
    return list(conn.execute(_statement(sql), bound).scalars())


def count(
    conn: Connection, collection: Collection, conditions: Sequence[str], params: Mapping[str, Any], *, cap: int
) -> int:
    """Number of features matching the conditions, counting no further than ``cap`` (``cap`` means "at least")."""
    sql = f"SELECT count(*) FROM (SELECT 1 FROM {_from(collection)}{_where(conditions)} LIMIT :ogc_cap) c"
    return int(conn.execute(_statement(sql), {**collection.params, **params, "ogc_cap": cap}).scalar_one())


def feature_rows(
    conn: Connection,
    collection: Collection,
    conditions: Sequence[str],
    params: Mapping[str, Any],
    crs: OgcCrs,
    *,
    limit: int,
    offset: int,
) -> Iterator[RowMapping]:
    """The matching features as rows: id, wkb (east-first in ``crs``) and the properties, ordered by id."""
    columns = ", ".join(f't."{name}"' for name in collection.properties)
    sql = (
        f"SELECT t.id, ST_AsBinary({geometry_out(crs, axis_order=False)}) AS wkb, {columns}"
        f" FROM {_page_from(collection, conditions, offset)} ORDER BY t.id"
    )
    bound = {**collection.params, **params, "ogc_limit": limit, "ogc_offset": offset}
    yield from conn.execute(_statement(sql), bound).mappings()


def extent(conn: Connection, collection: Collection) -> RowMapping:
    """The collection's bounding box in EPSG:4490 (NULLs when it has no geometry) and its validity span."""
    temporal = (
        "min(t.valid_from) AS first_day, CASE WHEN bool_or(t.valid_to IS NULL) THEN NULL ELSE max(t.valid_to) END"
        " AS last_day"
        if collection.temporal
        else "NULL::date AS first_day, NULL::date AS last_day"
    )
    sql = (
        f"SELECT ST_XMin(e) AS xmin, ST_YMin(e) AS ymin, ST_XMax(e) AS xmax, ST_YMax(e) AS ymax, first_day, last_day"
        f" FROM (SELECT ST_Extent(t.geom) AS e, {temporal} FROM {_from(collection)}) s"
    )
    return conn.execute(_statement(sql), dict(collection.params)).mappings().one()


def tile(
    conn: Connection,
    collection: Collection,
    conditions: Sequence[str],
    params: Mapping[str, Any],
    *,
    z: int,
    x: int,
    y: int,
    tolerance_deg: float,
) -> bytes:
    """One Mapbox vector tile (WebMercatorQuad z/x/y) of the collection, one layer named after it."""
    columns = ", ".join(f't."{name}"' for name in collection.properties)
    feature_id = ", 'id'" if collection.id_type == "integer" else ""
    envelope = "ST_TileEnvelope(:ogc_z, :ogc_x, :ogc_y)"
    sql = (
        f"WITH bounds AS (SELECT {envelope} AS web, ST_Transform({envelope}, 4490) AS storage)"
        f" SELECT ST_AsMVT(q, :ogc_layer, {MVT_EXTENT}, 'mvt_geom'{feature_id}) FROM ("
        f" SELECT t.id, {columns}, ST_AsMVTGeom(ST_Transform(ST_Simplify(t.geom, :ogc_tolerance, true),"
        f" 3857), bounds.web, {MVT_EXTENT}, {MVT_BUFFER}, true) AS mvt_geom"
        f" FROM {_from(collection)}, bounds"
        f" WHERE {' AND '.join(['t.geom && bounds.storage', *conditions])}) q WHERE q.mvt_geom IS NOT NULL"
    )
    bound = {
        **collection.params,
        **params,
        "ogc_z": z,
        "ogc_x": x,
        "ogc_y": y,
        "ogc_layer": collection.id,
        "ogc_tolerance": tolerance_deg,
    }
    return bytes(conn.execute(_statement(sql), bound).scalar_one() or b"")
