"""Topology checks of sibling units: run, store, read back (domain logic; no web framework here)."""

from __future__ import annotations

import math
from collections import defaultdict
from datetime import date
from typing import Any

import shapely
from shapely.geometry import mapping
from sqlalchemy.engine import Connection

from boundaries.checks import queries as check_queries
from boundaries.checks.topology import KINDS, Tolerances, analyse
from boundaries.polygons import queries as polygon_queries
from boundaries.units import queries
from boundaries.units.models import LEVELS
from boundaries.units.service import require_unit, unit_summary_short
from core import audit
from core.errors import InvalidInput, NotFound
from core.values import significant_code

MAX_GAP_WIDTH_M = 10_000.0  # gaps narrower than this are reported: by default every gap up to 10 km wide
MAX_SLIVER_AREA_M2 = 1e8  # 100 km²: larger pieces are not slivers by any reading
REGISTERED = "registered"
FINDINGS_SHOWN = 50


def check_tolerance(name: str, value: float, maximum: float) -> float:
    """A tolerance that is a finite number in [0, maximum], or InvalidInput naming it."""
    if value is None or not math.isfinite(value) or value < 0 or value > maximum:
        raise InvalidInput(f"{name} {value!r} must be a number between 0 and {maximum:g}")
    return float(value)


def check_level(level: str) -> str:
    """A known administrative level, or InvalidInput listing them."""
    if level not in LEVELS:
        raise InvalidInput(f"level {level!r} is not one of {', '.join(LEVELS)}")
    return level


def check_source(conn: Connection, source: str) -> str:
    """``registered`` or the name of a loaded polygon source."""
    if source != REGISTERED and not check_queries.source_exists(conn, source):
        raise InvalidInput(f"no polygon has source {source!r}; give 'registered' or a loaded source name")
    return source


def member_units(conn: Connection, parent: str | None, level: str, day: date) -> tuple[dict[str, Any] | None, list]:
    """The parent unit (None for all units of the level) and its descendants of ``level`` on the date."""
    check_level(level)
    if parent is None:
        members = queries.units_within(conn, "", level, day)
        if not members:
            raise InvalidInput(f"no units of level {level} are loaded on {day}")
        return None, members
    row = require_unit(conn, parent, day)
    if LEVELS.index(row["level"]) >= LEVELS.index(level):
        raise InvalidInput(f"unit {row['code']} {row['name']} is a {row['level']}: level {level} is not below it")
    members = queries.units_within(conn, significant_code(row["code"]), level, day)
    if not members:
        raise InvalidInput(f"unit {row['code']} {row['name']} has no units of level {level} on {day}")
    return dict(row), members


def run_topology_check(
    conn: Connection,
    *,
    parent: str | None,
    level: str,
    source: str = REGISTERED,
    gap_width_m: float = MAX_GAP_WIDTH_M,
    sliver_area_m2: float = 100.0,
    as_of: date | None = None,
    actor: str,
) -> dict[str, Any]:
    """Check the polygons of ``level`` under ``parent`` (from ``source``) against each other and the parent's
    registered polygon; store the check with its findings and return it."""
    tolerances = Tolerances(
        check_tolerance("gap_width_m", gap_width_m, MAX_GAP_WIDTH_M),
        check_tolerance("sliver_area_m2", sliver_area_m2, MAX_SLIVER_AREA_M2),
    )
    day = as_of or date.today()
    check_source(conn, source)
    parent_row, members = member_units(conn, parent, level, day)
    codes = [m["code"] for m in members]
    polygons = check_queries.polygons_of(conn, codes, source, day)
    if not polygons:
        raise InvalidInput(f"none of the {len(codes)} units of level {level} has a polygon from {source!r} on {day}")
    present = [c for c in codes if c in polygons]
    parent_polygon = polygon_queries.registered_polygon(conn, parent_row["code"], day) if parent_row else None
    result = analyse(
        present,
        [shapely.from_wkb(polygons[c]["wkb"]) for c in present],
        shapely.from_wkb(parent_polygon["wkb"]) if parent_polygon else None,
        tolerances,
        originals=[
            shapely.from_wkb(polygons[c]["original_wkb"]) if polygons[c]["original_wkb"] else None for c in present
        ],
    )
    # Per unit, the ground its own polygon covers (overlaps, spill; pieces are cut along unit edges): gaps and
    # uncovered parent area are nobody's and only name their neighbours.
    by_unit: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for finding in result.findings:
        if finding.piece in ("overlap", "outside_parent"):
            for code in finding.units:
                by_unit[code][finding.kind] += finding.area_m2 or 0.0
    summary = {
        "units": len(codes),
        "units_with_polygon": len(present),
        "units_without_polygon": [c for c in codes if c not in polygons],
        "polygon_sources": sorted({polygons[c]["source"] for c in present}),
        "parent_polygon_source": parent_polygon["source"] if parent_polygon else None,
        "metric_crs": result.metric_crs,
        "faces": result.faces,
        "snapped_faces": result.snapped,
        "by_kind": result.summary(),
        "slivers_by_piece": result.slivers_by_piece(),
        "wide_gaps": {"count": result.wide_gaps, "area_m2": round(result.wide_gap_area_m2, 3)},
        "by_unit": {code: {k: round(v, 1) for k, v in kinds.items()} for code, kinds in sorted(by_unit.items())},
    }
    values = {
        "parent_code": parent_row["code"] if parent_row else None,
        "level": level,
        "source": source,
        "as_of": day,
        "gap_width_m": tolerances.gap_width_m,
        "sliver_area_m2": tolerances.sliver_area_m2,
        "summary": summary,
        "created_by": actor,
    }
    check_id = check_queries.insert_check(conn, values)
    check_queries.insert_findings(conn, check_id, result.findings)
    audit.record(
        conn,
        actor=actor,
        action="check",
        object_type="boundary_check",
        object_id=str(check_id),
        after={k: v for k, v in values.items() if k != "summary"} | {"by_kind": summary["by_kind"]},
    )
    return get_check(conn, check_id)


