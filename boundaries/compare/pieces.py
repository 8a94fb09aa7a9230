"""The geometry of a comparison of two versions in a metric plane: the disputed pieces (ground the versions give to
different units) and, per line two units share, the largest offset between the versions (Hausdorff distance)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

from boundaries.checks.metric import SNAP_M, MetricFrame
from boundaries.checks.topology import polygonal

# Half a decimetre in degrees: how close a neighbour's lon/lat polygon must run to a unit's edge for the edge to
# be shared (the plane comparisons here use SNAP_M metres).
SHARED_EDGE_DEG = 5e-7


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


def total_of(pieces: list[Piece]) -> dict[str, float]:
    """Count and area (m²) of the pieces."""
    return {"count": len(pieces), "area_m2": round(sum(p.area_m2 for p in pieces), 1)}
