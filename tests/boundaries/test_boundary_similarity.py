"""Systematic offsets with a similarity transform (issue 11, point 4): besides the shift, the rotation and scale
that take the first version onto the second, fitted on hand-made 10 km units in EPSG:4546 metres."""

from __future__ import annotations

import numpy as np
import pytest
import shapely
import shapely.affinity

from boundaries.compare.offset import nearest_on, systematic_offset, without_offset
from core.crs import transform_geometry
from tests.boundaries.test_boundary_compare import four_banners, offset_between, planes
from tests.boundary_fixtures import X0, Y0

CENTRE = (X0 + 10_000, Y0 + 10_000)  # the middle of the 2 x 2 block of four_banners()


def turned(degrees: float, ppm: float, dx: float, dy: float) -> dict[str, shapely.Geometry]:
    """four_banners() rotated (counter-clockwise) and scaled about the block's middle, then moved, as lon/lat."""
    out = {}
    for code, geom in four_banners().items():
        plane = transform_geometry(geom, "EPSG:4490", "EPSG:4546")
        plane = shapely.affinity.rotate(plane, degrees, origin=CENTRE)
        plane = shapely.affinity.scale(plane, 1 + ppm * 1e-6, 1 + ppm * 1e-6, origin=CENTRE)
        out[code] = transform_geometry(shapely.affinity.translate(plane, dx, dy), "EPSG:4546", "EPSG:4490")
    return out


def test_a_pure_shift_has_no_rotation_and_no_scale() -> None:
    found = offset_between(four_banners(), four_banners(18_000, -6_000))
    assert found is not None
    similarity = {k: v for k, v in found["similarity"].items() if k != "affine"}
    assert similarity == {"scale_ppm": 0.0, "rotation_deg": 0.0, "beyond_shift_m": 0.0, "share": 1.0}
    a, b, d, e, *_ = found["similarity"]["affine"]
    assert [a, b, d, e] == pytest.approx([1, 0, 0, 1], abs=1e-9)


@pytest.mark.parametrize(("degrees", "ppm"), [(0.05, 300.0), (0.2, 0.0), (-0.1, -500.0)])
def test_rotation_and_scale_on_top_of_a_shift_are_measured(degrees: float, ppm: float) -> None:
    """A source turned and stretched about the block's middle and moved 18 km: the shift is still named (most of
    the boundary moves by it within 10 %), and the similarity gives the rotation and scale back."""
    found = offset_between(four_banners(), turned(degrees, ppm, 18_000, -6_000))
    assert found is not None and found["share"] >= 0.99
    similarity = found["similarity"]
    assert similarity["rotation_deg"] == pytest.approx(degrees, abs=1e-4)
    assert similarity["scale_ppm"] == pytest.approx(ppm, abs=1.0)
    assert similarity["share"] == 1.0
    # The farthest boundary points lie ~14 km (a corner) from the middle of the block.
    moved_by = abs((1 + ppm * 1e-6) * np.exp(1j * np.radians(degrees)) - 1) * 10_000 * np.sqrt(2)
    assert similarity["beyond_shift_m"] == pytest.approx(moved_by, rel=0.05)


def test_the_comparison_after_removal_takes_out_rotation_and_scale_too() -> None:
    """Turned 0.2° (and stretched 300 ppm) about the block's middle and moved 18 km: moved back by the shift's
    vector alone the corners would still be ~50 m off and leave pieces; moved back by the fitted similarity
    nothing is left."""
    for ppm in (0.0, 300.0):
        plane_1, plane_2, frame = planes(four_banners(), turned(0.2, ppm, 18_000, -6_000))
        offset = systematic_offset(plane_1, plane_2, frame)
        assert offset is not None
        after = without_offset(plane_1, plane_2, offset, frame, 10_000)
        assert after["how"] == "moved back by the fitted similarity (shift, rotation and scale)"
        assert after["disputed"]["count"] == 0 and after["below_tolerance"]["area_m2"] < 100
        assert after["max_hausdorff_m"] < 1
        by_vector = dict(offset, similarity=dict(offset["similarity"], beyond_shift_m=0.0))
        assert without_offset(plane_1, plane_2, by_vector, frame, 10_000)["disputed"]["count"] > 0


def test_nearest_on_finds_the_nearest_point_of_every_part() -> None:
    edge = shapely.MultiLineString([[(0, 0), (10, 0), (10, 10)], [(20, 0), (20, 10)]])
    found = nearest_on(edge)(np.array([[5.0, -3.0], [12.0, 5.0], [19.0, 20.0], [16.0, 4.0]]))
    assert found.tolist() == [[5.0, 0.0], [10.0, 5.0], [20.0, 10.0], [20.0, 4.0]]


def test_a_stretch_along_one_axis_leaves_the_fit_at_the_shift() -> None:
    """A 20 km x 2 km unit stretched by 0.5 % north-south only and moved 100 m north: every gap left after the
    shift runs north-south, which cannot fix rotation and scale: the fit stays at the plain shift."""
    unit = shapely.box(X0, Y0, X0 + 20_000, Y0 + 2_000)
    stretched = shapely.affinity.translate(shapely.affinity.scale(unit, 1.0, 1.005), 0, 100)
    first, second = ({"a": transform_geometry(g, "EPSG:4546", "EPSG:4490")} for g in (unit, stretched))
    found = offset_between(first, second)
    assert found is not None and found["vector_m"] == pytest.approx([0, 100], abs=0.5)
    similarity = {k: v for k, v in found["similarity"].items() if k != "affine"}
    assert similarity == {"scale_ppm": 0.0, "rotation_deg": 0.0, "beyond_shift_m": 0.0, "share": 1.0}
    a, b, d, e, *_ = found["similarity"]["affine"]
    assert [a, b, d, e] == pytest.approx([1, 0, 0, 1], abs=1e-9)
