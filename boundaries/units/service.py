"""Domain logic of administrative units and their polygons (no web framework here)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import Any, NoReturn

import numpy as np
import shapely
from shapely.geometry import mapping
from sqlalchemy.engine import Connection

from boundaries.units import queries
from boundaries.units.divisions import read_divisions
from boundaries.units.locator import UnitLocator
from boundaries.units.models import LEVELS, POLYGON_STATUSES
from boundaries.units.polygons import (
    check_polygon,
    file_crs_name,
    parse_geojson_geometry,
    read_layer,
    resolve_source_crs,
    validate_polygons,
)
from core import audit
from core.crs import STORAGE_CRS, parse_crs, transform_geometry
from core.database import hold_import_lock
from core.errors import InvalidInput, NotFound
from core.files import archive_input
from core.imports import ImportReport, Rejected, enforce_all_or_nothing, file_checksum, replayable, require_file
from core.values import GeoPoint, normalize_code, points_to_storage, significant_code


def _today(as_of: date | None) -> date:
    return as_of or date.today()


@replayable("divisions", reads="path")
def import_divisions(
    conn: Connection,
    path: Path,
    *,
    valid_from: date,
    encoding: str | None = None,
    skip_invalid: bool = False,
    actor: str = "cli",
) -> ImportReport:
    """Load a division-code file (Ordos or national layout) as unit versions valid from ``valid_from``."""
    report = ImportReport(source=require_file(path).name, checksum=file_checksum(path))
    hold_import_lock(conn, "divisions", path.name)
    rows = read_divisions(path, report, encoding)
    enforce_all_or_nothing(report, skip_invalid)
    report.inserted, report.updated, report.unchanged = queries.upsert_units(conn, rows, valid_from)
    replay = archive_input(
        path, importer="divisions", valid_from=valid_from, encoding=encoding, skip_invalid=skip_invalid
    )
    after = {**report.as_dict(), "replay": replay}
    audit.record(conn, actor=actor, action="import", object_type="admin_unit", object_id=str(path), after=after)
    return report


@replayable("polygons", reads="path")
def import_polygons(
    conn: Connection,
    path: Path,
    *,
    source: str,
    status: str,
    valid_from: date,
    crs: str | None = None,
    code_field: str = "adcode",
    on_invalid: str = "refuse",
    skip_invalid: bool = False,
    layer: str | None = None,
    actor: str = "cli",
) -> ImportReport:
    """Load unit polygons from a vector file; the CRS given overrides the file's, one of them is required."""
    if status not in POLYGON_STATUSES:
        raise InvalidInput(f"status {status!r} is not one of {', '.join(POLYGON_STATUSES)}")
    if not source.strip():
        raise InvalidInput("source must name the dataset the polygons come from")
    report = ImportReport(source=require_file(path).name, checksum=file_checksum(path))
    gdf = read_layer(path, layer)
    source_crs = resolve_source_crs(file_crs_name(gdf), crs, report)
    rows = validate_polygons(gdf, code_field=code_field, crs=source_crs, on_invalid=on_invalid, report=report)
    known = queries.known_codes(conn, [row.unit_code for row in rows])
    for row in rows:
        if row.unit_code not in known:
            report.rejected.append(Rejected(row.row, f"unit {row.unit_code} is not a loaded division code"))
    rows = [row for row in rows if row.unit_code in known]
    report.rejected.sort(key=lambda r: r.row)
    enforce_all_or_nothing(report, skip_invalid)
    report.notes.extend(f"repaired {row.unit_code}: {row.repair_note}" for row in rows if row.repair_note)
    report.inserted, report.updated, report.unchanged, closed = queries.upsert_polygons(
        conn, rows, source=source, status=status, valid_from=valid_from
    )
    if closed:
        report.notes.append(f"{closed} earlier registered polygon(s) closed on {valid_from}")
    replay = archive_input(
        path,
        importer="polygons",
        source=source,
        status=status,
        valid_from=valid_from,
        crs=crs,
        code_field=code_field,
        on_invalid=on_invalid,
        skip_invalid=skip_invalid,
        layer=layer,
    )
    after = {**report.as_dict(), "replay": replay}
    audit.record(conn, actor=actor, action="import", object_type="unit_polygon", object_id=str(path), after=after)
    return report


