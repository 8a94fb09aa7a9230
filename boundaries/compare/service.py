"""Two versions of the same units compared: the disputed pieces (ground the versions give to different units)
and, per line two units share, the largest offset between the versions (Hausdorff distance in metres).

The versions are two polygon sources (e.g. AMap 2020 registered against DataV 2021), or the registered polygons
with one unit's polygon replaced by a claimed one (uploaded as GeoJSON in a stated CRS). The places and
facilities inside the pieces are not looked up here (boundaries sits below the gazetteer and the facilities): the
caller passes a function that finds them, and they are stored with the pieces as found that day.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
import shapely
import shapely.affinity
from numpy.typing import NDArray
from shapely.geometry import mapping
from shapely.geometry.base import BaseGeometry
from sqlalchemy.engine import Connection

from boundaries.checks import queries as check_queries
from boundaries.checks.metric import SNAP_M, MetricFrame, frame_for
from boundaries.checks.service import REGISTERED, check_source, check_tolerance, member_units
from boundaries.checks.topology import polygonal
from boundaries.compare import queries as compare_queries
from boundaries.polygons.reading import check_polygon, parse_geojson_geometry
from boundaries.units import queries
from boundaries.units.service import require_unit, unit_summary_short
from core import audit
from core.crs import STORAGE_CRS, gcj02_to_bd09, parse_crs, transform_geometry, wgs84_to_gcj02
from core.errors import InvalidInput, NotFound

MAX_TOLERANCE_M2 = 1e8
PIECES_SHOWN = 100
# Half a decimetre in degrees: how close a neighbour's lon/lat polygon must run to a unit's edge for the edge to
# be shared (the plane comparisons here use SNAP_M metres).
SHARED_EDGE_DEG = 5e-7
MAX_LABEL_LENGTH = 100

# Given the pieces' geometries (lon/lat), what lies inside each: {"places": [...], "facilities": [...]}.
ContentsFinder = Callable[[Sequence[BaseGeometry]], Sequence[Mapping[str, list[dict[str, Any]]]]]


@dataclass(frozen=True)
class Piece:
    """Ground the first version gives to ``first`` and the second to ``second`` (None: to no unit); the
    geometry is in the run's metric plane."""

    first: str | None
    second: str | None
    geometry: BaseGeometry
    area_m2: float


def disputed_pieces(
    first: dict[str, BaseGeometry], second: dict[str, BaseGeometry], tolerance_m2: float, frame: MetricFrame
) -> tuple[list[Piece], int, float]:
    """The pieces of at least ``tolerance_m2`` the versions (in ``frame``'s plane) assign differently; also the
    count and area of the smaller pieces left out."""
    codes_1, geoms_1 = list(first), np.array(list(first.values()), dtype=object)
    codes_2, geoms_2 = list(second), np.array(list(second.values()), dtype=object)
    found: list[tuple[str | None, str | None, BaseGeometry]] = []
    if len(geoms_1) and len(geoms_2):
        left, right = shapely.STRtree(geoms_2).query(geoms_1, predicate="intersects")
        for i, j in zip(left, right, strict=True):
            if codes_1[i] != codes_2[j]:
                found.append((codes_1[i], codes_2[j], shapely.intersection(geoms_1[i], geoms_2[j])))
    union_1, union_2 = shapely.union_all(geoms_1), shapely.union_all(geoms_2)
    found += [(c, None, shapely.difference(g, union_2)) for c, g in zip(codes_1, geoms_1, strict=True)]
    found += [(None, c, shapely.difference(g, union_1)) for c, g in zip(codes_2, geoms_2, strict=True)]
    if not found:
        return [], 0, 0.0
    parts, owner = shapely.get_parts(np.array([polygonal(g) for _, _, g in found], dtype=object), return_index=True)
    # Units that touch meet in lines and points: only areas are pieces.
    real = (shapely.get_type_id(parts) == shapely.GeometryType.POLYGON) & ~shapely.is_empty(parts)
    parts, owner = parts[real], owner[real]
    areas = frame.area_m2(parts)
    keep = areas >= tolerance_m2
    pieces = [
        Piece(found[o][0], found[o][1], p, float(a)) for p, o, a, k in zip(parts, owner, areas, keep, strict=True) if k
    ]
    pieces.sort(key=lambda piece: -piece.area_m2)
    return pieces, int((~keep).sum()), float(areas[~keep].sum())


