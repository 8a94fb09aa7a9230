"""A whole version shifted against the other: the coherent shift of the second version's boundary (named when it
is a GCJ-02 or BD-09 offset declared as WGS84), the similarity transform beyond it (a 4-parameter Helmert fit),
and the second version with the shift taken out (by the exact inverse of the named CRS, else by the vector)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import shapely
import shapely.affinity
from numpy.typing import NDArray
from shapely.geometry.base import BaseGeometry

from boundaries.checks.metric import MetricFrame
from boundaries.compare.pieces import disputed_pieces, line_offsets, total_of
from core.crs import STORAGE_CRS, gcj02_to_bd09, transform_geometry, wgs84_to_gcj02

# A coherent shift: over 30 m, explaining at least 80 % of the second version's boundary within 10 % of its length.
SHIFT_MIN_M = 30.0


SHIFT_SHARE = 0.8


SHIFT_SPREAD = 0.1


SHIFT_SAMPLES = 4000


# Rotation and scale are taken out with the shift when they move some boundary point by more than this (plane m).
SIMILARITY_MIN_M = 1.0


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
            "affine": [round(v, 12) + 0.0 for v in similarity["affine"]],
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
) -> dict[str, Any]:
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
    rotation and scale move a boundary point once the shift is taken out, ``share`` of the points the
    similarity explains within ``within``, and ``affine`` the fitted transform of the second version onto the
    first on the plane, as the six coefficients [a, b, d, e, xoff, yoff] of x' = a·x + b·y + xoff,
    y' = d·x + e·y + yoff (the order of shapely.affinity.affine_transform)."""
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
    cx, cy = centre.tolist()
    affine = [c, -d, d, c, cx + tx - c * cx + d * cy, cy + ty - d * cx - c * cy]
    a = complex(c, d)
    inverse = 1 / a  # the fit takes the second onto the first; the first goes onto the second by its inverse
    return {
        "scale_ppm": (abs(inverse) - 1) * 1e6,
        "rotation_deg": float(np.degrees(np.angle(inverse))),
        "beyond_shift_m": float(np.max(np.abs((a - 1) * (x + 1j * y)))),
        "share": float(np.mean(np.hypot(*gap.T) <= within)),
        "affine": affine,
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
    second version is re-read through that CRS's exact inverse; any other shift is moved back on the plane by
    the fitted similarity when its rotation and scale move a boundary point by more than SIMILARITY_MIN_M and it
    explains at least SHIFT_SHARE of the boundary, else by the shift's vector. Figures only; the stored pieces
    are those found."""
    codes, geoms = list(second), np.array(list(second.values()), dtype=object)
    vendor = VENDOR_CAUSES.get(offset["likely_cause"])
    if vendor is not None:
        lonlat = frame.inverse(geoms)
        fixed = [transform_geometry(g, vendor, STORAGE_CRS) for g in lonlat]
        moved = dict(zip(codes, frame.forward(np.array(fixed, dtype=object)), strict=True))
        how = f"coordinates re-read as {vendor} (its exact inverse)"
    elif offset["similarity"]["beyond_shift_m"] > SIMILARITY_MIN_M and offset["similarity"]["share"] >= SHIFT_SHARE:
        affine = offset["similarity"]["affine"]
        moved = {code: shapely.affinity.affine_transform(geom, affine) for code, geom in second.items()}
        how = "moved back by the fitted similarity (shift, rotation and scale)"
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
        "disputed": total_of(pieces),
        "below_tolerance": {"count": small_count, "area_m2": round(small_area, 1)},
        "max_hausdorff_m": max((line["hausdorff_m"] for line in lines), default=None),
    }