def require_check(conn: Connection, check_id: int) -> Any:
    """The stored check, or NotFound."""
    row = check_queries.check(conn, check_id)
    if row is None:
        raise NotFound(f"no topology check {check_id}")
    return row


def list_checks(conn: Connection, limit: int = 50) -> list[dict[str, Any]]:
    """The latest stored checks, newest first (id, parent, level, source, date, counts per kind): what the map
    viewer and an office list to pick one from."""
    return [dict(row) for row in check_queries.recent_checks(conn, limit)]


def get_check(
    conn: Connection, check_id: int, *, kind: str | None = None, limit: int = FINDINGS_SHOWN, offset: int = 0
) -> dict[str, Any]:
    """A stored check with its summary and its findings (largest first, a point on each, no geometry)."""
    row = require_check(conn, check_id)
    if kind is not None and kind not in KINDS:
        raise InvalidInput(f"kind {kind!r} is not one of {', '.join(KINDS)}")
    parent = None
    if row["parent_code"]:
        unit = queries.unit_at(conn, row["parent_code"], row["as_of"])
        parent = unit_summary_short(unit) if unit else {"code": row["parent_code"]}
    found = check_queries.findings(conn, check_id, kind=kind, limit=limit, offset=offset)
    return {
        "id": row["id"],
        "parent": parent,
        "level": row["level"],
        "source": row["source"],
        "as_of": row["as_of"],
        "gap_width_m": row["gap_width_m"],
        "sliver_area_m2": row["sliver_area_m2"],
        "summary": row["summary"],
        "created_by": row["created_by"],
        "created_at": row["created_at"],
        "findings": [_finding_out(f) for f in found],
    }


def findings_geojson(
    conn: Connection, check_id: int, *, kind: str | None = None, limit: int = 10_000, offset: int = 0
) -> dict[str, Any]:
    """The findings of a check as a GeoJSON FeatureCollection (RFC 7946 lon/lat)."""
    require_check(conn, check_id)
    if kind is not None and kind not in KINDS:
        raise InvalidInput(f"kind {kind!r} is not one of {', '.join(KINDS)}")
    found = check_queries.findings(conn, check_id, kind=kind, limit=limit, offset=offset)
    return {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "id": f["id"],
                "geometry": mapping(shapely.from_wkb(f["wkb"])),
                "properties": _finding_out(f),
            }
            for f in found
        ],
    }


def _finding_out(row: Any) -> dict[str, Any]:
    return {
        "id": row["id"],
        "kind": row["kind"],
        "piece": row["piece"],
        "units": list(row["unit_codes"]),
        "area_m2": None if row["area_m2"] is None else round(row["area_m2"], 3),
        "width_m": None if row["width_m"] is None else round(row["width_m"], 3),
        "thinness": None if row["thinness"] is None else round(row["thinness"], 4),
        "detail": row["detail"],
        "point": [round(row["lon"], 7), round(row["lat"], 7)],
    }