def shared_line(a: BaseGeometry, b: BaseGeometry, within: float = SHARED_EDGE_DEG) -> BaseGeometry:
    """The part of ``a``'s boundary that runs within ``within`` (in the geometries' units; the default is for
    lon/lat) of ``b`` (empty when they are not neighbours)."""
    edge = shapely.intersection(shapely.boundary(a), shapely.buffer(b, within))
    lines = [g for g in shapely.get_parts(edge) if g.geom_type in ("LineString", "LinearRing") and not g.is_empty]
    return shapely.line_merge(shapely.MultiLineString(lines)) if lines else shapely.MultiLineString()


def line_offsets(
    first: dict[str, BaseGeometry], second: dict[str, BaseGeometry], frame: MetricFrame
) -> list[dict[str, Any]]:
    """Per pair of units that share a line in both versions: its length in each and the Hausdorff distance (m)."""
    codes = sorted(set(first) & set(second))
    if not codes:
        return []
    tree = shapely.STRtree([first[c] for c in codes])
    out = []
    for i, j in zip(*tree.query([first[c] for c in codes], predicate="intersects"), strict=True):
        if i >= j:
            continue
        u, v = codes[i], codes[j]
        line_1, line_2 = shared_line(first[u], first[v], SNAP_M), shared_line(second[u], second[v], SNAP_M)
        if line_1.is_empty or line_2.is_empty:
            continue
        length_1, length_2 = frame.length_m(np.array([line_1, line_2], dtype=object))
        offset = frame.distance_m(float(shapely.hausdorff_distance(line_1, line_2, densify=0.05)), line_1)
        out.append(
            {
                "units": [u, v],
                "first_length_km": round(float(length_1) / 1000, 3),
                "second_length_km": round(float(length_2) / 1000, 3),
                "hausdorff_m": round(offset, 1),
            }
        )
    return out


# A coherent shift: over 30 m, explaining at least 80 % of the second version's boundary within 10 % of its length.
SHIFT_MIN_M = 30.0
SHIFT_SHARE = 0.8
SHIFT_SPREAD = 0.1
SHIFT_SAMPLES = 4000
# Known offsets matched to within this share of their length (or 5 m) name the cause.
CAUSE_MATCH = 0.05


# The usual mistakes, named as the cause of a shift, and the CRS the second version's coordinates really are in.
VENDOR_CAUSES = {
    "GCJ-02 coordinates declared as WGS84/CGCS2000": "GCJ-02",
    "BD-09 coordinates declared as WGS84/CGCS2000": "BD-09",
}


def _known_offsets(lon: float, lat: float, frame: MetricFrame) -> dict[str, NDArray[np.float64]]:
    """Plane vectors (m) that the usual mistakes put on a point: GCJ-02 or BD-09 coordinates declared as WGS84."""
    gcj = wgs84_to_gcj02([lon], [lat])
    bd = gcj02_to_bd09(*gcj)
    here, as_gcj, as_bd = frame.forward(
        np.array([shapely.Point(lon, lat), shapely.points(np.ravel(gcj)), shapely.points(np.ravel(bd))], dtype=object)
    )
    base = np.array([here.x, here.y])
    gcj_cause, bd_cause = VENDOR_CAUSES
    return {gcj_cause: np.array([as_gcj.x, as_gcj.y]) - base, bd_cause: np.array([as_bd.x, as_bd.y]) - base}


