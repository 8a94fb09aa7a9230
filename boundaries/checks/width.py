"""Width of a gap: the diameter of its largest inscribed circle, computed exactly for small polygons.

GEOS ``MaximumInscribedCircle`` refines a grid of square cells until they are smaller than its tolerance, so on
a long thin gap its cost grows with length/tolerance: at its default tolerance (1/1000 of the extent) the width
of a 1 m wide, 800 m long gap is off by up to twice itself, and a tolerance of 5 % of the width costs ten times
more. The gaps of a real coverage are mostly such slivers with a handful of vertices, so their circle is found
exactly instead. The centre of the largest inscribed circle of a polygon is a vertex of its medial axis (along
each medial-axis edge the distance to the boundary is linear, or unimodal with its minimum inside), i.e. a point
equidistant from three sites — edge lines and reflex vertices (convex vertices are never the nearest point of an
interior point). Every triple of sites gives at most two such points; the radius is the largest true distance to
the boundary of those inside the polygon. A point's true distance never exceeds the radius, so the result is a
lower bound that equals it up to rounding.

Polygons with holes or more than ``EXACT_MAX_VERTICES`` vertices (33 of the 74,693 gap faces of the national
county layer) go to GEOS with a tolerance of 1 % of a first estimate of the radius (at least 1 mm); GEOS's
tolerance is the size of its last cells, not a strict bound (at 1e-5 of the radius it still falls up to 1 % short
of the exact radius on thin gaps), so where the width could lie on either side of the gap width (within 2 % or
twice the tolerance) it is refined tenfold until it does not. Stated accuracy of every width (README, boundary
checks): exact to rounding for the small polygons, within 2 % for the others; whether a gap is narrower than the
gap width does not depend on the accuracy.
"""

from __future__ import annotations

from itertools import combinations

import numpy as np
import shapely
from numpy.typing import NDArray

EXACT_MAX_VERTICES = 24
_RELATIVE = 0.01  # GEOS tolerance as a share of the radius (the diameter is then within 2 %)
_FLOOR_M = 0.001  # and never under 1 mm (the diameter within 2 mm)
_CHUNK = 4_000_000  # candidate-segment pairs evaluated at a time


def inscribed_diameters(pieces: NDArray[np.object_], decide_at: NDArray[np.float64]) -> NDArray[np.float64]:
    """Diameter of the largest inscribed circle of each plane polygon (plane units), within the accuracy in the
    module doc; a diameter the accuracy leaves on both sides of its ``decide_at`` is refined until it is not."""
    out = np.zeros(len(pieces))
    if len(pieces) == 0:
        return out
    oriented = shapely.orient_polygons(pieces)
    n = shapely.get_num_coordinates(oriented) - 1
    small = (shapely.get_num_interior_rings(oriented) == 0) & (n >= 3) & (n <= EXACT_MAX_VERTICES)
    if small.any():
        coords, ring = shapely.get_coordinates(shapely.get_exterior_ring(oriented[small]), return_index=True)
        last = np.concatenate((ring[1:] != ring[:-1], [True]))  # drop each ring's closing vertex
        coords = coords[~last]
        counts = n[small]
        starts = np.concatenate(([0], np.cumsum(counts)[:-1]))
        radius = np.zeros(int(small.sum()))
        for size in np.unique(counts).tolist():
            faces = np.flatnonzero(counts == size)
            at = starts[faces][:, None] + np.arange(size)[None, :]
            radius[faces] = _exact_radii(coords[at])
        out[small] = 2 * radius
        small[np.flatnonzero(small)[radius <= 0]] = False  # no candidate inside (degenerate ring): GEOS
    rest = np.flatnonzero(~small)
    if len(rest):
        out[rest] = _geos_diameters(pieces[rest], decide_at[rest])
    return out


