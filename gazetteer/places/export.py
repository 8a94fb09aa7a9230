"""Exports of a search or a list of place names: CSV (UTF-8 with BOM, WKT column), GeoJSON and GeoPackage.

Every export carries the location a public route may show (queries.public_location): the true point, line or
polygon of a public record, the generalised point of any other.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import shapely
from sqlalchemy.engine import Connection

from core.exports import MEDIA_TYPES, csv_text, write_frame
from gazetteer.places import queries

FORMATS = ("csv", "geojson", "gpkg")
EXPORT_COLUMNS = (
    "id",
    "name",
    "romanization",
    "romanization_origin",
    "category",
    "category_name",
    "unit_path_text",
    "status",
    "valid_from",
    "valid_to",
    "lon",
    "lat",
)


@dataclass(frozen=True)
class PlaceExport:
    """An export's bytes, media type and file name."""

    content: bytes
    media_type: str
    filename: str


def export_hits(conn: Connection, hits: list[dict[str, Any]], fmt: str, stem: str) -> PlaceExport:
    """``hits`` (search or list results) written as ``fmt`` (csv, geojson or gpkg) with their public geometry."""
    geometries = queries.public_geometries(conn, [h["id"] for h in hits])
    if fmt == "csv":
        content = _csv(hits, geometries)
    elif fmt == "geojson":
        content = json.dumps(_feature_collection(hits, geometries), ensure_ascii=False, default=str).encode("utf-8")
    else:
        content = write_frame(_frame(hits, geometries), stem, "gpkg")
    return PlaceExport(content, MEDIA_TYPES[fmt], f"{stem}.{fmt}")


def _properties(hit: dict[str, Any]) -> dict[str, Any]:
    return {c: hit.get(c) for c in EXPORT_COLUMNS if c not in ("lon", "lat")}


def _csv(hits: list[dict[str, Any]], geometries: dict[int, dict[str, Any]]) -> bytes:
    """CSV, UTF-8 with a byte-order mark so that Excel reads the Chinese; the point on the location as lon/lat
    and the whole location as WKT."""
    rows = []
    for hit in hits:
        point = hit.get("point") or {}
        flat = {**hit, "lon": point.get("lon"), "lat": point.get("lat")}
        geometry = geometries.get(hit["id"])
        rows.append(
            [*(flat.get(c) for c in EXPORT_COLUMNS), shapely.geometry.shape(geometry).wkt if geometry else None]
        )
    return csv_text((*EXPORT_COLUMNS, "wkt"), rows).encode("utf-8")


def _feature_collection(hits: list[dict[str, Any]], geometries: dict[int, dict[str, Any]]) -> dict[str, Any]:
    """An RFC 7946 FeatureCollection (lon/lat)."""
    features = [
        {"type": "Feature", "id": hit["id"], "geometry": geometries.get(hit["id"]), "properties": _properties(hit)}
        for hit in hits
    ]
    return {"type": "FeatureCollection", "features": features}


def _frame(hits: list[dict[str, Any]], geometries: dict[int, dict[str, Any]]) -> gpd.GeoDataFrame:
    """The hits as a GeoDataFrame in EPSG:4490 (dates as ISO text)."""
    data: dict[str, list[Any]] = {"id": [h["id"] for h in hits]}
    for column in EXPORT_COLUMNS[1:-2]:
        data[column] = [None if h.get(column) is None else str(h[column]) for h in hits]
    shapes = [shapely.geometry.shape(geometries[h["id"]]) if h["id"] in geometries else None for h in hits]
    return gpd.GeoDataFrame(data, geometry=gpd.GeoSeries(shapes, crs="EPSG:4490"), crs="EPSG:4490")
