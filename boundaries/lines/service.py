"""Boundary lines derived from registered polygons, their markers (界桩, imported from CSV), and what lies at a
point: unit, nearest line, disputed pieces and open dispute cases (domain logic; no web framework here)."""

from __future__ import annotations

import tempfile
from datetime import date
from pathlib import Path
from typing import Any

import shapely
from pyproj import Geod
from shapely.geometry import mapping
from shapely.geometry.base import BaseGeometry
from sqlalchemy.engine import Connection

from boundaries.checks import queries as check_queries
from boundaries.checks.service import REGISTERED, member_units
from boundaries.compare.pieces import SHARED_EDGE_DEG, shared_line
from boundaries.lines import queries as line_queries
from boundaries.lines.models import MARKER_TYPES
from boundaries.polygons.service import units_at_point
from boundaries.units.service import require_known_unit
from core import audit
from core.crs import parse_crs
from core.database import hold_import_lock
from core.errors import InvalidInput, NotFound
from core.geodesy import geodesic_length_m
from core.imports import (
    ImportReport,
    Rejected,
    enforce_all_or_nothing,
    file_checksum,
    has_control_characters,
    read_csv,
    require_file,
)
from core.values import GeoPoint, normalize_code

GRS80 = Geod(ellps="GRS80")
MAX_MARKER_OFFSET_M = 1000.0  # a marker's agreed position further from its line points to a wrong line or CRS
MARKER_COLUMNS = ("number", "unit_a", "unit_b", "type", "x", "y", "crs")


def line_key(left: str, right: str | None) -> str:
    """The key of the line between two units (in code order), or of a unit's outer line."""
    if right is None:
        return f"{left}|outer"
    low, high = sorted((left, right))
    return f"{low}|{high}"


def derive_lines(conn: Connection, *, parent: str, level: str, as_of: date | None = None, actor: str) -> dict[str, Any]:
    """Derive (or re-derive) the lines between neighbouring units of ``level`` under ``parent`` from their
    registered polygons, and each unit's outer line; agreement references of existing lines are kept."""
    day = as_of or date.today()
    _, members = member_units(conn, parent, level, day)
    codes = [m["code"] for m in members]
    polygons = check_queries.polygons_of(conn, codes, REGISTERED, day)
    if not polygons:
        raise InvalidInput(f"none of the {len(codes)} units of level {level} has a registered polygon on {day}")
    present = [c for c in codes if c in polygons]
    geoms = {c: shapely.from_wkb(polygons[c]["wkb"]) for c in present}
    found: list[tuple[str, str | None, BaseGeometry, str]] = []
    tree = shapely.STRtree([geoms[c] for c in present])
    shared_of: dict[str, list[BaseGeometry]] = {c: [] for c in present}
    for i, j in zip(*tree.query([geoms[c] for c in present], predicate="intersects"), strict=True):
        if i >= j:
            continue
        u, v = present[i], present[j]
        line = shared_line(geoms[u], geoms[v])
        if line.length > 0:
            found.append((u, v, line, f"{polygons[u]['source']}/{polygons[v]['source']}"))
            shared_of[u].append(line)
            shared_of[v].append(line)
    for code in present:
        along = shapely.buffer(shapely.union_all(shared_of[code]), 2 * SHARED_EDGE_DEG) if shared_of[code] else None
        outer = (
            shapely.boundary(geoms[code]) if along is None else shapely.difference(shapely.boundary(geoms[code]), along)
        )
        parts = [g for g in shapely.get_parts(outer) if g.geom_type in ("LineString", "LinearRing") and g.length > 0]
        if parts:
            found.append((code, None, shapely.line_merge(shapely.MultiLineString(parts)), polygons[code]["source"]))
    inserted = 0
    lines = []
    for left, right, geom, sources in found:
        multi = geom if geom.geom_type == "MultiLineString" else shapely.MultiLineString([geom])
        length_km = geodesic_length_m(multi) / 1000
        values = {
            "line_key": line_key(left, right),
            "kind": "outer" if right is None else "shared",
            "left_code": left,
            "right_code": right,
            "sources": sources,
            "length_km": length_km,
            "as_of": day,
            "geom": multi,
        }
        line_id, new = line_queries.upsert_line(conn, values)
        inserted += new
        lines.append(
            {"id": line_id, "line_key": values["line_key"], "kind": values["kind"], "length_km": round(length_km, 3)}
        )
    result = {"units": len(present), "lines": len(lines), "inserted": inserted, "updated": len(lines) - inserted}
    audit.record(conn, actor=actor, action="derive", object_type="boundary_line", object_id=parent, after=result)
    return {**result, "derived": lines}


