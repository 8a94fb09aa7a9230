"""Reference points of the units (township and village seats from the division lists): import, reverse lookup, lists."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Connection

from boundaries import service as boundaries
from core import audit
from core.crs import parse_crs
from core.errors import InvalidInput, NotFound
from core.imports import (
    ImportReport,
    Rejected,
    enforce_all_or_nothing,
    file_checksum,
    has_control_characters,
    read_csv,
    replayable,
)
from core.values import GeoPoint, level_of_code, significant_code
from gazetteer.points import queries

# Statistical names carry the committee or office; the place name does not.
ADMINISTRATIVE_SUFFIXES = re.compile(r"(居民委员会|居委会|村民委员会|村委会|委员会|办事处)$")
LEVELS_BELOW = {"province": [], "city": [], "county": ["township", "village"], "township": ["village"]}


def core_name(name: str) -> str:
    """A unit's name without the committee or office suffix (新村社区居委会 -> 新村社区, 交通街道办事处 -> 交通街道)."""
    return ADMINISTRATIVE_SUFFIXES.sub("", name.strip())


@replayable("points", reads="path")
def import_points(
    conn: Connection,
    path: Path,
    *,
    source: str,
    crs: str,
    lon_column: str,
    lat_column: str,
    name_column: str,
    id_column: str,
    category_column: str | None = None,
    code_column: str | None = None,
    hint_code_column: str | None = None,
    encoding: str | None = None,
    skip_invalid: bool = False,
    actor: str = "cli",
) -> ImportReport:
    """Load named points from a CSV file with lon/lat columns in ``crs``.

    Unit matching: ``code_column`` holds a code the file vouches for (used when it is a current unit);
    ``hint_code_column`` holds an older code, used when the current unit of that code has the same
    name, else to match the name among the current units of the same level in the same county.
    """
    required = [
        c for c in (lon_column, lat_column, name_column, id_column, category_column, code_column, hint_code_column) if c
    ]
    crs = parse_crs(crs)  # an unknown CRS is refused once, with the accepted names, before any row is read
    report = ImportReport(source=path.name, checksum=file_checksum(path) if path.is_file() else "")
    rows = read_csv(path, required, encoding)
    points: list[dict[str, Any]] = []
    seen: dict[str, int] = {}
    for number, row in enumerate(rows, start=1):
        report.read += 1
        try:
            point = _point_row(row, crs, lon_column, lat_column, name_column, id_column, category_column)
            if point["external_id"] in seen:
                raise InvalidInput(
                    f"{id_column} {point['external_id']!r} appears twice in the file (first at row "
                    f"{seen[point['external_id']]})"
                )
            seen[point["external_id"]] = number
        except InvalidInput as exc:
            report.rejected.append(Rejected(number, exc.detail))
            continue
        point["unit_code"], method = _match_unit(conn, row, point["name"], code_column, hint_code_column)
        point["unit_level"] = level_of_code(point["unit_code"]) if point["unit_code"] else None
        point["properties"] = {
            **{k: v for k, v in row.items() if k not in (lon_column, lat_column) and v not in ("", None)},
            "source_crs": crs,
            "match": method,
        }
        points.append(point)
    enforce_all_or_nothing(report, skip_invalid)
    unmatched = sum(1 for p in points if p["unit_code"] is None and (code_column or hint_code_column))
    if unmatched:
        report.notes.append(f"{unmatched} point(s) not matched to a current unit (kept without a unit)")
    report.inserted, report.updated, report.unchanged = queries.upsert_points(conn, source, points)
    audit.record_import(
        conn,
        path,
        report,
        importer="points",
        source=source,
        crs=crs,
        lon_column=lon_column,
        lat_column=lat_column,
        name_column=name_column,
        id_column=id_column,
        category_column=category_column,
        code_column=code_column,
        hint_code_column=hint_code_column,
        encoding=encoding,
        skip_invalid=skip_invalid,
        actor=actor,
        object_type="reference_point",
        object_id=str(path),
    )
    return report