def unit_summary(row: Any) -> dict[str, Any]:
    """The public fields of a unit version."""
    return {
        "code": row["code"],
        "name": row["name"],
        "level": row["level"],
        "kind": row["kind"],
        "valid_from": row["valid_from"],
        "valid_to": row["valid_to"],
    }


def require_unit(conn: Connection, code: str, as_of: date | None = None) -> Any:
    """The unit version valid on the date, or NotFound naming the code and date."""
    full = normalize_code(code)
    day = _today(as_of)
    row = queries.unit_at(conn, full, day)
    if row is None:
        _unit_not_found(conn, full, day)
    return row


def require_known_unit(conn: Connection, code: str) -> str:
    """The full code of a unit that has at least one version (a list filtered by unit accepts a unit since
    abolished), or NotFound naming the code: every list route's ``unit=`` answers alike."""
    full = normalize_code(code)
    if not queries.unit_versions(conn, full):
        raise NotFound(f"no unit with code {full}")
    return full


def _unit_not_found(conn: Connection, full: str, day: date) -> NoReturn:
    versions = queries.unit_versions(conn, full)
    if versions:
        spans = ", ".join(f"{v['valid_from']}..{v['valid_to'] or ''}" for v in versions)
        raise NotFound(f"unit {full} has no version valid on {day} (versions: {spans})")
    raise NotFound(f"no unit with code {full}")


def get_unit(conn: Connection, code: str, *, as_of: date | None = None, crs: str = "EPSG:4326") -> dict[str, Any]:
    """A unit with its parent path, children count and registered polygon (GeoJSON in ``crs``, area in km²)."""
    out_crs = parse_crs(crs)
    day = _today(as_of)
    full = normalize_code(code)
    row = queries.unit_record(conn, full, day)
    if row is None:
        _unit_not_found(conn, full, day)
    result = unit_summary(row)
    result["is_grouping"] = row["is_grouping"]
    result["parent_code"] = row["parent_code"]
    result["path"] = row["path"]
    result["children_count"] = row["children_count"]
    result["polygon"] = None
    if row["polygon_wkb"] is not None:
        geom = transform_geometry(shapely.from_wkb(row["polygon_wkb"]), STORAGE_CRS, out_crs)
        result["polygon"] = {
            "source": row["polygon_source"],
            "status": row["polygon_status"],
            "valid_from": row["polygon_valid_from"],
            "valid_to": row["polygon_valid_to"],
            "area_km2": round(float(row["polygon_area_km2"]), 3),
            "crs": out_crs,
            "geometry": mapping(geom),
        }
    return result


def get_children(conn: Connection, code: str, *, as_of: date | None = None) -> list[dict[str, Any]]:
    """The unit's children on the date (grouping rows of the national files are passed through)."""
    day = _today(as_of)
    row = require_unit(conn, code, day)
    return [unit_summary(child) for child in queries.children(conn, row["code"], day)]


def get_ancestors(conn: Connection, code: str, *, as_of: date | None = None) -> list[dict[str, Any]]:
    """The unit's loaded ancestors on the date, top first."""
    day = _today(as_of)
    row = require_unit(conn, code, day)
    return [unit_summary(a) for a in queries.ancestors(conn, row["code"], day)]


def units_at_point(conn: Connection, point: GeoPoint, *, as_of: date | None = None) -> list[dict[str, Any]]:
    """Units whose registered polygon contains the point, deepest first."""
    rows = queries.units_containing(conn, point.lon, point.lat, _today(as_of))
    return [{**unit_summary_short(r), "polygon_source": r["source"]} for r in rows]


def unit_path_at_point(conn: Connection, point: GeoPoint, *, as_of: date | None = None) -> list[dict[str, Any]]:
    """The path of units down to the deepest one whose registered polygon contains the point, top first; the
    last carries its ``polygon_source``. Empty when no registered polygon contains the point."""
    rows = queries.unit_path_at_point(conn, point.lon, point.lat, _today(as_of))
    path = [unit_summary_short(r) for r in rows]
    if path:
        path[-1]["polygon_source"] = rows[-1]["source"]
    return path


