"""Writing a GeoDataFrame as a file: GeoPackage, Shapefile (zip, UTF-8 with .cpg), GeoJSON, CSV with BOM and WKT.
Shared by the OGC exports and the place-name registry's exports."""

from __future__ import annotations

import io
import tempfile
import warnings
import zipfile
from pathlib import Path

import geopandas as gpd
import pandas as pd

FORMATS = ("gpkg", "shp", "geojson", "csv")
MEDIA_TYPES = {
    "gpkg": "application/geopackage+sqlite3",
    "shp": "application/zip",
    "geojson": "application/geo+json",
    "csv": "text/csv; charset=utf-8",
}
_FAMILIES = {"Point": "point", "MultiPoint": "point", "LineString": "line", "MultiLineString": "line",
             "Polygon": "polygon", "MultiPolygon": "polygon"}  # fmt: skip


def write_frame(gdf: gpd.GeoDataFrame, layer: str, fmt: str) -> bytes:
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
