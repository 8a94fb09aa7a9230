"""Domain logic of unit polygons: importing layers, adding a version, reading them by source, reverse lookup (the
units at one point, and at many points at once) and writing logged versions back (no web framework here).

Reverse lookup lives here, in one definition: a point is in a unit when the unit's registered polygon valid on the
date intersects it (its boundary included); the deepest such unit is the answer. One point asks PostGIS (its GiST
index); a batch asks the in-process index of the same polygons (``locator.UnitLocator``). The single reverse of the
gazetteer (/api/v1/reverse) adds the nearest reference points below the deepest unit."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import shapely
from shapely.geometry import mapping
from sqlalchemy.engine import Connection

from boundaries.polygons import queries
from boundaries.polygons.locator import UnitLocator
from boundaries.polygons.models import POLYGON_STATUSES
from boundaries.polygons.reading import (
    check_polygon,
    file_crs_name,
    parse_geojson_geometry,
    read_layer,
    resolve_source_crs,
    validate_polygons,
)
from boundaries.units import queries as unit_queries
from boundaries.units.models import LEVELS
from boundaries.units.service import require_unit, unit_summary_short
from core import audit
from core.crs import parse_crs
from core.errors import InvalidInput
from core.imports import ImportReport, Rejected, enforce_all_or_nothing, file_checksum, replayable, require_file
from core.values import GeoPoint, points_to_storage, significant_code


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
    known = unit_queries.known_codes(conn, [row.unit_code for row in rows])
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
    audit.record_import(
        conn,
        path,
        report,
        importer="polygons",
        source=source,
        status=status,
        valid_from=valid_from,
        crs=crs,
        code_field=code_field,
        on_invalid=on_invalid,
        skip_invalid=skip_invalid,
        layer=layer,
        actor=actor,
        object_type="unit_polygon",
        object_id=str(path),
    )
    return report


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


def locate_points(
    conn: Connection,
    locator: UnitLocator,
    x: Sequence[float],
    y: Sequence[float],
    crs: str,
    *,
    as_of: date | None = None,
) -> dict[str, Any]:
    """Batch reverse lookup: the deepest unit with a registered polygon valid on ``as_of`` (today) at each point.

    Answers ``units`` (each unit once) and ``results`` (per point the index of its unit, or None).
    """
    if len(x) != len(y):
        raise InvalidInput("x and y must have the same length")
    lon, lat = points_to_storage(np.asarray(x, dtype=float), np.asarray(y, dtype=float), crs)
    day = as_of or date.today()
    found, units = locator.locate(conn, lon, lat, day)
    hit = found >= 0
    used = np.unique(found[hit])
    renumber = np.full(len(units), -1, dtype=np.int64)
    renumber[used] = np.arange(len(used))
    mapped = np.full(len(found), -1, dtype=np.int64)
    mapped[hit] = renumber[found[hit]]  # no unit on the date (an empty index): every point unmatched
    return {
        "crs": parse_crs(crs),
        "as_of": day,
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
    day = as_of or date.today()
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


def write_back(conn: Connection, before: dict[str, Any] | None, after: dict[str, Any]) -> bool:
    """Write a logged polygon version back as it was (audit-log replay): close the registered version it replaced
    (``before``) and insert ``after`` with its logged id. False when the table does not hold ``before`` open."""
    if before is not None and not queries.close_polygon_version(conn, int(before["id"]), after["valid_from"]):
        return False
    queries.insert_logged_polygon(conn, after, shapely.geometry.shape(after["geometry"]))
    return True


def units_at_point(conn: Connection, point: GeoPoint, *, as_of: date | None = None) -> list[dict[str, Any]]:
    """Units whose registered polygon contains the point, deepest first."""
    rows = queries.units_containing(conn, point.lon, point.lat, as_of or date.today())
    return [{**unit_summary_short(r), "polygon_source": r["source"]} for r in rows]


def unit_path_at_point(conn: Connection, point: GeoPoint, *, as_of: date | None = None) -> list[dict[str, Any]]:
    """The path of units down to the deepest one whose registered polygon contains the point, top first; the
    last carries its ``polygon_source``. Empty when no registered polygon contains the point."""
    rows = queries.unit_path_at_point(conn, point.lon, point.lat, as_of or date.today())
    path = [unit_summary_short(r) for r in rows]
    if path:
        path[-1]["polygon_source"] = rows[-1]["source"]
    return path