def _point_row(
    row: dict[str, str],
    crs: str,
    lon_column: str,
    lat_column: str,
    name_column: str,
    id_column: str,
    category_column: str | None,
) -> dict[str, Any]:
    name = (row.get(name_column) or "").strip()
    external_id = (row.get(id_column) or "").strip()
    if not name or has_control_characters(name):
        raise InvalidInput(f"name {name!r} is empty or has control characters")
    if not external_id:
        raise InvalidInput(f"{id_column} is empty")
    values = []
    for column in (lon_column, lat_column):
        raw = (row.get(column) or "").strip()
        try:
            values.append(float(raw))
        except ValueError:
            raise InvalidInput(f"{column} {raw!r} is not a number") from None
    point = GeoPoint.from_input(values[0], values[1], crs)
    if not (73 <= point.lon <= 136 and 3 <= point.lat <= 54):
        raise InvalidInput(f"point ({values[0]}, {values[1]}) in {crs} lies far outside China — wrong CRS?")
    category = (row.get(category_column) or "").strip() or None if category_column else None
    return {"external_id": external_id, "name": name, "category": category, "lon": point.lon, "lat": point.lat}


def _match_unit(
    conn: Connection, row: dict[str, str], name: str, code_column: str | None, hint_code_column: str | None
) -> tuple[str | None, str]:
    """The current unit a point stands for, and how it was found.

    In order: a code (either column) whose current unit has the point's name; the one current unit of that
    name and level in the code's county; the vouched code (``code_column``) even though the names differ
    (a facility is not named after its village). A code is never taken on its word while a unit of the county
    carries the point's name: codes get reused (the township file's 2023 code for 乌兰镇 is NBS 2023's 棋盘井镇).
    """
    codes = []
    for column in (code_column, hint_code_column):
        raw = (row.get(column) or "").strip() if column else ""
        if raw.isdigit() and len(raw) in (6, 9, 12):
            codes.append((column == code_column, raw))
    units = [(trusted, boundaries.find_unit(conn, raw)) for trusted, raw in codes]
    for _, unit in units:
        if unit and core_name(unit["name"]) == core_name(name):
            return unit["code"], "code"
    for _, raw in codes:
        full = raw.ljust(12, "0")
        candidates = [
            u
            for u in boundaries.units_within(conn, full[:6], level_of_code(full))
            if core_name(u["name"]) == core_name(name)
        ]
        if len(candidates) == 1:
            return candidates[0]["code"], "name_within_county"
    for trusted, unit in units:
        if trusted and unit:
            return unit["code"], "code_name_differs"
    return None, "unmatched"


def reverse(conn: Connection, point: GeoPoint, *, as_of: date | None = None) -> dict[str, Any]:
    """The unit path at a point (deepest level with a polygon), then the nearest lower-level unit points."""
    path = boundaries.unit_path_at_point(conn, point, as_of=as_of)
    if not path:
        raise NotFound(f"no registered unit polygon contains lon {point.lon:.6f}, lat {point.lat:.6f} (EPSG:4490)")
    deepest = path[-1]
    found = queries.nearest_unit_points(
        conn,
        point.lon,
        point.lat,
        within=significant_code(deepest["code"]),
        levels=LEVELS_BELOW.get(deepest["level"], []),
    )
    units = boundaries.find_units(conn, [f["unit_code"] for f in found], as_of=as_of) if found else {}
    nearest = [
        {
            **boundaries.unit_summary_short(units[f["unit_code"]]),
            "relation": "nearest",
            "distance_m": round(float(f["distance_m"]), 1),
            "point": {"lon": f["lon"], "lat": f["lat"], "source": f["source"]},
            "note": "nearest unit point (an approximate seat), not a containing polygon",
        }
        for f in found
        if f["unit_code"] in units
    ]
    return {
        "lon": point.lon,
        "lat": point.lat,
        "crs": "EPSG:4490",
        "path": [{**unit, "relation": "contains"} for unit in path],
        "nearest": nearest,
    }


def point_count(conn: Connection) -> int:
    """Number of reference points loaded."""
    return queries.count_points(conn)


def list_points(conn: Connection, *, within: str = "", level: str | None = None) -> list[dict[str, Any]]:
    """Reference points (EPSG:4490 lon/lat) under a code prefix, optionally only those standing for a unit level."""
    return [dict(row) for row in queries.list_points(conn, within, level)]