def find_units(conn: Connection, codes: list[str], *, as_of: date | None = None) -> dict[str, dict[str, Any]]:
    """The units among ``codes`` (12-digit) valid on the date, by code."""
    return {r["code"]: unit_summary(r) for r in queries.units_by_code(conn, codes, _today(as_of))}


def unit_summary_short(row: Any) -> dict[str, Any]:
    """Code, name, level and kind of a unit."""
    return {"code": row["code"], "name": row["name"], "level": row["level"], "kind": row["kind"]}


def add_polygon(
    conn: Connection,
    code: str,
    *,
    geometry: dict[str, Any],
    crs: str,
    source: str,
    status: str,
    valid_from: date,
    on_invalid: str = "refuse",
    actor: str,
) -> dict[str, Any]:
    """Add a polygon version of a unit (a registered one replaces the open registered polygon from its date)."""
    if status not in POLYGON_STATUSES:
        raise InvalidInput(f"status {status!r} is not one of {', '.join(POLYGON_STATUSES)}")
    row = require_unit(conn, code, valid_from)
    source_geom, geom = parse_geojson_geometry(geometry, crs)
    polygon = check_polygon(row["code"], source_geom, geom, on_invalid, parse_crs(crs))
    closed = queries.close_registered_polygon(conn, row["code"], valid_from) if status == "registered" else None
    polygon_id = queries.insert_polygon(conn, polygon, source=source, status=status, valid_from=valid_from)
    after = {
        "id": polygon_id,
        "unit_code": row["code"],
        "source": source,
        "status": status,
        "valid_from": valid_from,
        "repair_note": polygon.repair_note,
    }
    audit.record(
        conn,
        actor=actor,
        action="create",
        object_type="unit_polygon",
        object_id=str(polygon_id),
        before=closed,
        after={**after, "geometry": mapping(polygon.geom)},  # EPSG:4490, so the version can be rebuilt from the log
    )
    return after


def data_counts(conn: Connection) -> dict[str, int]:
    """Counts of loaded units and polygons."""
    return queries.counts(conn)


def find_unit(conn: Connection, code: str, *, as_of: date | None = None) -> dict[str, Any] | None:
    """The unit version valid on the date, or None."""
    row = queries.unit_at(conn, normalize_code(code), _today(as_of))
    return None if row is None else unit_summary(row)


def units_within(conn: Connection, prefix: str, level: str, *, as_of: date | None = None) -> list[dict[str, Any]]:
    """Units of a level under a code prefix (e.g. every township of banner 150621), valid on the date."""
    return [unit_summary(r) for r in queries.units_within(conn, prefix, level, _today(as_of))]


def published_units_sql(level: str, registered_polygon: bool | None = None) -> str:
    """SELECT of the unit versions of a level for publishing: id, code, name, level, kind, parent_code,
    valid_from, valid_to, polygon_source and polygon_geom (the registered polygon, EPSG:4490, or NULL); only the
    versions with a registered polygon (True) or without one (False), so that a spatial filter can use the index."""
    if level not in LEVELS:
        raise InvalidInput(f"level {level!r} is not one of {', '.join(LEVELS)}")
    return queries.published_units_sql(level, registered_polygon)


