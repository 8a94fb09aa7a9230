"""Gap widths: the largest inscribed circle found exactly for small polygons (boundaries.checks.width)."""

from __future__ import annotations

import math

import numpy as np
import pytest
import shapely

from boundaries.checks.width import EXACT_MAX_VERTICES, inscribed_diameters


def diameters(*polygons: shapely.Polygon, decide_at: float = 1e9) -> list[float]:
    pieces = np.array(polygons, dtype=object)
    return inscribed_diameters(pieces, np.full(len(pieces), decide_at)).tolist()


def test_known_circles() -> None:
    """A 3-4-5 triangle (inradius 1), a 1 m by 1 km strip, an L-shaped 2 m strip whose circle touches its inner
    (reflex) corner: r = 2√2/(1+√2), and a regular 100-gon (more than EXACT_MAX_VERTICES: GEOS, within 2 %)."""
    triangle = shapely.Polygon([(0, 0), (4, 0), (0, 3)])
    strip = shapely.Polygon([(500_000, 4_000_000), (501_000, 4_000_000), (501_000, 4_000_001), (500_000, 4_000_001)])
    ell = shapely.Polygon([(0, 0), (10, 0), (10, 10), (8, 10), (8, 2), (0, 2)])
    gon = shapely.Point(0, 0).buffer(100, quad_segs=25)
    assert len(gon.exterior.coords) - 1 > EXACT_MAX_VERTICES
    got = diameters(triangle, strip, ell, gon)
    assert got[:3] == pytest.approx([2.0, 1.0, 4 * math.sqrt(2) / (1 + math.sqrt(2))], rel=1e-9)
    assert got[3] == pytest.approx(200 * math.cos(math.pi / 100), rel=0.02)


def test_repeated_and_collinear_vertices_change_nothing() -> None:
    """The 3-4-5 triangle with a vertex repeated and one extra on its hypotenuse: still 2 m; a degenerate ring
    (all on one line) is 0."""
    triangle = shapely.Polygon([(0, 0), (4, 0), (4, 0), (2, 1.5), (0, 3)])
    flat = shapely.Polygon([(0, 0), (1, 0), (2, 0)])
    assert diameters(triangle, flat) == pytest.approx([2.0, 0.0], abs=1e-9)


def test_never_short_of_geos_on_random_slivers() -> None:
    """Thin random polygons (two jittered polylines 1 km long, 0.1-3 m apart, up to 12 vertices a side; the kind
    of gap two vendors' boundaries leave): the exact width is never below GEOS's finest search and GEOS at its
    default tolerance is often far off."""
    rng = np.random.default_rng(7)
    pieces = []
    for _ in range(300):
        k = int(rng.integers(2, 12))
        xs = np.sort(rng.uniform(0, 1000, k))
        base = rng.normal(0, 20, k)
        top = np.column_stack((xs, base + rng.uniform(0.1, 3, k)))
        bottom = np.column_stack((xs + rng.uniform(-5, 5, k), base))
        shape = shapely.make_valid(shapely.Polygon(np.vstack((bottom, top[::-1]))))
        parts = [p for p in shapely.get_parts(shape) if p.geom_type == "Polygon"]
        pieces.append(max(parts, key=lambda p: p.area))
    array = np.array(pieces, dtype=object)
    exact = np.array(diameters(*pieces))
    fine = 2 * shapely.length(shapely.maximum_inscribed_circle(array, 1e-5 * exact))
    assert np.all(exact >= fine * (1 - 1e-9))
    assert np.all(exact <= fine * 1.02)


@pytest.mark.parametrize(("decide_at", "narrower"), [(199.95, True), (199.85, False)])
def test_geos_width_refined_at_the_gap_width(decide_at: float, narrower: bool) -> None:
    """A polygon measured by GEOS whose width (199.90 m) lies within GEOS's first tolerance (0.2 m) of the gap
    width is refined until its side is certain."""
    gon = shapely.Point(0, 0).buffer(100, quad_segs=25)
    (width,) = diameters(gon, decide_at=decide_at)
    assert (width < decide_at) == narrower