def _exact_radii(vertices: NDArray[np.float64]) -> NDArray[np.float64]:
    """Inscribed radius of polygons given as (faces, n, 2) counter-clockwise vertices, no closing vertex."""
    faces, n, _ = vertices.shape
    local = vertices - vertices[:, :1, :]  # conditioning: each face around its first vertex
    step = np.roll(local, -1, axis=1) - local
    length = np.hypot(step[..., 0], step[..., 1])
    with np.errstate(invalid="ignore", divide="ignore"):
        normal = np.stack((-step[..., 1], step[..., 0]), axis=-1) / length[..., None]  # inward (CCW ring)
    offset = np.einsum("fnk,fnk->fn", normal, local)  # edge line: normal . c - offset = distance inside
    incoming = np.roll(step, 1, axis=1)
    reflex = incoming[..., 0] * step[..., 1] - incoming[..., 1] * step[..., 0] < 0
    # A disc inside a polygon has no more area than it (shoelace area of the ring).
    area = 0.5 * np.sum(
        local[..., 0] * np.roll(local, -1, axis=1)[..., 1] - np.roll(local, -1, axis=1)[..., 0] * local[..., 1], axis=1
    )
    ceiling = np.sqrt(np.maximum(area, 0) / np.pi) * (1 + 1e-9) + 1e-9
    best = np.zeros(faces)
    for n_reflex in np.unique(reflex.sum(axis=1)).tolist():
        group = np.flatnonzero(reflex.sum(axis=1) == n_reflex)
        order = np.argsort(~reflex[group], axis=1, kind="stable")[:, :n_reflex]
        points = np.take_along_axis(local[group], order[..., None], axis=1)
        triples = np.array(list(combinations(range(n + n_reflex), 3)), dtype=np.int64)
        per_face = len(triples) * 2
        size = max(1, _CHUNK // (per_face * n))
        for lo in range(0, len(group), size):
            part = group[lo : lo + size]
            centres, radii = _candidates(normal[part], offset[part], points[lo : lo + size], triples, n)
            # Only a point as far from its sites as a disc the polygon can hold may be the centre.
            face, which = np.nonzero((radii > 0) & (radii <= ceiling[part][:, None]))
            distance = _distance_inside(centres[face, which], local[part][face], step[part][face], length[part][face])
            np.maximum.at(best, part[face], distance)
    return best


def _candidates(
    normal: NDArray[np.float64],
    offset: NDArray[np.float64],
    points: NDArray[np.float64],
    triples: NDArray[np.int64],
    n: int,
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Points equidistant from each triple of sites (indices < n: edge lines, the rest: reflex vertices), as
    (faces, candidates, 2), and that distance (faces, candidates); NaN where a triple has none."""
    centres, radii = [], []
    kinds = (triples >= n).sum(axis=1)
    for kind in range(4):
        chosen = triples[kinds == kind]
        if len(chosen) == 0:
            continue
        lines = chosen[:, : 3 - kind]
        pts = chosen[:, 3 - kind :] - n
        m = normal[:, lines]  # (faces, t, lines, 2)
        b = offset[:, lines]
        q = points[:, pts]  # (faces, t, points, 2)
        with np.errstate(all="ignore"):
            if kind == 0:  # three lines: m_i . c - r = b_i
                matrix = np.concatenate((m, -np.ones(m.shape[:-1] + (1,))), axis=-1)
                ok = np.abs(np.linalg.det(matrix)) > 1e-12
                matrix[~ok] = np.eye(3)
                solved = np.linalg.solve(matrix, b[..., None])[..., 0]
                centres.append(solved[..., :2])
                radii.append(np.where(ok, solved[..., 2], np.nan))
                continue
            # The locus of the first two sites is a line c = p0 + s u along which the distance is r0 + s k;
            # equal distance to the last point site q is a quadratic in s.
            if kind == 1:  # lines 0 and 1 (equal distance), point q
                dm = m[:, :, 0] - m[:, :, 1]
                dm2 = np.sum(dm * dm, axis=-1)
                p0 = ((b[:, :, 0] - b[:, :, 1]) / dm2)[..., None] * dm
                u = np.stack((-dm[..., 1], dm[..., 0]), axis=-1) / np.sqrt(dm2)[..., None]
            else:  # point sites 0 and 1: their bisector
                p0 = (q[:, :, 0] + q[:, :, 1]) / 2
                d = q[:, :, 1] - q[:, :, 0]
                u = np.stack((-d[..., 1], d[..., 0]), axis=-1) / np.hypot(d[..., 0], d[..., 1])[..., None]
            if kind == 3:  # |p0 + s u - q0|² = |p0 + s u - q2|²: linear in s
                w0, w2 = p0 - q[:, :, 0], p0 - q[:, :, 2]
                s = (np.sum(w2 * w2, -1) - np.sum(w0 * w0, -1)) / (2 * np.sum(u * (w0 - w2), -1))
                centre = p0 + s[..., None] * u
                centres.append(centre)
                radii.append(np.hypot(*np.moveaxis(centre - q[:, :, 0], -1, 0)))
                continue
            r0 = np.sum(m[:, :, 0] * p0, axis=-1) - b[:, :, 0]
            k = np.sum(m[:, :, 0] * u, axis=-1)
            w = p0 - q[:, :, kind - 1 if kind == 1 else 0]
            a2 = 1 - k * k
            a1 = np.sum(u * w, axis=-1) - r0 * k
            a0 = np.sum(w * w, axis=-1) - r0 * r0
            root = np.sqrt(a1 * a1 - a2 * a0)
            linear = np.abs(a2) < 1e-12
            for sign in (1.0, -1.0):
                s = np.where(linear, -a0 / (2 * a1), (-a1 + sign * root) / a2)
                centres.append(p0 + s[..., None] * u)
                radii.append(r0 + s * k)
    return np.concatenate(centres, axis=1), np.concatenate(radii, axis=1)


def _distance_inside(
    centres: NDArray[np.float64], vertices: NDArray[np.float64], step: NDArray[np.float64], length: NDArray[np.float64]
) -> NDArray[np.float64]:
    """Distance of each point (c, 2) to the boundary of its polygon ((c, n, 2) vertices and edge vectors), 0
    for a point outside it."""
    rel = centres[:, None, :] - vertices  # (c, n, 2)
    with np.errstate(all="ignore"):
        along = np.clip(np.einsum("cnk,cnk->cn", rel, step) / length**2, 0, 1)
        foot = rel - along[..., None] * step
        distance = np.where(length > 0, np.hypot(foot[..., 0], foot[..., 1]), np.inf).min(axis=1)
        # Inside by the crossing number of a ray towards +x.
        y0, y1 = vertices[..., 1], vertices[..., 1] + step[..., 1]
        cy = centres[:, None, 1]
        spans = (y0 > cy) != (y1 > cy)
        cross_x = vertices[..., 0] + (cy - y0) / (y1 - y0) * step[..., 0]
        inside = (np.sum(spans & (cross_x > centres[:, None, 0]), axis=1) % 2) == 1
    return np.where(inside & np.isfinite(distance), distance, 0.0)


def _geos_diameters(pieces: NDArray[np.object_], decide_at: NDArray[np.float64]) -> NDArray[np.float64]:
    """GEOS diameters: a first pass at the default tolerance, then one at 1 % of that radius (at least 1 mm),
    then finer where the diameter could still lie on both sides of ``decide_at``."""
    first = shapely.length(shapely.maximum_inscribed_circle(pieces))
    tolerance = np.maximum(_RELATIVE * first, _FLOOR_M)
    radius = shapely.length(shapely.maximum_inscribed_circle(pieces, tolerance))
    while True:
        reach = 2 * (radius * (1 + 2 * _RELATIVE) + 2 * tolerance)  # beyond what GEOS has been seen to miss
        open_ = np.flatnonzero((2 * radius < decide_at) & (reach >= decide_at))
        open_ = open_[tolerance[open_] > 1e-6 * decide_at[open_]]
        if len(open_) == 0:
            return np.asarray(2 * radius, dtype=np.float64)
        tolerance[open_] /= 10
        radius[open_] = shapely.length(shapely.maximum_inscribed_circle(pieces[open_], tolerance[open_]))