def published_collections(conn: Connection) -> list[dict[str, Any]]:
    """The collections this context publishes (see ogc.collections): unit polygons, one per source, and the
    findings of the stored topology checks."""
    polygons = [
        {
            "id": "polygons-" + (re.sub(r"[^a-z0-9]+", "-", source.lower()).strip("-") or "unnamed"),
            "title": f"Unit polygons from {source}",
            "description": f"Every polygon version of source {source!r} with its status (registered, reference, "
            "claimed, draft) and validity dates; repaired marks geometries repaired on import.",
            "sql": queries.PUBLISHED_POLYGONS,
            "params": {"polygon_source": source},
            "properties": {
                "unit_code": "string",
                "unit_name": "string",
                "source": "string",
                "status": "string",
                "repaired": "boolean",
                "valid_from": "date",
                "valid_to": "date",
            },
            "temporal": True,
            "geometry_type": "polygon",
        }
        for source in queries.polygon_sources(conn)
    ]
    findings = {
        "id": "boundary-findings",
        "title": "Findings of the stored boundary checks",
        "description": "Overlaps, gaps, slivers and invalid rings found by each stored topology check (check_id), "
        "with the units concerned (unit_codes, comma-separated) and their measures in metres.",
        "sql": queries.PUBLISHED_FINDINGS,
        "properties": {
            "check_id": "integer",
            "check_level": "string",
            "check_source": "string",
            "check_as_of": "date",
            "kind": "string",
            "piece": "string",
            "unit_codes": "string",
            "area_m2": "number",
            "width_m": "number",
            "thinness": "number",
            "detail": "string",
        },
        "geometry_type": "geometry",
    }
    lines = {
        "id": "boundary-lines",
        "title": "Boundary lines",
        "description": "The lines between neighbouring units (shared) and on the outer edge (outer), derived from the "
        "registered polygons, with their length and the agreement that fixes them.",
        "sql": queries.PUBLISHED_LINES,
        "properties": {
            "line_key": "string",
            "kind": "string",
            "left_code": "string",
            "right_code": "string",
            "sources": "string",
            "length_km": "number",
            "agreement_ref": "string",
            "as_of": "date",
        },
        "geometry_type": "line",
    }
    markers = {
        "id": "boundary-markers",
        "title": "Boundary markers",
        "description": "界桩 on the boundary lines: number, type, the agreed coordinates as recorded "
        "(agreed_x, agreed_y in agreed_crs) and their position in EPSG:4490.",
        "sql": queries.PUBLISHED_MARKERS,
        "properties": {
            "number": "string",
            "line_id": "integer",
            "line_key": "string",
            "marker_type": "string",
            "agreed_x": "number",
            "agreed_y": "number",
            "agreed_crs": "string",
            "description": "string",
        },
        "geometry_type": "point",
    }
    return [*polygons, findings, lines, markers]


def locate_points(
    conn: Connection, locator: UnitLocator, x: Sequence[float], y: Sequence[float], crs: str
) -> dict[str, Any]:
    """Batch reverse lookup: the deepest unit with a registered polygon (valid today) at each point.

    Answers ``units`` (each unit once) and ``results`` (per point the index of its unit, or None).
    """
    if len(x) != len(y):
        raise InvalidInput("x and y must have the same length")
    lon, lat = points_to_storage(np.asarray(x, dtype=float), np.asarray(y, dtype=float), crs)
    found, units = locator.locate(conn, lon, lat)
    used = np.unique(found[found >= 0])
    renumber = np.full(len(units), -1, dtype=np.int64)
    renumber[used] = np.arange(len(used))
    mapped = np.where(found >= 0, renumber[np.maximum(found, 0)], -1)
    return {
        "crs": parse_crs(crs),
        "count": len(mapped),
        "found": int(np.count_nonzero(mapped >= 0)),
        "units": [units[i] for i in used],
        "results": [None if i < 0 else int(i) for i in mapped.tolist()],
    }


def polygons_by_source(
    conn: Connection, parent: str, level: str, *, as_of: date | None = None
) -> dict[str, list[dict[str, Any]]]:
    """The polygons valid on the date of the units of ``level`` under ``parent``, grouped by source (e.g.
    amap-2020, datav-2021), each with unit code and name, status, area in km² and GeoJSON geometry (EPSG:4490)."""
    if level not in LEVELS:
        raise InvalidInput(f"level {level!r} is not one of {', '.join(LEVELS)}")
    day = _today(as_of)
    prefix = significant_code(require_unit(conn, parent, day)["code"])
    grouped: dict[str, list[dict[str, Any]]] = {}
    for row in queries.polygons_of_level(conn, prefix, level, day):
        grouped.setdefault(row["source"], []).append(
            {
                "code": row["unit_code"],
                "name": row["unit_name"],
                "status": row["status"],
                "valid_from": row["valid_from"],
                "area_km2": round(float(row["area_km2"]), 3),
                "geometry": mapping(shapely.from_wkb(row["wkb"])),
            }
        )
    return grouped