def systematic_offset(
    first: dict[str, BaseGeometry], second: dict[str, BaseGeometry], frame: MetricFrame
) -> dict[str, Any] | None:
    """A constant shift of the second version against the first (plane metres), when one explains the difference.

    Estimated from the boundaries, robust to local differences: start from the shift of the centres of the two
    unions, then three times move the second by the estimate and add the median of the displacements from
    points spread evenly along its boundary to the nearest point of the first's boundary. The shift is named when
    it is over SHIFT_MIN_M and at least SHIFT_SHARE of the points move by it within SHIFT_SPREAD of its length;
    the cause is the GCJ-02 or BD-09 offset at the centre when it matches within CAUSE_MATCH, else unknown.
    """
    union_1 = shapely.union_all(list(first.values()))
    union_2 = shapely.union_all(list(second.values()))
    if union_1.is_empty or union_2.is_empty:
        return None
    nearest = nearest_on(shapely.boundary(union_1))
    samples = shapely.line_interpolate_point(
        shapely.boundary(union_2), np.linspace(0, 1, SHIFT_SAMPLES), normalized=True
    )
    points = shapely.get_coordinates(samples)
    shift = np.array([union_1.centroid.x - union_2.centroid.x, union_1.centroid.y - union_2.centroid.y])
    moves = np.zeros_like(points)
    for _ in range(3):
        moves = nearest(points + shift) - (points + shift)
        shift = shift + np.median(moves, axis=0)
    length = float(np.hypot(*shift))
    if length <= SHIFT_MIN_M:
        return None
    residual = np.hypot(*(moves - np.median(moves, axis=0)).T)
    share = float(np.mean(residual <= SHIFT_SPREAD * length))
    if share < SHIFT_SHARE:
        return None
    similarity = similarity_fit(points, nearest, shift, SHIFT_SPREAD * length)
    offset = -shift  # the second version lies this far from the first
    centre = frame.inverse(np.array([union_1.centroid], dtype=object))[0]
    cause = "an unknown constant shift (a datum, false-easting or zone mistake, or a misplaced source)"
    for name, known in _known_offsets(centre.x, centre.y, frame).items():
        if float(np.hypot(*(offset - known))) <= max(CAUSE_MATCH * float(np.hypot(*known)), 5.0):
            cause = name
    scale = float(frame.scale(np.array([union_1.centroid.x]))[0])
    return {
        "vector_m": [round(float(offset[0]) / scale, 1), round(float(offset[1]) / scale, 1)],
        "distance_m": round(length / scale, 1),
        "bearing_deg": round(float(np.degrees(np.arctan2(offset[0], offset[1]))) % 360, 1),
        "bearing_reference": f"grid north of {frame.name}",
        "share": round(share, 3),
        "likely_cause": cause,
        "similarity": {
            "scale_ppm": round(similarity["scale_ppm"], 1) + 0.0,
            "rotation_deg": round(similarity["rotation_deg"], 5) + 0.0,
            "beyond_shift_m": round(similarity["beyond_shift_m"] / scale, 1),
            "share": round(similarity["share"], 3),
        },
    }


def nearest_on(edge: BaseGeometry) -> Callable[[NDArray[np.float64]], NDArray[np.float64]]:
    """For points (an n x 2 array), the nearest point of ``edge`` to each, found through an index of its
    segments (the nearest point of the nearest segment)."""
    coords, part = shapely.get_coordinates(shapely.get_parts(edge), return_index=True)
    inner = np.flatnonzero(part[1:] == part[:-1])
    segments = shapely.linestrings(np.stack((coords[inner], coords[inner + 1]), axis=1))
    tree = shapely.STRtree(segments)

    def find(xy: NDArray[np.float64]) -> NDArray[np.float64]:
        at = shapely.points(xy)
        _, closest = tree.query_nearest(at, all_matches=False)
        return np.asarray(shapely.get_coordinates(shapely.shortest_line(at, segments[closest]))[1::2])

    return find


