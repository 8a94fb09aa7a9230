"""Reading and validating polygon layers (GeoJSON, GeoPackage, Shapefile) into EPSG:4490."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import shapely
from shapely.geometry import MultiPolygon, Polygon
from shapely.geometry.base import BaseGeometry

from core.crs import STORAGE_CRS, parse_crs, transform_geometry
from core.errors import InvalidInput
from core.geodesy import geodesic_area_m2
from core.geojson import require_closed_rings
from core.imports import ImportReport, Rejected, require_file
from core.values import normalize_code, require_numeric_coordinates

# Lon/lat box around China: a layer whose coordinates land outside it was given the wrong CRS.
CHINA_BOUNDS = (73.0, 3.0, 136.0, 54.0)
ON_INVALID = ("refuse", "repair")
# EPSG codes a file may state for geographic lon/lat data (the vendor files state or imply WGS84).
GEOGRAPHIC_EPSG = {4326, 4490}


@dataclass(frozen=True)
class PolygonRow:
    """A validated polygon of one unit in EPSG:4490; ``original`` is kept when it was repaired."""

    unit_code: str
    geom: MultiPolygon
    original: BaseGeometry | None
    repair_note: str | None
    row: int = 0  # the feature's number in the layer (1 = first), for messages


def file_crs_name(gdf: gpd.GeoDataFrame) -> str | None:
    """The accepted CRS name the file states, or None when it states none."""
    if gdf.crs is None:
        return None
    epsg = gdf.crs.to_epsg()
    if epsg is None and gdf.crs.equals("OGC:CRS84"):
        epsg = 4326
    return f"EPSG:{epsg}" if epsg else gdf.crs.to_string()


def read_layer(path: Path, layer: str | None = None) -> gpd.GeoDataFrame:
    """A vector file as a GeoDataFrame (``.gz`` read directly)."""
    require_file(path)
    source = f"/vsigzip/{path}" if path.suffix == ".gz" else str(path)
    try:
        return gpd.read_file(source, layer=layer, engine="pyogrio")
    except Exception as exc:  # pyogrio raises several error types for unreadable files
        raise InvalidInput(f"{path.name}: cannot read as a vector layer ({exc})") from None


def resolve_source_crs(stated: str | None, given: str | None, report: ImportReport) -> str:
    """The CRS to read the coordinates in: the one given overrides the file's; one is required."""
    if given:
        crs = parse_crs(given)
        if stated and stated != crs:
            report.notes.append(f"the file states or implies {stated}; coordinates read as {crs} as told")
        return crs
    if stated is None:
        raise InvalidInput("the file states no CRS: give the source CRS (e.g. --crs gcj02 or --crs EPSG:4490)")
    crs = parse_crs(stated)
    report.notes.append(
        f"coordinates read as {crs}, the CRS the file states or implies (a GeoJSON file without a crs member "
        "implies WGS84); give the CRS if the file is vendor GCJ-02 or BD-09"
    )
    return crs


def validate_polygons(
    gdf: gpd.GeoDataFrame,
    *,
    code_field: str,
    crs: str,
    on_invalid: str,
    report: ImportReport,
) -> list[PolygonRow]:
    """Check every feature (code, type, emptiness, location, validity); rejected ones go to ``report``."""
    if on_invalid not in ON_INVALID:
        raise InvalidInput(f"on_invalid {on_invalid!r} is not one of {', '.join(ON_INVALID)}")
    if code_field not in gdf.columns:
        fields = ", ".join(c for c in gdf.columns if c != "geometry")
        raise InvalidInput(f"code field {code_field!r} not in the layer; it has: {fields}")
    geoms = np.asarray(gdf.geometry.values, dtype=object)
    present = np.array([g is not None and not g.is_empty for g in geoms], dtype=bool)
    converted = np.empty(len(geoms), dtype=object)
    untransformable: dict[int, str] = {}
    if present.any():
        try:
            converted[present] = transform_geometry(geoms[present], crs, STORAGE_CRS)
        except InvalidInput:  # some feature's coordinates cannot be in ``crs``: find which, one by one
            for i in np.flatnonzero(present):
                try:
                    converted[i] = transform_geometry(geoms[i], crs, STORAGE_CRS)
                except InvalidInput as exc:
                    untransformable[int(i)] = exc.detail
    rows: list[PolygonRow] = []
    seen: dict[str, int] = {}
    for index, (raw_code, geom) in enumerate(zip(gdf[code_field].tolist(), converted, strict=True)):
        number = index + 1
        report.read += 1
        try:
            code = normalize_code(_code_text(raw_code))
            if code in seen:
                raise InvalidInput(f"unit {code} appears twice in the layer (first as feature {seen[code]})")
            if index in untransformable:
                minx, miny, maxx, maxy = geoms[index].bounds
                raise InvalidInput(
                    f"unit {code}: coordinates x {minx:.4f}..{maxx:.4f}, y {miny:.4f}..{maxy:.4f} cannot be "
                    f"read as {crs} ({untransformable[index]}) — wrong CRS?"
                )
            rows.append(replace(_polygon_row(code, geoms[index], geom, on_invalid, crs), row=number))
            seen[code] = number
        except InvalidInput as exc:
            report.rejected.append(Rejected(number, exc.detail))
    return rows


