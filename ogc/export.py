"""Exports of a collection or query: GeoPackage, Shapefile (zip, UTF-8 with .cpg), GeoJSON, CSV with BOM."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import geopandas as gpd
import shapely
from sqlalchemy.engine import Connection

from core.errors import InvalidInput
from core.exports import FORMATS, MEDIA_TYPES, write_frame
from ogc import queries
from ogc.collections import require
from ogc.service import EXPORT_MAX, conditions, parse_items_query


@dataclass(frozen=True)
class Export:
    """A written export: its bytes, media type and file name."""

    content: bytes
    media_type: str
    filename: str
    features: int


def frame(conn: Connection, collection_id: str, parameters: Mapping[str, str]) -> gpd.GeoDataFrame:
    """The features a query matches (all of them unless ``limit`` is given) as a GeoDataFrame in its ``crs``."""
    found = require(conn, collection_id)
    query = parse_items_query(parameters, found)
    if "limit" not in parameters:
        query.limit = EXPORT_MAX
    where, params = conditions(found, query)
    rows = list(queries.feature_rows(conn, found, where, params, query.crs, limit=query.limit, offset=query.offset))
    data = {"id": [r["id"] for r in rows]}
    for name, kind in found.properties.items():
        # Dates as ISO text: a Shapefile has no date-time field and GDAL would otherwise warn and convert.
        data[name] = [r[name].isoformat() if kind == "date" and r[name] else r[name] for r in rows]
    geometry = shapely.from_wkb([r["wkb"] for r in rows]) if rows else []
    crs = "EPSG:4326" if query.crs.short == "OGC:CRS84" else query.crs.short
    return gpd.GeoDataFrame(data, geometry=gpd.GeoSeries(geometry, crs=crs), crs=crs)


def export(conn: Connection, collection_id: str, parameters: Mapping[str, str], fmt: str) -> Export:
    """Write the matching features of a collection in ``fmt`` (one of :data:`FORMATS`)."""
    if fmt not in FORMATS:
        raise InvalidInput(f"export format {fmt!r} is not one of {', '.join(FORMATS)}")
    gdf = frame(conn, collection_id, {k: v for k, v in parameters.items() if k != "f"})
    content = write_frame(gdf, collection_id, fmt)
    suffix = "zip" if fmt == "shp" else fmt
    return Export(content, MEDIA_TYPES[fmt], f"{collection_id}.{suffix}", len(gdf))