def similarity_fit(
    points: NDArray[np.float64],
    nearest: Callable[[NDArray[np.float64]], NDArray[np.float64]],
    shift: NDArray[np.float64],
    within: float,
) -> dict[str, float]:
    """The similarity transform (shift, rotation and scale: the 4-parameter 2D Helmert transform) between the
    versions, from the second's boundary ``points`` and ``nearest`` (see ``nearest_on``) on the first's
    boundary (plane metres).

    Starting from ``shift``, up to five times: pair each moved point with the nearest point of the first's
    boundary and solve, by linear least squares over the pairs within ``within``, for the similarity
    x' = c·x - d·y + tx, y' = d·x + c·y + ty that best closes the gaps along the pairing directions (the
    point-to-line form of ICP, Chen & Medioni 1992, "Object modelling by registration of multiple range
    images", Image and Vision Computing 10(3): unlike point-to-point pairing it does not stall where points slide
    along a line); stops when the pairs are within a millimetre. Given for the first-to-second direction: scale
    in parts per million, rotation in degrees (counter-clockwise on the plane), ``beyond_shift_m`` the most the
    rotation and scale move a boundary point once the shift is taken out, and ``share`` of the points the
    similarity explains within ``within``."""
    centre = points.mean(axis=0)
    x, y = (points - centre).T
    c, d, tx, ty = 1.0, 0.0, float(shift[0]), float(shift[1])

    def gaps() -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        moved = np.column_stack((c * x - d * y + tx, d * x + c * y + ty))
        return moved, nearest(moved + centre) - centre - moved

    for _ in range(5):
        moved, gap = gaps()
        length = np.hypot(*gap.T)
        use = (length > 1e-3) & (length <= within)
        if use.sum() < 4:
            break
        nx, ny = gap[use].T / length[use]
        rows = np.column_stack((nx * x[use] + ny * y[use], ny * x[use] - nx * y[use], nx, ny))
        target = nx * (moved[use, 0] + gap[use, 0]) + ny * (moved[use, 1] + gap[use, 1])
        solution, _, rank, _ = np.linalg.lstsq(rows, target, rcond=None)
        if rank < 4:  # the pairing directions do not fix all four (e.g. all parallel): keep the last fit
            break
        c, d, tx, ty = solution.tolist()
    _, gap = gaps()
    a = complex(c, d)
    inverse = 1 / a  # the fit takes the second onto the first; the first goes onto the second by its inverse
    return {
        "scale_ppm": (abs(inverse) - 1) * 1e6,
        "rotation_deg": float(np.degrees(np.angle(inverse))),
        "beyond_shift_m": float(np.max(np.abs((a - 1) * (x + 1j * y)))),
        "share": float(np.mean(np.hypot(*gap.T) <= within)),
    }


def without_offset(
    first: dict[str, BaseGeometry],
    second: dict[str, BaseGeometry],
    offset: dict[str, Any],
    frame: MetricFrame,
    tolerance_m2: float,
) -> dict[str, Any]:
    """The comparison once the systematic ``offset`` is taken out of the second version: what is left is what
    truly differs. A vendor offset (GCJ-02/BD-09 declared as WGS84) is not constant over a large area, so the
    second version is re-read through that CRS's exact inverse; any other shift is moved back by its vector on
    the plane. Figures only; the stored pieces are those found."""
    codes, geoms = list(second), np.array(list(second.values()), dtype=object)
    vendor = VENDOR_CAUSES.get(offset["likely_cause"])
    if vendor is not None:
        lonlat = frame.inverse(geoms)
        fixed = [transform_geometry(g, vendor, STORAGE_CRS) for g in lonlat]
        moved = dict(zip(codes, frame.forward(np.array(fixed, dtype=object)), strict=True))
        how = f"coordinates re-read as {vendor} (its exact inverse)"
    else:
        west, _, east, _ = shapely.total_bounds(geoms)  # the scale hardly varies across one area: no union needed
        scale = float(frame.scale(np.array([(west + east) / 2]))[0])
        back_x, back_y = (-float(v) * scale for v in offset["vector_m"])
        moved = {code: shapely.affinity.translate(geom, back_x, back_y) for code, geom in second.items()}
        how = "moved back by the shift's vector"
    pieces, small_count, small_area = disputed_pieces(first, moved, tolerance_m2, frame)
    lines = line_offsets(first, moved, frame)
    return {
        "how": how,
        "disputed": _total(pieces),
        "below_tolerance": {"count": small_count, "area_m2": round(small_area, 1)},
        "max_hausdorff_m": max((line["hausdorff_m"] for line in lines), default=None),
    }


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
        "disputed": _total(pieces),
        "between_units": _total([p for p in pieces if p.first and p.second]),
        "outer": _total([p for p in pieces if not (p.first and p.second)]),
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


def _total(pieces: list[Piece]) -> dict[str, float]:
    return {"count": len(pieces), "area_m2": round(sum(p.area_m2 for p in pieces), 1)}


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
