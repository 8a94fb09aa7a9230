"""Exports of a collection or query: GeoPackage, Shapefile (zip, UTF-8 with .cpg), GeoJSON, CSV with BOM."""

from __future__ import annotations

import io
import tempfile
import warnings
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import pandas as pd
import shapely
from sqlalchemy.engine import Connection

from core.errors import InvalidInput
from ogc import queries
from ogc.collections import require
from ogc.service import EXPORT_MAX, conditions, parse_items_query

FORMATS = ("gpkg", "shp", "geojson", "csv")
MEDIA_TYPES = {
    "gpkg": "application/geopackage+sqlite3",
    "shp": "application/zip",
    "geojson": "application/geo+json",
    "csv": "text/csv; charset=utf-8",
}
_FAMILIES = {"Point": "point", "MultiPoint": "point", "LineString": "line", "MultiLineString": "line",
             "Polygon": "polygon", "MultiPolygon": "polygon"}  # fmt: skip


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
    content = write(gdf, collection_id, fmt)
    suffix = "zip" if fmt == "shp" else fmt
    return Export(content, MEDIA_TYPES[fmt], f"{collection_id}.{suffix}", len(gdf))


def write(gdf: gpd.GeoDataFrame, layer: str, fmt: str) -> bytes:
    """The bytes of ``gdf`` written as ``fmt``."""
    if fmt == "csv":
        table = pd.DataFrame(gdf.drop(columns="geometry"))
        table["wkt"] = [None if g is None else g.wkt for g in gdf.geometry]
        return table.to_csv(index=False).encode("utf-8-sig")
    with tempfile.TemporaryDirectory(prefix="ogc-export-") as folder:
        root = Path(folder)
        if fmt == "gpkg":
            path = root / f"{layer}.gpkg"
            gdf.to_file(path, layer=layer, driver="GPKG", engine="pyogrio")
            return path.read_bytes()
        if fmt == "geojson":
            path = root / f"{layer}.geojson"
            gdf.to_file(path, driver="GeoJSON", engine="pyogrio")
            return path.read_bytes()
        return _shapefile_zip(gdf, layer, root)


def _shapefile_zip(gdf: gpd.GeoDataFrame, layer: str, root: Path) -> bytes:
    """A zip of one Shapefile per geometry family present (a Shapefile holds one), UTF-8 with a .cpg."""
    families = pd.Series([_FAMILIES.get(g.geom_type) if g is not None else None for g in gdf.geometry], index=gdf.index)
    present = [f for f in ("polygon", "line", "point") if (families == f).any()]
    groups = {layer: gdf} if len(present) <= 1 else {f"{layer}_{f}": gdf[families == f] for f in present}
    if len(present) > 1 and families.isna().any():
        groups[f"{layer}_nogeometry"] = gdf[families.isna()]
    buffer = io.BytesIO()
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*(truncated|Normalized/laundered).*")
        for name, part in groups.items():
            part.to_file(root / f"{name}.shp", driver="ESRI Shapefile", engine="pyogrio", encoding="UTF-8")
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(root.iterdir()):
            archive.write(path, path.name)
    return buffer.getvalue()