def rederive_lines(
    conn: Connection, *, parent: str, level: str, as_of: date, abolished: list[str], actor: str
) -> dict[str, Any]:
    """After a division change effective ``as_of``: derive again the lines of ``level`` under ``parent`` and delete
    the lines of the ``abolished`` units (a line carrying markers is kept and named, for the office to settle)."""
    deleted, kept = line_queries.delete_lines_of(conn, abolished) if abolished else ([], [])
    derived = derive_lines(conn, parent=parent, level=level, as_of=as_of, actor=actor)
    return {**derived, "deleted": deleted, "kept_with_markers": kept}


def _line_out(row: Any, with_geometry: bool = True) -> dict[str, Any]:
    out = {
        "id": row["id"],
        "line_key": row["line_key"],
        "kind": row["kind"],
        "units": [row["left_code"], row["right_code"]] if row["right_code"] else [row["left_code"]],
        "sources": row["sources"],
        "length_km": round(row["length_km"], 3),
        "agreement_ref": row["agreement_ref"],
        "as_of": row["as_of"],
    }
    if with_geometry:
        out["geometry"] = mapping(shapely.from_wkb(row["wkb"]))
    return out


def list_lines(conn: Connection, *, unit: str | None = None, with_geometry: bool = True) -> list[dict[str, Any]]:
    """The lines of a unit (on either side), or every line."""
    code = require_known_unit(conn, unit) if unit else None
    return [_line_out(r, with_geometry) for r in line_queries.lines_of(conn, code)]


def get_line(conn: Connection, line_id: int) -> dict[str, Any]:
    """One line with its geometry and markers."""
    row = line_queries.line(conn, line_id)
    if row is None:
        raise NotFound(f"no boundary line {line_id}")
    return {
        **_line_out(row),
        "markers": [_marker_out(m) for m in line_queries.markers(conn, line_id=line_id, unit=None)],
    }


def set_agreement(conn: Connection, line_id: int, agreement_ref: str | None, *, actor: str) -> dict[str, Any]:
    """Record the agreement document (e.g. 勘界协议书 number) a line rests on."""
    if agreement_ref is not None and (not agreement_ref.strip() or has_control_characters(agreement_ref)):
        raise InvalidInput(f"agreement_ref {agreement_ref!r} must be a non-blank single line")
    before = line_queries.set_agreement(conn, line_id, agreement_ref)
    if before is None:
        raise NotFound(f"no boundary line {line_id}")
    audit.record(
        conn,
        actor=actor,
        action="update",
        object_type="boundary_line",
        object_id=str(line_id),
        before={"agreement_ref": before["agreement_ref"]},
        after={"agreement_ref": agreement_ref},
    )
    return get_line(conn, line_id)


# --- markers ------------------------------------------------------------------------------------------
def _marker_out(row: Any) -> dict[str, Any]:
    return {
        "id": row["id"],
        "number": row["number"],
        "line_id": row["line_id"],
        "line_key": row["line_key"],
        "type": row["marker_type"],
        "agreed": {"x": row["agreed_x"], "y": row["agreed_y"], "crs": row["agreed_crs"]},
        "lon": round(row["lon"], 8),
        "lat": round(row["lat"], 8),
        "description": row["description"],
    }


def distance_to_line_m(lon: float, lat: float, line: BaseGeometry) -> float:
    """Ellipsoidal distance in metres from a point to the nearest point of a line (lon/lat)."""
    nearest = shapely.shortest_line(shapely.Point(lon, lat), line)
    (x1, y1), (x2, y2) = nearest.coords
    return float(GRS80.inv(x1, y1, x2, y2)[2])


def import_markers(
    conn: Connection, path: Path, *, encoding: str | None = None, skip_invalid: bool = False, actor: str = "cli"
) -> ImportReport:
    """Load markers from CSV (number, unit_a, unit_b — empty for an outer line —, type, x, y, crs, description):
    every row is checked first (line exists, coordinates valid, within 1 km of the line); all or nothing."""
    report = ImportReport(source=require_file(path).name, checksum=file_checksum(path))
    hold_import_lock(conn, "markers", path.name)
    rows = read_csv(path, MARKER_COLUMNS, encoding)
    parsed: list[tuple[int, dict[str, Any], str]] = []
    seen: dict[str, int] = {}
    for number, raw in enumerate(rows, start=1):
        report.read += 1
        try:
            values, key = _marker_row(raw)
            if values["number"] in seen:
                raise InvalidInput(f"marker {values['number']} appears twice (first on row {seen[values['number']]})")
            seen[values["number"]] = number
            parsed.append((number, values, key))
        except InvalidInput as exc:
            report.rejected.append(Rejected(number, exc.detail))
    lines = line_queries.lines_by_key(conn, [key for _, _, key in parsed])
    good: list[dict[str, Any]] = []
    for number, values, key in parsed:
        line = lines.get(key)
        if line is None:
            report.rejected.append(
                Rejected(number, f"marker {values['number']}: no boundary line {key} (derive lines first)")
            )
            continue
        offset = distance_to_line_m(values["lon"], values["lat"], shapely.from_wkb(line["wkb"]))
        if offset > MAX_MARKER_OFFSET_M:
            report.rejected.append(
                Rejected(
                    number,
                    f"marker {values['number']} lies {offset:,.0f} m from line {key} (more than "
                    f"{MAX_MARKER_OFFSET_M:,.0f} m): wrong line or wrong CRS?",
                )
            )
            continue
        good.append({**values, "line_id": line["id"]})
    report.rejected.sort(key=lambda r: r.row)
    enforce_all_or_nothing(report, skip_invalid)
    stored = line_queries.markers_by_number(conn, [g["number"] for g in good])
    for values in good:
        old = stored.get(values["number"])
        if old is not None and _same_marker(old, values):
            report.unchanged += 1
            continue
        line_queries.upsert_marker(conn, values)
        if old is None:
            report.inserted += 1
        else:
            report.updated += 1
    audit.record_import(
        conn,
        path,
        report,
        importer="markers",
        encoding=encoding,
        skip_invalid=skip_invalid,
        actor=actor,
        object_type="boundary_marker",
        object_id=str(path),
    )
    return report


