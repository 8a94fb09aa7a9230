"""Writing files for download: the one CSV writer of the service (:func:`csv_text`: UTF-8 with BOM, cells safe to
open in a spreadsheet) and a GeoDataFrame as GeoPackage, Shapefile (zip, UTF-8 with .cpg), GeoJSON or CSV with WKT.
Shared by the OGC exports, the place-name registry's exports, the sign check and the coverage reports."""

from __future__ import annotations

import csv
import io
import tempfile
import warnings
import zipfile
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

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
# A text cell starting with one of these is read by Excel and LibreOffice as a formula (or can become one).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> Any:
    """A cell as a spreadsheet shows it without running it (OWASP's rule against CSV injection): text starting
    with ``= + - @``, a tab or a carriage return gets a leading single quote; numbers, dates and booleans stay
    values (a negative number is no formula); ``None`` and NaN are empty."""
    if isinstance(value, str):
        return "'" + value if value.startswith(FORMULA_STARTS) else value
    if value is None or (isinstance(value, float) and value != value):
        return ""
    return value


def csv_text(header: Sequence[str], rows: Iterable[Iterable[Any]]) -> str:
    """The one way the service writes CSV: a byte-order mark (Excel then reads the Chinese as UTF-8), the header
    (none when it is empty), then the rows, every cell through :func:`safe_cell`; RFC 4180 line ends."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    if header:
        writer.writerow(safe_cell(name) for name in header)
    writer.writerows((safe_cell(cell) for cell in row) for row in rows)
    return "\ufeff" + out.getvalue()


def write_frame(gdf: gpd.GeoDataFrame, layer: str, fmt: str) -> bytes:
    """The bytes of ``gdf`` written as ``fmt``."""
    if fmt == "csv":
        table = pd.DataFrame(gdf.drop(columns="geometry")).astype(object)
        table["wkt"] = [None if g is None else g.wkt for g in gdf.geometry]
        return csv_text([str(c) for c in table.columns], table.itertuples(index=False)).encode("utf-8")
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
