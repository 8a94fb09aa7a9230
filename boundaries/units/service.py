"""Domain logic of administrative units and their polygons (no web framework here)."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any, NoReturn

import shapely
from shapely.geometry import mapping
from sqlalchemy.engine import Connection

from boundaries.units import queries
from boundaries.units.divisions import read_divisions
from boundaries.units.models import LEVELS
from core import audit
from core.crs import STORAGE_CRS, parse_crs, transform_geometry
from core.database import hold_import_lock
from core.errors import InvalidInput, NotFound
from core.imports import ImportReport, enforce_all_or_nothing, file_checksum, replayable, require_file
from core.values import normalize_code


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
    audit.record_import(
        conn,
        path,
        report,
        importer="divisions",
        valid_from=valid_from,
        encoding=encoding,
        skip_invalid=skip_invalid,
        actor=actor,
        object_type="admin_unit",
        object_id=str(path),
    )
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


def find_units(conn: Connection, codes: list[str], *, as_of: date | None = None) -> dict[str, dict[str, Any]]:
    """The units among ``codes`` (12-digit) valid on the date, by code."""
    return {r["code"]: unit_summary(r) for r in queries.units_by_code(conn, codes, _today(as_of))}


def unit_summary_short(row: Any) -> dict[str, Any]:
    """Code, name, level and kind of a unit."""
    return {"code": row["code"], "name": row["name"], "level": row["level"], "kind": row["kind"]}


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
