"""Topology of a layer of sibling polygons, found on one planar arrangement (pure geometry, no database).

The method: every ring is oriented (exteriors counter-clockwise, holes clockwise) and cut into segments; a
segment that two siblings share in opposite directions is interior to the coverage and cancels out. The
segments left (the siblings' outer boundary, and every edge where they overlap or leave a gap), plus the
parent's boundary, are noded and polygonized into faces. The number of siblings covering a face is the same
everywhere in it (crossing a cancelled edge leaves one sibling and enters another), so one point per face
classifies it: covered twice or more is an overlap, covered by none and enclosed is a gap, outside the
parent is spill, inside the parent but covered by none and touching its boundary is uncovered parent area.

Everything is computed in the run's metric plane (``boundaries.checks.metric``: the CGCS2000 3° Gauss-Krüger
zone of the area), where shared vertices stay identical: areas are the plane's corrected by the scale factor,
gap widths are diameters of the largest inscribed circle (``boundaries.checks.width``). Faces whose mean
width 2A/P is under ``SNAP_M`` (1 cm) are noding noise (e.g. a neighbour's extra vertex on a shared straight
edge) and no finding.
Findings are handed back in lon/lat (EPSG:4490).
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import shapely
from numpy.typing import NDArray
from shapely.geometry.base import BaseGeometry

from boundaries.checks.metric import SNAP_M, MetricFrame, frame_for
from boundaries.checks.width import inscribed_diameters

_LOCATION = re.compile(r"\[\s*([-0-9.eE+]+)\s+([-0-9.eE+]+)\s*\]")

KINDS = ("overlap", "gap", "sliver", "invalid", "outside_parent", "uncovered_parent")


@dataclass(frozen=True)
class Tolerances:
    """Gaps narrower than ``gap_width_m`` are reported, wider ones are taken for intended holes (the gap width of
    GEOS CoverageValidator and PostGIS ST_CoverageInvalidEdges); pieces under ``sliver_area_m2`` are slivers."""

    gap_width_m: float = 10_000.0
    sliver_area_m2: float = 100.0


@dataclass(frozen=True)
class Finding:
    """One problem: ``kind`` (see :data:`KINDS`); for a sliver ``piece`` says what kind of piece it is."""

    kind: str
    piece: str
    geometry: BaseGeometry
    units: tuple[str, ...]
    area_m2: float | None
    width_m: float | None = None
    thinness: float | None = None
    detail: str = ""


@dataclass
class TopologyResult:
    """The findings, and what was looked at and tolerated: the plane used (``metric_crs``), the faces, the
    faces narrower than ``SNAP_M`` dropped as noding noise (``snapped``) and the gaps too wide to report."""

    findings: list[Finding] = field(default_factory=list)
    faces: int = 0
    metric_crs: str = ""
    snapped: int = 0
    wide_gaps: int = 0
    wide_gap_area_m2: float = 0.0

    def summary(self) -> dict[str, dict[str, float]]:
        """Count and total area (m²) per kind of finding."""
        out: dict[str, dict[str, float]] = {kind: {"count": 0, "area_m2": 0.0} for kind in KINDS}
        for finding in self.findings:
            out[finding.kind]["count"] += 1
            out[finding.kind]["area_m2"] += finding.area_m2 or 0.0
        for values in out.values():
            values["area_m2"] = round(values["area_m2"], 3)
        return out

    def slivers_by_piece(self) -> dict[str, dict[str, float]]:
        """Count and total area (m²) of the slivers per kind of piece (overlap, gap, ...)."""
        out: dict[str, dict[str, float]] = {}
        for finding in self.findings:
            if finding.kind == "sliver":
                entry = out.setdefault(finding.piece, {"count": 0, "area_m2": 0.0})
                entry["count"] += 1
                entry["area_m2"] += finding.area_m2 or 0.0
        return {piece: {"count": v["count"], "area_m2": round(v["area_m2"], 3)} for piece, v in sorted(out.items())}


# --- validity ----------------------------------------------------------------------------------------
def invalid_finding(
    code: str, geom: BaseGeometry, plane: BaseGeometry, frame: MetricFrame, repaired: BaseGeometry | None = None
) -> Finding | None:
    """A finding for an invalid polygon (lon/lat ``geom``, ``plane`` the same in ``frame``): reason and location,
    or None when it is valid. Rings that touch or cross within ``SNAP_M`` count (the plane polygon with its
    vertices rounded to ``SNAP_M`` is invalid: OGC SFA 1.2.1 §6.1.11.1, rings may touch only at a point,
    never self-touch). ``repaired``: what the import made of it; the area change is part of the detail."""
    reason = shapely.is_valid_reason(geom)
    within = ""
    if reason == "Valid Geometry":
        reason = shapely.is_valid_reason(shapely.set_precision(plane, SNAP_M, mode="pointwise"))
        if reason == "Valid Geometry":
            return None
        within = f" (within {SNAP_M * 100:g} cm)"
    match = _LOCATION.search(reason)
    where = shapely.Point(float(match.group(1)), float(match.group(2))) if match else geom.representative_point()
    if within and match:
        (where,) = frame.inverse(np.array([where], dtype=object))
    detail = _LOCATION.sub("", reason) + within
    if repaired is not None:
        before, after = frame.area_m2(frame.forward(np.array([geom, repaired], dtype=object)))
        detail += f"; repaired on import, area {before:,.1f} m² -> {after:,.1f} m²"
    return Finding("invalid", "invalid", where, (code,), None, detail=detail)


def polygonal(geom: BaseGeometry) -> BaseGeometry:
    """A valid polygonal geometry: invalid input made valid, lines and points left by the repair dropped."""
    if geom.is_valid:
        return geom
    parts = [p for p in shapely.get_parts(shapely.make_valid(geom)) if p.geom_type in ("Polygon", "MultiPolygon")]
    return shapely.union_all(parts) if parts else shapely.Polygon()


# --- the arrangement ---------------------------------------------------------------------------------
def unshared_edges(geoms: NDArray[np.object_]) -> BaseGeometry:
    """The runs of boundary segments that no sibling shares in the opposite direction, as lines."""
    rings = shapely.get_rings(shapely.get_parts(shapely.orient_polygons(geoms)))
    coords, ring_of = shapely.get_coordinates(rings, return_index=True)
    same_ring = ring_of[1:] == ring_of[:-1]
    start, end = coords[:-1], coords[1:]
    # Number the distinct points (exact coordinates); a segment is the pair of its ends' numbers, lower first.
    by_place = np.lexsort((coords[:, 1], coords[:, 0]))
    placed = coords[by_place]
    new_point = np.concatenate(([True], np.any(placed[1:] != placed[:-1], axis=1)))
    point = np.empty(len(coords), dtype=np.int64)
    point[by_place] = np.cumsum(new_point) - 1
    flip = point[:-1] > point[1:]
    keys = np.minimum(point[:-1], point[1:]) * (len(coords) + 1) + np.maximum(point[:-1], point[1:])
    keys[~same_ring] = -1  # the jump from one ring to the next is no segment
    _, first, inverse = np.unique(keys, return_index=True, return_inverse=True)
    inverse = inverse.ravel()
    net = np.bincount(inverse, weights=np.where(flip & same_ring, -1.0, 1.0))
    # Keep one occurrence (the first) of every segment whose directions do not cancel out.
    kept = same_ring & (net[inverse] != 0) & (first[inverse] == np.arange(len(keys)))
    # Consecutive kept segments of a ring form one line: a run starts where the previous segment was not kept.
    run_start = kept & ~np.concatenate(([False], kept[:-1]))
    run_id = np.cumsum(run_start) - 1
    seg = np.flatnonzero(kept)
    points = np.concatenate([start[seg], end[seg]])
    order = np.concatenate([seg * 2, seg * 2 + 1])
    owner = np.concatenate([run_id[seg], run_id[seg]])
    sort = np.lexsort((order, owner))
    points, owner, order = points[sort], owner[sort], order[sort]
    # Inside a run each segment's end is the next one's start: drop those repeats.
    repeat = np.concatenate(([False], (owner[1:] == owner[:-1]) & (order[1:] % 2 == 0)))
    lines = shapely.linestrings(points[~repeat], indices=owner[~repeat])
    return shapely.multilinestrings(lines)


def _faces(children: NDArray[np.object_], parent: BaseGeometry | None) -> NDArray[np.object_]:
    lines = unshared_edges(children)
    if parent is not None:
        lines = shapely.union_all([lines, shapely.boundary(parent)])
    return shapely.get_parts(shapely.polygonize([shapely.node(lines)]))


def _cover(faces: NDArray[np.object_], children: NDArray[np.object_]) -> tuple[NDArray[np.int64], dict[int, list[int]]]:
    """How many children cover each face, and which (for faces covered at least once)."""
    points = shapely.point_on_surface(faces)
    # Each child is prepared once and tested against the faces' points in its box (faster than the reverse).
    child, face = shapely.STRtree(points).query(children, predicate="intersects")
    counts = np.bincount(face, minlength=len(faces)).astype(np.int64)
    by_face = np.argsort(face, kind="stable")
    bounds = np.concatenate(([0], np.cumsum(counts)))
    grouped = child[by_face].tolist()
    covering = {int(f): grouped[bounds[f] : bounds[f + 1]] for f in np.flatnonzero(counts)}
    # A face's point inside one child is in its interior (faces never cross an edge that is not cancelled); a
    # point touching several may sit on a cancelled edge: check those against the interiors.
    several = np.flatnonzero(counts >= 2)
    if len(several):
        _, inside = shapely.STRtree(points[several]).query(children, predicate="contains_properly")
        n_inside = np.bincount(inside, minlength=len(several))
        for k in np.flatnonzero(n_inside != counts[several]):
            f = int(several[k])
            candidates = np.array(covering[f])
            shares = shapely.area(shapely.intersection(children[candidates], faces[f])) / faces[f].area
            counts[f] = int(round(float(shares.sum())))
            covering[f] = [int(c) for c, share in zip(candidates, shares, strict=True) if share > 0.5]
    return counts, covering


def _split_by_units(
    faces: NDArray[np.object_],
    covered: NDArray[np.int64],
    covering: dict[int, list[int]],
    children: NDArray[np.object_],
) -> list[tuple[int, BaseGeometry, list[int]]]:
    """The covered faces, each cut along the edges of every child whose interior reaches into it: (face index,
    part, children covering it). Edges two siblings share cancel out of the line work, so an overlap or a spill
    across such an edge is one face: cut here, each unit gets its own part and the parts sum to the face."""
    out: list[tuple[int, BaseGeometry, list[int]]] = []
    if len(covered) == 0:
        return out
    # Each child is prepared once and tested against the faces in its box (faster than the reverse); of the
    # children meeting a face that do not cover it, those whose interior meets it reach into it.
    child, face_of = shapely.STRtree(faces[covered]).query(children, predicate="intersects")
    order = np.lexsort((child, face_of))
    face_of, child = face_of[order], child[order]
    covers = {(k, c) for k, f in enumerate(covered.tolist()) for c in covering[f]}
    pairs = zip(face_of.tolist(), child.tolist(), strict=True)
    other = np.array([pair not in covers for pair in pairs], dtype=bool)
    face_of, child = face_of[other], child[other]
    shapely.prepare(children)
    reaching = ~shapely.touches(children[child], faces[covered][face_of])
    extra: dict[int, list[int]] = {}
    for k, c in zip(face_of[reaching].tolist(), child[reaching].tolist(), strict=True):
        extra.setdefault(k, []).append(c)
    for k, f in enumerate(covered.tolist()):
        if k not in extra:
            out.append((f, faces[f], covering[f]))
            continue
        parts = [faces[f]]
        for c in covering[f] + extra[k]:
            cut = [shapely.intersection(p, children[c]) for p in parts] + [
                shapely.difference(p, children[c]) for p in parts
            ]
            parts = [
                g for g in shapely.get_parts(np.array(cut, dtype=object)) if g.geom_type == "Polygon" and g.area > 0
            ]
        for part in parts:
            inside = shapely.point_on_surface(part)
            members = [c for c in covering[f] + extra[k] if children[c].contains(inside)]
            if members:
                out.append((f, part, members))
    return out


def widths_m(pieces: NDArray[np.object_], frame: MetricFrame, gap_width_m: float) -> NDArray[np.float64]:
    """Width of each plane piece: the diameter of its largest inscribed circle, in metres on the ellipsoid, to
    the accuracy stated in ``boundaries.checks.width`` (whether it is under ``gap_width_m`` is decided exactly)."""
    if len(pieces) == 0:
        return np.zeros(0)
    scale = frame.scale(shapely.get_x(shapely.centroid(pieces)))
    return np.asarray(inscribed_diameters(pieces, gap_width_m * scale) / scale, dtype=np.float64)


def analyse(
    codes: Sequence[str],
    geoms: Sequence[BaseGeometry],
    parent: BaseGeometry | None,
    tolerances: Tolerances,
    *,
    originals: Sequence[BaseGeometry | None] | None = None,
) -> TopologyResult:
    """Check sibling polygons (lon/lat, one per code) and optionally their parent polygon, in the metric plane
    of the area (see module doc).

    ``originals`` are the geometries as received where they were repaired on import: their invalidity is
    reported (the repaired geometry is what the rest of the check uses).
    """
    result = TopologyResult()
    if not geoms:
        return result
    used = np.array(geoms, dtype=object)
    as_received = originals or [None] * len(geoms)
    repaired = np.array([original is not None for original in as_received], dtype=bool)
    received = np.array([o if o is not None else g for o, g in zip(as_received, geoms, strict=True)], dtype=object)
    frame = frame_for(received)
    result.metric_crs = frame.name
    planes = frame.forward(received)
    # Validity in one vectorised pass (in lon/lat, then in the plane at SNAP_M); only the suspects are looked
    # at one by one for their reason and location.
    valid = shapely.is_valid(received)
    suspect = ~valid
    seemly = np.flatnonzero(valid)
    suspect[seemly] = ~shapely.is_valid(shapely.set_precision(planes[seemly], SNAP_M, mode="pointwise"))
    for i in np.flatnonzero(suspect).tolist():
        found = invalid_finding(codes[i], received[i], planes[i], frame, repaired=used[i] if repaired[i] else None)
        if found:
            result.findings.append(found)
    # A valid polygon as received is its own plane; the rest are made polygonal and projected.
    children = planes.copy()
    redo = np.flatnonzero(repaired | ~valid)
    if len(redo):
        children[redo] = frame.forward(np.array([polygonal(g) for g in used[redo]], dtype=object))
    present = ~shapely.is_empty(children)
    children = children[present]
    codes = [code for code, keep in zip(codes, present, strict=True) if keep]
    if len(children) == 0:
        return result
    if parent is not None:
        (parent,) = frame.forward(np.array([polygonal(parent)], dtype=object))
    faces = _faces(children, parent)
    result.faces = len(faces)
    counts, covering = _cover(faces, children)
    in_parent = np.ones(len(faces), dtype=bool)
    on_parent_edge = np.zeros(len(faces), dtype=bool)
    if parent is not None:
        shapely.prepare(parent)
        in_parent = shapely.within(shapely.point_on_surface(faces), parent)
        edge = shapely.boundary(parent)
        shapely.prepare(edge)
        # Noded copies of the parent's edge may sit a rounding error off it: touching means within a micrometre.
        on_parent_edge = shapely.dwithin(edge, faces, 1e-6)
    # Every adjacent pair of faces differs in its covering units or its side of the parent's edge, so each
    # face is one piece: no merging needed.
    covered = np.flatnonzero((counts >= 2) | ((counts >= 1) & ~in_parent))
    pieces: list[tuple[BaseGeometry, str, tuple[str, ...]]] = []
    for face, shape, members in _split_by_units(faces, covered, covering, children):
        names = tuple(sorted(codes[c] for c in members))
        if len(members) >= 2:
            pieces.append((shape, "overlap", names))
        if not in_parent[face]:
            pieces.append((shape, "outside_parent", names))
    empty = np.flatnonzero((counts == 0) & (in_parent | ~on_parent_edge))  # else outside both: nobody's ground
    child, near = shapely.STRtree(faces[empty]).query(children, predicate="dwithin", distance=SNAP_M)
    by_near = np.argsort(near, kind="stable")
    bounds = np.concatenate(([0], np.cumsum(np.bincount(near, minlength=len(empty))))).tolist()
    near_codes = [codes[c] for c in child[by_near].tolist()]
    uncovered = (in_parent[empty] & on_parent_edge[empty]).tolist()
    for k, face in enumerate(empty.tolist()):
        units = tuple(sorted(near_codes[bounds[k] : bounds[k + 1]]))
        pieces.append((faces[face], "uncovered_parent" if uncovered[k] else "gap", units))
    shapes = np.array([p[0] for p in pieces], dtype=object) if pieces else np.empty(0, dtype=object)
    # Noise first by the mean width 2A/P (cheap; a sliver's 2A/P is its width), then the gaps' true widths.
    noise = 2 * shapely.area(shapes) < SNAP_M * shapely.length(shapes)
    result.snapped = int(noise.sum())
    pieces = [p for p, drop in zip(pieces, noise.tolist(), strict=True) if not drop]
    shapes = shapes[~noise]
    is_gap = np.array([kind == "gap" for _, kind, _ in pieces], dtype=bool)
    widths = np.zeros(len(shapes))
    widths[is_gap] = widths_m(shapes[is_gap], frame, tolerances.gap_width_m)
    areas = frame.area_m2(shapes).tolist()
    perimeters = frame.length_m(shapes).tolist()
    located = frame.inverse(shapes).tolist()
    for i, (_, kind, units) in enumerate(pieces):
        area = areas[i]
        width = float(widths[i]) if kind == "gap" else None
        if width is not None and width >= tolerances.gap_width_m:
            result.wide_gaps += 1
            result.wide_gap_area_m2 += area
            continue
        thinness = min(4 * math.pi * area / perimeters[i] ** 2, 1.0) if perimeters[i] > 0 else 0.0
        label = "sliver" if area < tolerances.sliver_area_m2 else kind
        result.findings.append(Finding(label, kind, located[i], units, area, width, thinness, _describe(kind, units)))
    return result


@functools.cache
def _describe(kind: str, units: tuple[str, ...]) -> str:
    who = ", ".join(units) or "no unit"
    if kind == "overlap":
        return "covered by " + who
    if kind == "gap":
        return "covered by no unit, between " + who
    if kind == "outside_parent":
        return "part of " + who + " outside the parent"
    return "parent area covered by no child, next to " + who