def _code_text(raw: Any) -> str:
    if raw is None or (isinstance(raw, float) and np.isnan(raw)):
        return ""
    if isinstance(raw, float) and raw.is_integer():
        return str(int(raw))
    return str(raw)


def _polygon_row(code: str, source_geom: Any, geom: Any, on_invalid: str, crs: str) -> PolygonRow:
    polygon, original, note = checked_polygon(f"unit {code}", source_geom, geom, on_invalid, crs)
    return PolygonRow(code, polygon, original, note)


def checked_polygon(
    label: str, source_geom: Any, geom: Any, on_invalid: str, crs: str
) -> tuple[MultiPolygon, BaseGeometry | None, str | None]:
    """A polygon or multipolygon read in ``crs`` (``source_geom``) and transformed to EPSG:4490 (``geom``) checked:
    not empty, a polygon, inside China, valid (or repaired with ``on_invalid='repair'``). Answers the 2-D
    multipolygon, the geometry before a repair (None when none was needed) and the repair note; messages start with
    ``label``."""
    if source_geom is None or source_geom.is_empty:
        raise InvalidInput(f"{label}: empty geometry")
    if source_geom.geom_type not in ("Polygon", "MultiPolygon"):
        raise InvalidInput(f"{label}: geometry type {source_geom.geom_type} is not a polygon")
    geom = shapely.force_2d(geom)  # elevations are dropped: the stored geometry is 2-D
    minx, miny, maxx, maxy = geom.bounds
    lo_x, lo_y, hi_x, hi_y = CHINA_BOUNDS
    if not (lo_x <= minx and maxx <= hi_x and lo_y <= miny and maxy <= hi_y):
        raise InvalidInput(
            f"{label}: coordinates read as {crs} land at lon {minx:.4f}..{maxx:.4f}, lat {miny:.4f}..{maxy:.4f}, "
            "far outside China — wrong CRS?"
        )
    reason = shapely.is_valid_reason(geom)
    if reason == "Valid Geometry":
        return as_multipolygon(geom), None, None
    if on_invalid == "refuse":
        raise InvalidInput(f"{label}: invalid geometry: {reason} (use on_invalid=repair to make it valid)")
    repaired = polygonal_part(shapely.make_valid(geom))
    if repaired.is_empty:
        raise InvalidInput(f"{label}: invalid geometry ({reason}) has no polygonal part after repair")
    note = f"{reason}; area {geodesic_area_m2(geom) / 1e6:.3f} -> {geodesic_area_m2(repaired) / 1e6:.3f} km²"
    return repaired, geom, note


def polygonal_part(geom: BaseGeometry) -> MultiPolygon:
    """The polygons of a geometry (a repair may leave lines and points beside them)."""
    parts = [g for g in shapely.get_parts(geom) if isinstance(g, Polygon | MultiPolygon)]
    polygons: list[Polygon] = []
    for part in parts:
        polygons.extend(part.geoms if isinstance(part, MultiPolygon) else [part])
    return MultiPolygon(polygons)


def as_multipolygon(geom: BaseGeometry) -> MultiPolygon:
    """A polygon or multipolygon as a multipolygon."""
    return geom if isinstance(geom, MultiPolygon) else MultiPolygon([geom])


def parse_geojson_geometry(geojson: dict[str, Any], crs: str) -> tuple[BaseGeometry, BaseGeometry]:
    """A GeoJSON geometry object given in ``crs`` as (source geometry, EPSG:4490 geometry).

    Rings must be closed as RFC 7946 requires: an open ring is refused, not silently closed.
    """
    if isinstance(geojson, dict) and isinstance(geojson.get("coordinates"), list):
        require_numeric_coordinates(geojson["coordinates"], str(geojson.get("type")))
    if isinstance(geojson, dict):
        require_closed_rings(geojson.get("type"), geojson.get("coordinates"))
    try:
        source = shapely.geometry.shape(geojson)
    except Exception as exc:  # shapely raises several types on malformed GeoJSON
        raise InvalidInput(f"geometry is not valid GeoJSON: {exc}") from None
    return source, transform_geometry(source, parse_crs(crs), STORAGE_CRS)


def check_polygon(code: str, source: BaseGeometry, geom: BaseGeometry, on_invalid: str, crs: str) -> PolygonRow:
    """Validate one polygon given through the API exactly as the importer validates a feature."""
    return _polygon_row(code, source, geom, on_invalid, crs)