def import_markers_content(
    conn: Connection, content: bytes, *, name: str, skip_invalid: bool = False, actor: str
) -> ImportReport:
    """Import markers from CSV bytes received over HTTP (see :func:`import_markers`)."""
    if "/" in name or "\\" in name or name.startswith(".") or has_control_characters(name) or len(name.encode()) > 255:
        raise InvalidInput(f"name {name!r} must be a plain file name (no control characters, at most 255 bytes)")
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / name
        path.write_bytes(content)
        return import_markers(conn, path, skip_invalid=skip_invalid, actor=actor)


def _same_marker(old: Any, new: dict[str, Any]) -> bool:
    fields = ("line_id", "marker_type", "agreed_x", "agreed_y", "agreed_crs", "description")
    return all(old[f] == new[f] for f in fields)


def _marker_row(raw: dict[str, str]) -> tuple[dict[str, Any], str]:
    number = (raw.get("number") or "").strip()
    if not number or has_control_characters(number) or len(number) > 50:
        raise InvalidInput(f"marker number {number!r} must be 1–50 printable characters")
    unit_a = normalize_code(raw["unit_a"])
    unit_b = normalize_code(raw["unit_b"]) if (raw.get("unit_b") or "").strip() else None
    if unit_a == unit_b:
        raise InvalidInput(f"marker {number}: unit_a and unit_b are the same unit {unit_a}")
    marker_type = (raw.get("type") or "").strip()
    if marker_type not in MARKER_TYPES:
        raise InvalidInput(f"marker {number}: type {marker_type!r} is not one of {', '.join(MARKER_TYPES)}")
    try:
        x, y = float(raw["x"]), float(raw["y"])
    except ValueError:
        raise InvalidInput(f"marker {number}: coordinates ({raw['x']!r}, {raw['y']!r}) are not numbers") from None
    crs = (raw.get("crs") or "").strip()
    point = GeoPoint.from_input(x, y, crs)
    description = (raw.get("description") or "").strip()
    values = {
        "number": number,
        "marker_type": marker_type,
        "agreed_x": x,
        "agreed_y": y,
        "agreed_crs": parse_crs(crs),
        "description": description,
        "lon": point.lon,
        "lat": point.lat,
    }
    return values, line_key(unit_a, unit_b)


def list_markers(conn: Connection, *, line_id: int | None = None, unit: str | None = None) -> list[dict[str, Any]]:
    """Markers of a line, of a unit's lines, or all, by number."""
    code = require_known_unit(conn, unit) if unit else None
    return [_marker_out(m) for m in line_queries.markers(conn, line_id=line_id, unit=code)]


def get_marker(conn: Connection, marker_id: int) -> dict[str, Any]:
    """One marker."""
    row = line_queries.marker(conn, marker_id)
    if row is None:
        raise NotFound(f"no boundary marker {marker_id}")
    return _marker_out(row)


# --- what lies at a point -----------------------------------------------------------------------------
def at_point(conn: Connection, point: GeoPoint, *, as_of: date | None = None) -> dict[str, Any]:
    """The units containing the point, the nearest boundary line and its distance (m), and whether the point lies
    in a disputed piece of a stored comparison or in an open dispute case."""
    nearest = line_queries.nearest_lines(conn, point.lon, point.lat)
    pieces = [dict(r) for r in line_queries.pieces_at(conn, point.lon, point.lat)]
    cases = [dict(r) for r in line_queries.open_cases_at(conn, point.lon, point.lat)]
    line = None
    if nearest:
        line = {**_line_out(nearest[0], with_geometry=False), "distance_m": round(float(nearest[0]["distance_m"]), 1)}
    return {
        "lon": point.lon,
        "lat": point.lat,
        "units": units_at_point(conn, point, as_of=as_of),
        "nearest_line": line,
        "disputed_pieces": pieces,
        "open_disputes": cases,
        "in_dispute": bool(pieces or cases),
    }
