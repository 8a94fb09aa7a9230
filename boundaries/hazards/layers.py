"""Imported hazard layers (mining areas, construction permits, ...): a named polygon layer with its kind, read
from GeoJSON, GeoPackage or a (zipped) Shapefile in its CRS, all or nothing; a re-import under the same name
replaces the layer. The screening (``boundaries.hazards.service``) scores the sections near their polygons."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import shapely
from sqlalchemy.engine import Connection

from boundaries.hazards import queries
from boundaries.hazards.models import HAZARD_LAYER_KINDS
from boundaries.polygons.reading import (
    ON_INVALID,
    checked_polygon,
    file_crs_name,
    parse_geojson_geometry,
    read_layer,
    resolve_source_crs,
)
from core import audit
from core.crs import STORAGE_CRS, transform_geometry
from core.database import hold_import_lock
from core.errors import InvalidInput, NotFound, TooLarge
from core.geodesy import geodesic_area_m2
from core.geojson import feature_collection
from core.imports import (
    ImportReport,
    Rejected,
    enforce_all_or_nothing,
    file_checksum,
    read_text,
    replayable,
    require_file,
)
from core.imports import has_control_characters as has_control

GEOJSON_SUFFIXES = (".geojson", ".json")
# The endings read through GDAL (a shapefile zipped with its sidecars: .zip).
OTHER_SUFFIXES = (".gpkg", ".shp", ".zip")
FORMATS = {"geojson": ".geojson", "gpkg": ".gpkg", "shp": ".zip"}  # the upload's format -> file ending
MAX_AREAS = 5_000  # polygons in one layer: larger layers are refused (413)
LABEL_FIELDS = ("name", "名称", "NAME", "id")


def _check_name(name: str) -> str:
    name = name.strip()
    if not name or len(name) > 100 or has_control(name):
        raise InvalidInput(f"layer name {name!r} must be 1–100 printable characters")
    return name


def _check_kind(kind: str) -> str:
    if kind not in HAZARD_LAYER_KINDS:
        raise InvalidInput(f"kind {kind!r} is not one of {', '.join(HAZARD_LAYER_KINDS)}")
    return kind


def _label(properties: Any, number: int) -> str:
    if isinstance(properties, dict):
        for field in LABEL_FIELDS:
            value = properties.get(field)
            if value is not None and str(value).strip() and not has_control(str(value)):
                return str(value).strip()[:200]
    return f"feature {number}"


def _geojson_areas(
    path: Path, crs: str | None, on_invalid: str, report: ImportReport
) -> tuple[list[dict[str, Any]], str]:
    features, stated = feature_collection(read_text(path), path.name)
    _check_count(len(features), path.name)
    # RFC 7946 section 4: a GeoJSON text without a crs member is in WGS84 lon/lat.
    source_crs = resolve_source_crs(stated or "EPSG:4326", crs, report)
    areas = []
    for number, feature in enumerate(features, start=1):
        report.read += 1
        try:
            if not isinstance(feature, dict) or feature.get("type") != "Feature":
                raise InvalidInput(f"feature {number}: not a GeoJSON Feature object")
            if not isinstance(feature.get("geometry"), dict):
                raise InvalidInput(f"feature {number}: no geometry")
            try:
                source, geom = parse_geojson_geometry(feature["geometry"], source_crs)
            except InvalidInput as exc:
                raise InvalidInput(f"feature {number}: {exc.detail}") from None
            areas.append(_area(number, _label(feature.get("properties"), number), source, geom, on_invalid, source_crs))
        except InvalidInput as exc:
            report.rejected.append(Rejected(number, exc.detail))
    return areas, source_crs


def _gdal_areas(path: Path, crs: str | None, on_invalid: str, report: ImportReport) -> tuple[list[dict[str, Any]], str]:
    gdf = read_layer(path)
    _check_count(len(gdf), path.name)
    source_crs = resolve_source_crs(file_crs_name(gdf), crs, report)
    columns = [c for c in gdf.columns if c != "geometry"]
    areas = []
    for index, source in enumerate(np.asarray(gdf.geometry.values, dtype=object)):
        number = index + 1
        report.read += 1
        try:
            geom = None if source is None else transform_geometry(source, source_crs, STORAGE_CRS)
            properties = {c: gdf[c].iloc[index] for c in columns}
            areas.append(_area(number, _label(properties, number), source, geom, on_invalid, source_crs))
        except InvalidInput as exc:
            report.rejected.append(Rejected(number, exc.detail))
    return areas, source_crs


def _check_count(count: int, name: str) -> None:
    if count > MAX_AREAS:
        raise TooLarge(f"{name}: {count:,} features, more than the {MAX_AREAS:,} a hazard layer may hold")
    if count == 0:
        raise InvalidInput(f"{name}: the layer holds no features")


def _area(number: int, label: str, source: Any, geom: Any, on_invalid: str, crs: str) -> dict[str, Any]:
    polygon, _, note = checked_polygon(f"feature {number} ({label})", source, geom, on_invalid, crs)
    return {"feature": number, "label": label, "wkb": shapely.to_wkb(polygon), "area_m2": geodesic_area_m2(polygon)}


@replayable("hazard_layer", reads="path")
def import_hazard_layer(
    conn: Connection,
    path: Path,
    *,
    layer: str,
    kind: str,
    crs: str | None = None,
    on_invalid: str = "refuse",
    skip_invalid: bool = False,
    actor: str = "cli",
) -> ImportReport:
    """Import a hazard layer of polygons (GeoJSON, GeoPackage, Shapefile or zipped Shapefile) named ``layer`` with
    its ``kind``: every feature must be a valid polygon in China read in its CRS (``crs`` overrides the file's), else
    nothing is written (``skip_invalid``: the valid ones are); a layer of that name is replaced. Audited."""
    name, kind = _check_name(layer), _check_kind(kind)
    if on_invalid not in ON_INVALID:
        raise InvalidInput(f"on_invalid {on_invalid!r} is not one of {', '.join(ON_INVALID)}")
    suffix = path.suffix.lower()
    if suffix not in GEOJSON_SUFFIXES + OTHER_SUFFIXES:
        raise InvalidInput(f"{path.name}: a hazard layer is read from {', '.join(GEOJSON_SUFFIXES + OTHER_SUFFIXES)}")
    report = ImportReport(source=path.name, checksum=file_checksum(require_file(path)))
    read = _geojson_areas if suffix in GEOJSON_SUFFIXES else _gdal_areas
    areas, source_crs = read(path, crs, on_invalid, report)
    enforce_all_or_nothing(report, skip_invalid)
    if not areas:
        raise InvalidInput(f"{path.name}: no valid polygon in the layer, nothing written")
    hold_import_lock(conn, "hazard_layer", name)
    before = queries.delete_layer(conn, name)
    queries.insert_layer(
        conn,
        {
            "name": name,
            "kind": kind,
            "file_name": path.name,
            "checksum": report.checksum,
            "source_crs": source_crs,
            "imported_by": actor,
        },
        areas,
    )
    report.inserted = len(areas)
    if before is not None:
        report.notes.append(f"replaced layer {name!r} ({before['kind']}, {before['areas']} polygon(s))")
    audit.record_import(
        conn,
        path,
        report,
        importer="hazard_layer",
        layer=name,
        kind=kind,
        crs=crs,
        on_invalid=on_invalid,
        skip_invalid=skip_invalid,
        actor=actor,
        object_type="hazard_layer",
        object_id=name,
        before=before,
        facts={"kind": kind},
    )
    return report


def import_hazard_layer_content(
    conn: Connection,
    content: bytes,
    *,
    layer: str,
    kind: str,
    file_format: str,
    crs: str | None = None,
    on_invalid: str = "refuse",
    skip_invalid: bool = False,
    actor: str,
) -> ImportReport:
    """Import a hazard layer received over HTTP as bytes in ``file_format`` (geojson, gpkg, or shp: a zipped
    Shapefile); see :func:`import_hazard_layer`."""
    if file_format not in FORMATS:
        raise InvalidInput(f"format {file_format!r} is not one of {', '.join(FORMATS)}")
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"hazard_layer{FORMATS[file_format]}"
        path.write_bytes(content)
        return import_hazard_layer(
            conn, path, layer=layer, kind=kind, crs=crs, on_invalid=on_invalid, skip_invalid=skip_invalid, actor=actor
        )


def list_hazard_layers(conn: Connection) -> list[dict[str, Any]]:
    """The imported hazard layers by name: kind, file, CRS, polygons and their area, who imported them and when."""
    return [dict(row) for row in queries.layers(conn)]


def delete_hazard_layer(conn: Connection, name: str, *, actor: str) -> dict[str, Any]:
    """Delete a hazard layer and its polygons (404 when there is none of that name); audited."""
    before = queries.delete_layer(conn, name)
    if before is None:
        raise NotFound(f"no hazard layer named {name!r}")
    audit.record(conn, actor=actor, action="delete", object_type="hazard_layer", object_id=name, before=before)
    return before
