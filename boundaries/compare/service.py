"""Two versions of the same units compared: the disputed pieces (ground the versions give to different units)
and, per line two units share, the largest offset between the versions (Hausdorff distance in metres).

The versions are two polygon sources (e.g. AMap 2020 registered against DataV 2021), or the registered polygons
with one unit's polygon replaced by a claimed one (uploaded as GeoJSON in a stated CRS). The places and
facilities inside the pieces are not looked up here (boundaries sits below the gazetteer and the facilities): the
caller passes a function that finds them, and they are stored with the pieces as found that day.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import date
from typing import Any

import numpy as np
import shapely
import shapely.affinity
from shapely.geometry import mapping
from shapely.geometry.base import BaseGeometry
from sqlalchemy.engine import Connection

from boundaries.checks import queries as check_queries
from boundaries.checks.metric import SNAP_M, MetricFrame, frame_for
from boundaries.checks.service import REGISTERED, check_source, check_tolerance, member_units
from boundaries.checks.topology import polygonal
from boundaries.compare import queries as compare_queries
from boundaries.compare.offset import systematic_offset, without_offset
from boundaries.compare.pieces import disputed_pieces, line_offsets, total_of
from boundaries.polygons.reading import check_polygon, parse_geojson_geometry
from boundaries.units import queries
from boundaries.units.service import require_unit, unit_summary_short
from core import audit
from core.crs import parse_crs
from core.errors import InvalidInput, NotFound

MAX_TOLERANCE_M2 = 1e8
PIECES_SHOWN = 100
MAX_LABEL_LENGTH = 100

# Given the pieces' geometries (lon/lat), what lies inside each: {"places": [...], "facilities": [...]}.
ContentsFinder = Callable[[Sequence[BaseGeometry]], Sequence[Mapping[str, list[dict[str, Any]]]]]


# --- service ------------------------------------------------------------------------------------------
def _layer(conn: Connection, codes: list[str], source: str, day: date) -> dict[str, BaseGeometry]:
    polygons = check_queries.polygons_of(conn, codes, source, day)
    return {code: shapely.from_wkb(polygons[code]["wkb"]) for code in codes if code in polygons}


def _projected(layer: dict[str, BaseGeometry], frame: MetricFrame) -> dict[str, BaseGeometry]:
    return dict(zip(layer, frame.forward(np.array(list(layer.values()), dtype=object)), strict=True))


def compare_sources(
    conn: Connection,
    *,
    parent: str,
    level: str,
    first: str = REGISTERED,
    second: str,
    tolerance_m2: float = 10_000.0,
    as_of: date | None = None,
    actor: str,
    contents: ContentsFinder | None = None,
) -> dict[str, Any]:
    """Compare two polygon sources for the units of ``level`` under ``parent``; store and return the result
    (with what ``contents`` finds inside each piece; None stores the pieces without looking). Each unit's
    second polygon is snapped onto its first within :data:`SNAP_M`."""
    tolerance = check_tolerance("tolerance_m2", tolerance_m2, MAX_TOLERANCE_M2)
    day = as_of or date.today()
    check_source(conn, first)
    check_source(conn, second)
    if first == second:
        raise InvalidInput(f"both versions are {first!r}: compare two different sources")
    parent_row, members = member_units(conn, parent, level, day)
    codes = [m["code"] for m in members]
    layer_1, layer_2 = _layer(conn, codes, first, day), _layer(conn, codes, second, day)
    for label, layer in ((first, layer_1), (second, layer_2)):
        if not layer:
            raise InvalidInput(f"none of the {len(codes)} units of level {level} has a polygon from {label!r} on {day}")
    frame = frame_for(np.array(list(layer_1.values()), dtype=object))
    metric_1, metric_2 = _projected(layer_1, frame), _projected(layer_2, frame)
    metric_2 = {c: polygonal(shapely.snap(g, metric_1[c], SNAP_M)) if c in metric_1 else g for c, g in metric_2.items()}
    return _store(conn, parent_row, level, first, second, metric_1, metric_2, frame, tolerance, day, actor, contents)


def compare_claim(
    conn: Connection,
    *,
    unit: str,
    geometry: dict[str, Any],
    crs: str | None,
    label: str = "claim",
    tolerance_m2: float = 10_000.0,
    as_of: date | None = None,
    actor: str,
    contents: ContentsFinder | None = None,
) -> dict[str, Any]:
    """Compare a claimed polygon of ``unit`` (GeoJSON in ``crs``) with the registered polygons of the unit and
    its siblings: the claim replaces the unit's polygon and takes precedence over its neighbours'. Claim
    vertices within :data:`SNAP_M` of the registered polygon's edges are snapped onto them. A unit whose parent
    is not loaded is compared alone (the parent only says who the neighbours are)."""
    tolerance = check_tolerance("tolerance_m2", tolerance_m2, MAX_TOLERANCE_M2)
    if not label.strip() or len(label) > MAX_LABEL_LENGTH:
        raise InvalidInput(f"label {label!r} must be 1 to {MAX_LABEL_LENGTH} characters")
    if not crs:
        raise InvalidInput("the claim states no CRS: give crs (e.g. EPSG:4490, EPSG:4546 or GCJ-02)")
    day = as_of or date.today()
    row = require_unit(conn, unit, day)
    source_geom, geom = parse_geojson_geometry(geometry, crs)
    claim = check_polygon(row["code"], source_geom, geom, "refuse", parse_crs(crs)).geom
    parent_row = queries.unit_at(conn, row["parent_code"], day) if row["parent_code"] else None
    codes = [row["code"]]
    if parent_row is not None:
        _, members = member_units(conn, parent_row["code"], row["level"], day)
        codes = [m["code"] for m in members]
    registered = _layer(conn, codes, REGISTERED, day)
    if row["code"] not in registered:
        raise InvalidInput(f"unit {row['code']} {row['name']} has no registered polygon on {day} to compare with")
    frame = frame_for(np.array([registered[row["code"]]], dtype=object))
    metric = _projected(registered, frame)
    (metric_claim,) = frame.forward(np.array([claim], dtype=object))
    metric_claim = polygonal(shapely.snap(metric_claim, metric[row["code"]], SNAP_M))
    claimed = {c: shapely.difference(g, metric_claim) for c, g in metric.items() if c != row["code"]}
    claimed = {row["code"]: metric_claim} | {c: g for c, g in claimed.items() if not g.is_empty}
    second = f"{label}:{row['code']}"
    return _store(
        conn, parent_row, row["level"], REGISTERED, second, metric, claimed, frame, tolerance, day, actor, contents
    )


def _store(
    conn: Connection,
    parent_row: Any,
    level: str,
    first: str,
    second: str,
    layer_1: dict[str, BaseGeometry],
    layer_2: dict[str, BaseGeometry],
    frame: MetricFrame,
    tolerance: float,
    day: date,
    actor: str,
    contents: ContentsFinder | None,
) -> dict[str, Any]:
    offset = systematic_offset(layer_1, layer_2, frame)
    if offset is not None:
        offset["after_removal"] = without_offset(layer_1, layer_2, offset, frame, tolerance)
    pieces, small_count, small_area = disputed_pieces(layer_1, layer_2, tolerance, frame)
    lines = line_offsets(layer_1, layer_2, frame)
    shapes = list(frame.inverse(np.array([p.geometry for p in pieces], dtype=object))) if pieces else []
    inside: Sequence[Mapping[str, list[dict[str, Any]] | None]] = [{"places": None, "facilities": None}] * len(pieces)
    if contents is not None:
        inside = contents(shapes)
    by_pair: dict[str, dict[str, float]] = {}
    for piece in pieces:
        key = f"{piece.first or '-'}>{piece.second or '-'}"
        entry = by_pair.setdefault(key, {"count": 0, "area_m2": 0.0})
        entry["count"] += 1
        entry["area_m2"] = round(entry["area_m2"] + piece.area_m2, 1)
    summary: dict[str, Any] = {
        "systematic_offset": offset,
        "metric_crs": frame.name,
        "units_first": len(layer_1),
        "units_second": len(layer_2),
        "disputed": total_of(pieces),
        "between_units": total_of([p for p in pieces if p.first and p.second]),
        "outer": total_of([p for p in pieces if not (p.first and p.second)]),
        "below_tolerance": {"count": small_count, "area_m2": round(small_area, 1)},
        "by_pair": by_pair,
        "lines": lines,
        "max_hausdorff_m": max((line["hausdorff_m"] for line in lines), default=None),
        "inside": {
            key: sum(len(found[key] or []) for found in inside) if contents else None
            for key in ("places", "facilities")
        },
    }
    values = {
        "parent_code": parent_row["code"] if parent_row is not None else None,
        "level": level,
        "first_label": first,
        "second_label": second,
        "as_of": day,
        "tolerance_m2": tolerance,
        "summary": summary,
        "created_by": actor,
    }
    comparison_id = compare_queries.insert_comparison(conn, values)
    compare_queries.insert_pieces(
        conn,
        comparison_id,
        [
            (p.first, p.second, p.area_m2, shape, found["places"], found["facilities"])
            for p, shape, found in zip(pieces, shapes, inside, strict=True)
        ],
    )
    audit.record(
        conn,
        actor=actor,
        action="compare",
        object_type="boundary_comparison",
        object_id=str(comparison_id),
        after={k: v for k, v in values.items() if k != "summary"} | {"disputed": summary["disputed"]},
    )
    return get_comparison(conn, comparison_id)


def list_comparisons(conn: Connection, limit: int = 50) -> list[dict[str, Any]]:
    """The latest stored comparisons, newest first (id, parent, level, the two versions, date, disputed totals,
    systematic offset if any)."""
    return [dict(row) for row in compare_queries.recent_comparisons(conn, limit)]


def get_comparison(conn: Connection, comparison_id: int, *, limit: int | None = PIECES_SHOWN) -> dict[str, Any]:
    """A stored comparison with its disputed pieces (largest first, all when ``limit`` is None; GeoJSON lon/lat)
    and the places and facilities stored with each (None: not looked up when it was made)."""
    row = compare_queries.comparison(conn, comparison_id)
    if row is None:
        raise NotFound(f"no comparison {comparison_id}")
    parent = None
    if row["parent_code"]:
        unit = queries.unit_at(conn, row["parent_code"], row["as_of"])
        parent = unit_summary_short(unit) if unit else {"code": row["parent_code"]}
    return {
        "id": row["id"],
        "parent": parent,
        "level": row["level"],
        "first": row["first_label"],
        "second": row["second_label"],
        "as_of": row["as_of"],
        "tolerance_m2": row["tolerance_m2"],
        "summary": row["summary"],
        "created_by": row["created_by"],
        "created_at": row["created_at"],
        "pieces": [
            {
                "id": p["id"],
                "first_unit": p["first_unit"],
                "second_unit": p["second_unit"],
                "area_m2": round(p["area_m2"], 1),
                "point": [round(p["lon"], 7), round(p["lat"], 7)],
                "geometry": mapping(shapely.from_wkb(p["wkb"])),
                "places": p["places"],
                "facilities": p["facilities"],
            }
            for p in compare_queries.pieces(conn, comparison_id, limit)
        ],
    }


def pieces_geojson(conn: Connection, comparison_id: int) -> dict[str, Any]:
    """Every disputed piece of a stored comparison as a GeoJSON FeatureCollection (RFC 7946 lon/lat), largest
    first; each feature's properties say which unit each version gives it to and what was found inside."""
    comparison = get_comparison(conn, comparison_id, limit=None)
    versions = {"comparison_id": comparison["id"], "first": comparison["first"], "second": comparison["second"]}
    return {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "id": piece["id"],
                "geometry": piece["geometry"],
                "properties": versions | {k: v for k, v in piece.items() if k != "geometry"},
            }
            for piece in comparison["pieces"]
        ],
    }
