"""Tests for core.crs: CRS names, GCJ-02/BD-09 offsets, Gauss-Krueger zones, geodesic measures.

Expected values come from published third-party test vectors (sources cited next to each) or
are computed here independently of the code under test (closed-form ellipsoid formulas,
numerical integration), never from core.crs itself.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pyproj
import pytest
import shapely
from pyproj import Geod

from core import crs
from core.crs import (
    ACCEPTED_CRS_NAMES,
    STORAGE_CRS,
    bd09_to_gcj02,
    gcj02_to_bd09,
    gcj02_to_wgs84,
    out_of_china,
    parse_crs,
    transform_coords,
    transform_geometry,
    transform_point,
    wgs84_to_gcj02,
)
from core.errors import InvalidInput
from core.gauss_kruger import GAUSS_KRUGER, gauss_kruger_zone_for
from core.geodesy import geodesic_area_m2, geodesic_length_m

PUBLISHED_TOL = 1e-6  # degrees, for published forward vectors
ROUND_TRIP_TOL = 1e-7  # degrees, about 1 cm

# GRS80 / CGCS2000 ellipsoid, written out here so expectations do not depend on core.crs.
GRS80_A = 6378137.0
GRS80_F = 1.0 / 298.257222101
GRS80_E2 = GRS80_F * (2.0 - GRS80_F)
GRS80_B = GRS80_A * (1.0 - GRS80_F)

ORDOS_LON = (106.7, 111.5)
ORDOS_LAT = (37.6, 40.9)


def _grid(lon_range: tuple[float, float], lat_range: tuple[float, float], n: int = 60):
    lon, lat = np.meshgrid(np.linspace(*lon_range, n), np.linspace(*lat_range, n))
    return lon.ravel(), lat.ravel()


def _pt(lon: float, lat: float, fn) -> tuple[float, float]:
    x, y = fn(np.array([lon]), np.array([lat]))
    return float(x[0]), float(y[0])


# ------------------------------------------------------------------------------------------
# Published forward vectors
# ------------------------------------------------------------------------------------------
# wandergis/coordtransform, test/app.js: results printed for input (116.404, 39.915).
WANDERGIS_IN = (116.404, 39.915)
WANDERGIS_WGS84_TO_GCJ02 = (116.41024449916938, 39.91640428150164)
WANDERGIS_GCJ02_TO_BD09 = (116.41036949371029, 39.92133699351021)
WANDERGIS_BD09_TO_GCJ02_ONE_STEP = (116.39762729119315, 39.90865673957631)
WANDERGIS_GCJ02_TO_WGS84_ONE_STEP = (116.39775550083061, 39.91359571849836)

# googollee/eviltransform, python/test.py (same set in its go/ and c/ tests):
# (wgs_lat, wgs_lng, gcj_lat, gcj_lng) -- note latitude first in the source.
EVILTRANSFORM = [
    (31.1774276, 121.5272106, 31.17530398364597, 121.531541859215),  # Shanghai
    (22.543847, 113.912316, 22.540796131694766, 113.9171764808363),  # Shenzhen
    (39.911954, 116.377817, 39.91334545536069, 116.38404722455657),  # Beijing
]


def test_wgs84_to_gcj02_published_wandergis():
    assert _pt(*WANDERGIS_IN, wgs84_to_gcj02) == pytest.approx(WANDERGIS_WGS84_TO_GCJ02, abs=PUBLISHED_TOL)


@pytest.mark.parametrize(("wgs_lat", "wgs_lon", "gcj_lat", "gcj_lon"), EVILTRANSFORM)
def test_wgs84_to_gcj02_published_eviltransform(wgs_lat, wgs_lon, gcj_lat, gcj_lon):
    assert _pt(wgs_lon, wgs_lat, wgs84_to_gcj02) == pytest.approx((gcj_lon, gcj_lat), abs=PUBLISHED_TOL)
    # The exact inverse must recover the published WGS84 input far better than 1 cm.
    assert _pt(gcj_lon, gcj_lat, gcj02_to_wgs84) == pytest.approx((wgs_lon, wgs_lat), abs=1e-9)


def test_gcj02_to_bd09_published_wandergis():
    assert _pt(*WANDERGIS_IN, gcj02_to_bd09) == pytest.approx(WANDERGIS_GCJ02_TO_BD09, abs=PUBLISHED_TOL)


def test_bd09_to_gcj02_published_one_step_wandergis():
    # The published value is the one-step (approximate) inverse; check that formula exactly...
    one_step = _pt(*WANDERGIS_IN, crs._bd_inverse_one_step)
    assert one_step == pytest.approx(WANDERGIS_BD09_TO_GCJ02_ONE_STEP, abs=1e-12)
    # ...and that the refined inverse stays within the one-step formula's error (< 1e-6 deg).
    assert _pt(*WANDERGIS_IN, bd09_to_gcj02) == pytest.approx(WANDERGIS_BD09_TO_GCJ02_ONE_STEP, abs=1e-6)


def test_gcj02_to_wgs84_is_better_than_published_one_step():
    # The widely copied gcj02towgs84 is a one-step approximation (wandergis/coordtransform value);
    # the exact inverse differs from it by a few 1e-7 deg, and only ours round-trips.
    exact = _pt(*WANDERGIS_IN, gcj02_to_wgs84)
    assert exact == pytest.approx(WANDERGIS_GCJ02_TO_WGS84_ONE_STEP, abs=2e-6)
    assert _pt(*exact, wgs84_to_gcj02) == pytest.approx(WANDERGIS_IN, abs=1e-9)
    one_step_image = _pt(*WANDERGIS_GCJ02_TO_WGS84_ONE_STEP, wgs84_to_gcj02)
    assert max(abs(one_step_image[0] - WANDERGIS_IN[0]), abs(one_step_image[1] - WANDERGIS_IN[1])) > 1e-7


# hujiulong/gcoord, test/unit/crs/{WGS84,GCJ02,BD09}.spec.ts: input (123, 45), values given to
# 7-8 decimals and asserted there with toBeCloseTo(.., 5). gcoord's GCJ02->WGS84 iterates only
# to 1e-6 deg and its BD09->GCJ02 is the one-step formula, hence the looser 2e-6 on those.
def test_gcoord_vectors():
    assert transform_point(123, 45, "EPSG:4326", "GCJ-02") == pytest.approx((123.00607541, 45.00197815), abs=1e-6)
    assert transform_point(123, 45, "GCJ-02", "BD-09") == pytest.approx((123.00636499, 45.00636899), abs=1e-6)
    assert transform_point(123, 45, "EPSG:4326", "BD-09") == pytest.approx((123.0124491, 45.0083293), abs=1e-6)
    assert transform_point(123, 45, "GCJ-02", "EPSG:4326") == pytest.approx((122.99395597, 44.99804071), abs=2e-6)
    assert transform_point(123, 45, "BD-09", "GCJ-02") == pytest.approx((122.99363304, 44.99365430), abs=2e-6)
    assert transform_point(123, 45, "BD-09", "EPSG:4326") == pytest.approx((122.98762210, 44.99171540), abs=2e-6)
    # gcoord: "not in China" -> unchanged.
    assert transform_point(183 - 360, 45, "GCJ-02", "EPSG:4326") == (-177.0, 45.0)


def test_pyxis_gcj02_to_bd09_vector():
    # Glatzel/pyxis, python/tests/test_crypto.py: gcj02 -> bd09 pair.
    got = _pt(121.09626935575027, 30.608604331756705, gcj02_to_bd09)
    assert got == pytest.approx((121.10271732371203, 30.61484572185035), abs=PUBLISHED_TOL)


# ------------------------------------------------------------------------------------------
# Exact inverses and offset size
# ------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("lon_range", "lat_range"),
    [(ORDOS_LON, ORDOS_LAT), ((73.5, 135.0), (18.2, 53.5))],
    ids=["ordos", "china"],
)
def test_gcj02_exact_inverse_grid(lon_range, lat_range):
    lon, lat = _grid(lon_range, lat_range)
    glon, glat = wgs84_to_gcj02(lon, lat)
    assert not np.allclose(glon, lon)  # the offset was applied
    wlon, wlat = gcj02_to_wgs84(glon, glat)
    assert np.abs(wlon - lon).max() < ROUND_TRIP_TOL
    assert np.abs(wlat - lat).max() < ROUND_TRIP_TOL
    # And the other way round: forward image of the inverse is the input.
    flon, flat = wgs84_to_gcj02(*gcj02_to_wgs84(lon, lat))
    assert np.abs(flon - lon).max() < 1e-9
    assert np.abs(flat - lat).max() < 1e-9


def test_gcj02_inverse_near_lon_105_kink():
    # The offset polynomials contain sqrt(|lon - 105|), not differentiable at 105E.
    lon = np.array([105.0, 105.0 + 1e-12, 105.0 - 1e-12, 105.0 + 1e-9, 105.0 - 1e-6, 104.99])
    lat = np.full(lon.shape, 36.0)
    wlon, wlat = gcj02_to_wgs84(*wgs84_to_gcj02(lon, lat))
    assert np.abs(wlon - lon).max() < ROUND_TRIP_TOL
    assert np.abs(wlat - lat).max() < ROUND_TRIP_TOL


def test_gcj02_offset_around_ordos_is_300_to_700_m():
    lon, lat = _grid(ORDOS_LON, ORDOS_LAT, 40)
    glon, glat = wgs84_to_gcj02(lon, lat)
    _, _, dist = Geod(ellps="GRS80").inv(lon, lat, glon, glat)
    assert dist.min() > 300.0
    assert dist.max() < 700.0


def test_bd09_round_trip():
    for lon_range, lat_range in [(ORDOS_LON, ORDOS_LAT), ((73.5, 135.0), (18.2, 53.5))]:
        lon, lat = _grid(lon_range, lat_range)
        blon, blat = gcj02_to_bd09(lon, lat)
        glon, glat = bd09_to_gcj02(blon, blat)
        assert np.abs(glon - lon).max() < ROUND_TRIP_TOL
        assert np.abs(glat - lat).max() < ROUND_TRIP_TOL
        # BD-09 is ~0.006 deg away from GCJ-02.
        assert np.hypot(blon - lon, blat - lat).min() > 0.003


def test_bd09_wgs84_round_trip_through_transform_coords():
    lon, lat = _grid(ORDOS_LON, ORDOS_LAT, 30)
    bx, by = transform_coords(lon, lat, "EPSG:4490", "BD-09")
    x, y = transform_coords(bx, by, "BD-09", "EPSG:4490")
    assert np.abs(x - lon).max() < ROUND_TRIP_TOL
    assert np.abs(y - lat).max() < ROUND_TRIP_TOL
    # GCJ <-> BD direct equals the route through WGS84.
    gx, gy = transform_coords(bx, by, "BD-09", "GCJ-02")
    gx2, gy2 = wgs84_to_gcj02(x, y)
    assert np.abs(gx - gx2).max() < 1e-9
    assert np.abs(gy - gy2).max() < 1e-9


def test_outside_china_is_identity():
    lon = np.array([2.35, -74.0, 139.7, 100.0, 50.0, 72.0])
    lat = np.array([48.85, 40.7, 35.7, 0.5, 30.0, 30.0])  # Paris, New York, Tokyo, ...
    assert out_of_china(lon, lat).all()
    for fn in (wgs84_to_gcj02, gcj02_to_wgs84):
        x, y = fn(lon, lat)
        np.testing.assert_array_equal(x, lon)
        np.testing.assert_array_equal(y, lat)
    assert not out_of_china(np.array([109.78]), np.array([39.61])).any()  # Ordos
    # Mixed arrays: only the China points move.
    x, _ = wgs84_to_gcj02(np.array([2.35, 109.78]), np.array([48.85, 39.61]))
    assert x[0] == 2.35
    assert x[1] != 109.78


def test_poles_and_extremes_are_quiet_identity():
    lon = np.array([0.0, 109.0, 180.0, -180.0])
    lat = np.array([90.0, -90.0, 0.0, 45.0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        x, y = wgs84_to_gcj02(lon, lat)
        x2, y2 = gcj02_to_wgs84(lon, lat)
    np.testing.assert_array_equal(x, lon)
    np.testing.assert_array_equal(y, lat)
    np.testing.assert_array_equal(x2, lon)
    np.testing.assert_array_equal(y2, lat)


def test_scalar_inputs_give_arrays():
    x, y = wgs84_to_gcj02(109.78, 39.61)
    assert isinstance(x, np.ndarray) and x.shape == ()
    x, y = bd09_to_gcj02(109.78, 39.61)
    assert isinstance(y, np.ndarray) and y.shape == ()


# ------------------------------------------------------------------------------------------
# parse_crs
# ------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("EPSG:4490", "EPSG:4490"),
        ("epsg:4490", "EPSG:4490"),
        ("  Epsg:4326 ", "EPSG:4326"),
        ("EPSG:4545", "EPSG:4545"),
        ("epsg:4546", "EPSG:4546"),
        ("GCJ-02", "GCJ-02"),
        ("gcj-02", "GCJ-02"),
        ("gcj02", "GCJ-02"),
        ("GCJ02", "GCJ-02"),
        ("BD-09", "BD-09"),
        ("bd-09", "BD-09"),
        ("bd09", "BD-09"),
        ("\tBD09\n", "BD-09"),
    ],
)
def test_parse_crs_accepts(given, expected):
    assert parse_crs(given) == expected


@pytest.mark.parametrize(
    "bad", [None, "", "   ", "EPSG:3857", "wgs84", "WGS84", "CRS84", "4490", "EPSG:4555", "EPSG:4490.0", "GCJ_02", 4490]
)
def test_parse_crs_refuses(bad):
    with pytest.raises(InvalidInput) as info:
        parse_crs(bad)
    message = info.value.detail
    assert (str(bad) if isinstance(bad, str) else repr(bad)) in message
    for name in ACCEPTED_CRS_NAMES:
        assert name in message
    assert info.value.extra["accepted"] == list(ACCEPTED_CRS_NAMES)


def test_accepted_names_are_canonical():
    assert STORAGE_CRS == "EPSG:4490"
    assert ACCEPTED_CRS_NAMES == ("EPSG:4490", "EPSG:4326", "EPSG:4545", "EPSG:4546", "GCJ-02", "BD-09")
    assert all(parse_crs(n) == n for n in ACCEPTED_CRS_NAMES)


def test_transform_coords_refuses_unknown_crs():
    with pytest.raises(InvalidInput, match="EPSG:3857"):
        transform_coords(np.array([109.0]), np.array([39.0]), "EPSG:3857", "EPSG:4490")


# ------------------------------------------------------------------------------------------
# Gauss-Krueger zones
# ------------------------------------------------------------------------------------------
def _meridian_arc(lat_deg: float, n: int = 20001) -> float:
    """Meridian arc length from the equator on GRS80, by Simpson integration of M(phi)."""
    phi = np.linspace(0.0, math.radians(lat_deg), n)
    m = GRS80_A * (1 - GRS80_E2) / (1 - GRS80_E2 * np.sin(phi) ** 2) ** 1.5
    h = phi[1] - phi[0]
    return float(h / 3 * (m[0] + m[-1] + 4 * m[1:-1:2].sum() + 2 * m[2:-1:2].sum()))


def test_epsg4545_central_meridian_point_east_first():
    # EPSG:4545 is "CGCS2000 / 3-degree Gauss-Kruger CM 108E": k0 = 1, false easting 500 000 m
    # with NO zone prefix (the prefixed "zone 36" CRS with FE 36 500 000 is EPSG:4524). On the
    # central meridian the northing equals the meridian arc length.
    e, n = transform_point(108.0, 40.0, "EPSG:4490", "EPSG:4545")
    assert e == pytest.approx(500_000.0, abs=1e-6)
    assert n == pytest.approx(_meridian_arc(40.0), abs=1e-3)
    assert 4.42e6 < n < 4.44e6  # east first: (easting, northing), not EPSG's (northing, easting)
    e2, n2 = transform_point(111.0, 40.0, "EPSG:4490", "EPSG:4546")
    assert (e2, n2) == pytest.approx((500_000.0, n), abs=1e-6)


def test_epsg4545_4546_symmetry_and_direct_conversion():
    # TM is symmetric about the central meridian: 111E in the 108E zone mirrors 108E in the 111E zone.
    e45, n45 = transform_point(111.0, 40.0, "EPSG:4490", "EPSG:4545")
    e46, n46 = transform_point(108.0, 40.0, "EPSG:4490", "EPSG:4546")
    assert e45 - 500_000.0 == pytest.approx(500_000.0 - e46, abs=1e-6)
    assert n45 == pytest.approx(n46, abs=1e-6)
    assert e45 > 500_000.0 > e46
    # Zone to zone directly agrees with going through lon/lat.
    # (111E, 40N) given in the 108E zone lands on the 111E zone's central meridian.
    assert transform_point(e45, n45, "EPSG:4545", "EPSG:4546") == pytest.approx(
        (500_000.0, _meridian_arc(40.0)), abs=1e-3
    )
    via = transform_point(*transform_point(e45, n45, "EPSG:4545", "EPSG:4490"), "EPSG:4490", "EPSG:4546")
    assert transform_point(e45, n45, "EPSG:4545", "EPSG:4546") == pytest.approx(via, abs=1e-6)


@pytest.mark.parametrize("zone", ["EPSG:4545", "EPSG:4546"])
def test_gauss_kruger_round_trip(zone):
    lon, lat = _grid(ORDOS_LON, ORDOS_LAT, 25)
    e, n = transform_coords(lon, lat, "EPSG:4490", zone)
    assert np.all(n > 4.1e6) and np.all(n < 4.6e6)
    assert np.all(e > 0) and np.all(e < 1e6)
    lon2, lat2 = transform_coords(e, n, zone, "EPSG:4490")
    assert np.abs(lon2 - lon).max() < 1e-9
    assert np.abs(lat2 - lat).max() < 1e-9


def test_gcj02_to_gauss_kruger_goes_through_wgs84():
    gx, gy = 109.79, 39.62
    wx, wy = transform_point(gx, gy, "GCJ-02", "EPSG:4326")
    assert transform_point(gx, gy, "GCJ-02", "EPSG:4546") == pytest.approx(
        transform_point(wx, wy, "EPSG:4490", "EPSG:4546"), abs=1e-6
    )


@pytest.mark.parametrize(
    ("lon", "zone"),
    [
        (106.5, "EPSG:4545"),
        (108.0, "EPSG:4545"),
        (109.4999, "EPSG:4545"),
        (109.5, "EPSG:4546"),
        (111.0, "EPSG:4546"),
        (112.5, "EPSG:4546"),
    ],
)
def test_gauss_kruger_zone_for(lon, zone):
    assert gauss_kruger_zone_for(lon) == zone


@pytest.mark.parametrize("lon", [106.49, 112.51, 105.0, 120.0, -108.0, float("nan"), float("inf")])
def test_gauss_kruger_zone_for_refuses(lon):
    with pytest.raises(InvalidInput):
        gauss_kruger_zone_for(lon)


# ------------------------------------------------------------------------------------------
# transform_coords behaviour
# ------------------------------------------------------------------------------------------
def test_4326_4490_identity_without_aliasing():
    lon = np.array([109.78, 110.0])
    lat = np.array([39.61, 40.0])
    x, y = transform_coords(lon, lat, "EPSG:4326", "epsg:4490")
    np.testing.assert_array_equal(x, lon)
    np.testing.assert_array_equal(y, lat)
    x[0] = 0.0
    assert lon[0] == 109.78


def test_transform_coords_keeps_shape():
    lon, lat = np.meshgrid(np.linspace(107, 109, 4), np.linspace(38, 40, 3))
    x, y = transform_coords(lon, lat, "EPSG:4490", "EPSG:4545")
    assert x.shape == y.shape == (3, 4)
    x, y = transform_coords(np.array([]), np.array([]), "EPSG:4490", "EPSG:4545")
    assert x.shape == (0,)


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
@pytest.mark.parametrize(
    "pair", [("EPSG:4490", "EPSG:4545"), ("GCJ-02", "EPSG:4490"), ("EPSG:4326", "EPSG:4490"), ("BD-09", "GCJ-02")]
)
def test_non_finite_refused(bad, pair):
    with pytest.raises(InvalidInput):
        transform_coords(np.array([109.0, bad]), np.array([39.0, 39.0]), *pair)
    with pytest.raises(InvalidInput):
        transform_point(109.0, bad, *pair)


@pytest.mark.parametrize("fn", [wgs84_to_gcj02, gcj02_to_wgs84, gcj02_to_bd09, bd09_to_gcj02])
def test_non_finite_refused_by_offset_functions(fn):
    with pytest.raises(InvalidInput):
        fn(np.array([np.nan]), np.array([39.0]))


def test_non_numeric_refused():
    with pytest.raises(InvalidInput):
        transform_point("abc", 39.0, "EPSG:4490", "EPSG:4545")
    with pytest.raises(InvalidInput):
        transform_coords(np.array([1.0, 2.0]), np.array([1.0, 2.0, 3.0]), "EPSG:4490", "GCJ-02")


def test_lonlat_out_of_range_refused():
    # Latitude first by mistake: (39.6, 109.8) has "latitude" 109.8.
    with pytest.raises(InvalidInput):
        transform_point(39.6, 109.8, "EPSG:4490", "EPSG:4545")
    with pytest.raises(InvalidInput):
        transform_point(190.0, 39.0, "GCJ-02", "EPSG:4490")


# ------------------------------------------------------------------------------------------
# transform_geometry
# ------------------------------------------------------------------------------------------
def test_transform_geometry_polygon():
    outer = [(109.0, 39.0), (110.0, 39.0), (110.0, 40.0), (109.0, 40.0), (109.0, 39.0)]
    hole = [(109.4, 39.4), (109.6, 39.4), (109.6, 39.6), (109.4, 39.4)]
    poly = shapely.Polygon(outer, [hole])
    out = transform_geometry(poly, "EPSG:4490", "EPSG:4546")
    assert isinstance(out, shapely.Polygon)
    assert len(out.interiors) == 1
    coords = shapely.get_coordinates(poly)
    ex, ny = transform_coords(coords[:, 0], coords[:, 1], "EPSG:4490", "EPSG:4546")
    np.testing.assert_allclose(shapely.get_coordinates(out), np.column_stack([ex, ny]), rtol=0, atol=1e-6)
    back = transform_geometry(out, "EPSG:4546", "EPSG:4490")
    assert shapely.equals_exact(back, poly, tolerance=1e-9)
    gcj = transform_geometry(poly, "EPSG:4490", "GCJ-02")
    assert shapely.equals_exact(transform_geometry(gcj, "GCJ-02", "EPSG:4490"), poly, tolerance=1e-9)


def test_transform_geometry_array():
    geoms = np.array(
        [
            shapely.Point(109.78, 39.61),
            shapely.LineString([(108.0, 38.0), (108.5, 38.5), (109.0, 38.2)]),
            shapely.box(110.0, 39.0, 110.5, 39.5),
            None,
            shapely.Polygon(),
        ],
        dtype=object,
    )
    out = transform_geometry(geoms, "EPSG:4490", "GCJ-02")
    assert isinstance(out, np.ndarray) and out.shape == geoms.shape
    assert out[3] is None
    assert out[4].is_empty
    for src_geom, dst_geom in zip(geoms[:3], out[:3], strict=True):
        assert type(dst_geom) is type(src_geom)
        c = shapely.get_coordinates(src_geom)
        gx, gy = wgs84_to_gcj02(c[:, 0], c[:, 1])
        np.testing.assert_allclose(shapely.get_coordinates(dst_geom), np.column_stack([gx, gy]), rtol=0, atol=1e-12)
    as_list = transform_geometry(list(geoms[:3]), "EPSG:4490", "GCJ-02")
    assert isinstance(as_list, list) and len(as_list) == 3


def test_transform_geometry_keeps_z():
    p = shapely.Point(109.78, 39.61, 1300.0)
    out = transform_geometry(p, "EPSG:4490", "EPSG:4546")
    assert out.has_z and out.z == 1300.0


def test_transform_geometry_geopandas():
    geopandas = pytest.importorskip("geopandas")
    s = geopandas.GeoSeries([shapely.Point(109.78, 39.61), shapely.box(108, 38, 108.1, 38.1)], crs="EPSG:4490")
    out = transform_geometry(s, "EPSG:4490", "EPSG:4545")
    assert isinstance(out, geopandas.GeoSeries)
    assert out.crs.to_epsg() == 4545
    assert list(out.index) == list(s.index)
    arr = transform_geometry(s.values, "EPSG:4490", "EPSG:4545")
    assert isinstance(arr, geopandas.array.GeometryArray)
    assert arr.crs.to_epsg() == 4545
    assert shapely.equals_exact(arr[0], out.iloc[0], tolerance=1e-9)
    assert transform_geometry(s.values, "EPSG:4490", "GCJ-02").crs is None


def test_transform_geometry_refuses_non_geometry():
    with pytest.raises(InvalidInput):
        transform_geometry("POINT (1 2)", "EPSG:4490", "EPSG:4545")
    with pytest.raises(InvalidInput):
        transform_geometry([shapely.Point(1, 2), "x"], "EPSG:4490", "EPSG:4326")
    with pytest.raises(InvalidInput):
        transform_geometry(shapely.Point(109, 39), "EPSG:4490", "EPSG:3857")


# ------------------------------------------------------------------------------------------
# Geodesic measures
# ------------------------------------------------------------------------------------------
def _quadrangle_area(lon1: float, lon2: float, lat1: float, lat2: float) -> float:
    """Closed-form area of an ellipsoidal quadrangle bounded by meridians and parallels (GRS80)."""
    e = math.sqrt(GRS80_E2)

    def q(lat: float) -> float:
        s = math.sin(math.radians(lat))
        return s / (1 - GRS80_E2 * s * s) + math.log((1 + e * s) / (1 - e * s)) / (2 * e)

    return GRS80_B**2 * math.radians(lon2 - lon1) / 2 * (q(lat2) - q(lat1))


def test_geodesic_area_one_degree_cell():
    expected = _quadrangle_area(108.0, 109.0, 39.5, 40.5)
    assert expected == pytest.approx(9.48e9, rel=0.005)  # about 9,480 km2
    # Spherical sanity value with the authalic radius (independent of the ellipsoid formula).
    r = 6371007.2
    spherical = r * r * math.radians(1.0) * (math.sin(math.radians(40.5)) - math.sin(math.radians(39.5)))
    cell = shapely.box(108.0, 39.5, 109.0, 40.5)
    assert geodesic_area_m2(cell) == pytest.approx(spherical, rel=0.005)
    # Edges are geodesics, the quadrangle's top/bottom are parallels: equal to ~1e-5.
    assert geodesic_area_m2(cell) == pytest.approx(expected, rel=1e-4)
    # Densified along the parallels the geodesic polygon converges to the quadrangle.
    xs = np.linspace(108.0, 109.0, 2001)
    ring = list(zip(xs, np.full_like(xs, 39.5), strict=True)) + list(zip(xs[::-1], np.full_like(xs, 40.5), strict=True))
    assert geodesic_area_m2(shapely.Polygon(ring)) == pytest.approx(expected, rel=1e-8)


def test_geodesic_area_holes_orientation_and_multi():
    outer = shapely.box(108.0, 39.0, 109.0, 40.0)
    inner = shapely.box(108.25, 39.25, 108.75, 39.75)
    with_hole = shapely.Polygon(outer.exterior.coords, [inner.exterior.coords])
    with_hole_same_orientation = shapely.Polygon(outer.exterior.coords, [list(inner.exterior.coords)[::-1]])
    expected = _quadrangle_area(108, 109, 39, 40) - _quadrangle_area(108.25, 108.75, 39.25, 39.75)
    assert geodesic_area_m2(with_hole) == pytest.approx(expected, rel=1e-4)
    assert geodesic_area_m2(with_hole_same_orientation) == pytest.approx(geodesic_area_m2(with_hole), rel=1e-12)
    reversed_outer = shapely.Polygon(list(outer.exterior.coords)[::-1])
    assert geodesic_area_m2(reversed_outer) == pytest.approx(geodesic_area_m2(outer), rel=1e-12)
    multi = shapely.MultiPolygon([outer, shapely.box(110.0, 39.0, 111.0, 40.0)])
    assert geodesic_area_m2(multi) == pytest.approx(2 * geodesic_area_m2(outer), rel=1e-9)
    assert geodesic_area_m2(shapely.LineString([(108, 39), (109, 40)])) == 0.0
    assert geodesic_area_m2(shapely.Polygon()) == 0.0


def test_geodesic_length():
    # One degree of longitude along the equator is a * pi / 180.
    assert geodesic_length_m(shapely.LineString([(0, 0), (1, 0)])) == pytest.approx(111319.49079327357, abs=1e-4)
    assert GRS80_A * math.pi / 180 == pytest.approx(111319.49, abs=0.01)
    # Along a meridian: the meridian arc, integrated numerically here.
    meridian = shapely.LineString([(109.0, 39.0), (109.0, 40.0)])
    assert geodesic_length_m(meridian) == pytest.approx(_meridian_arc(40.0) - _meridian_arc(39.0), abs=1e-3)
    multi = shapely.MultiLineString([[(0, 0), (1, 0)], [(0, 0), (0, 1)]])
    assert geodesic_length_m(multi) == pytest.approx(111319.49079327357 + _meridian_arc(1.0), abs=1e-3)
    # Polygon: perimeter of the exterior.
    cell = shapely.box(109.0, 39.0, 110.0, 40.0)
    geod = Geod(ellps="GRS80")
    sides = [
        geod.inv(109, 39, 110, 39)[2],
        geod.inv(110, 39, 110, 40)[2],
        geod.inv(110, 40, 109, 40)[2],
        geod.inv(109, 40, 109, 39)[2],
    ]
    assert geodesic_length_m(cell) == pytest.approx(sum(sides), rel=1e-12)
    assert geodesic_length_m(shapely.Point(109, 39)) == 0.0


def test_geodesic_measures_refuse_bad_input():
    with pytest.raises(InvalidInput):
        geodesic_area_m2("POLYGON ((0 0, 1 0, 1 1, 0 0))")
    projected = shapely.box(500_000, 4_400_000, 510_000, 4_410_000)  # metres, not degrees
    with pytest.raises(InvalidInput):
        geodesic_area_m2(projected)
    with pytest.raises(InvalidInput):
        geodesic_length_m(projected)


# --- every CGCS2000 Gauss-Krueger zone (EPSG:4491-4554), with and without the zone prefix ----------------
ORDOS_POINT = (109.78, 39.61)  # 康巴什区, east of 109.5E: 3-degree zone 37 (111E), 6-degree zone 19 (111E)


@pytest.mark.parametrize(
    ("code", "width", "zone", "meridian", "prefixed"),
    [
        ("EPSG:4491", 6, 13, 75, True),
        ("EPSG:4497", 6, 19, 111, True),
        ("EPSG:4508", 6, 19, 111, False),
        ("EPSG:4512", 6, 23, 135, False),
        ("EPSG:4524", 3, 36, 108, True),
        ("EPSG:4525", 3, 37, 111, True),
        ("EPSG:4545", 3, 36, 108, False),
        ("EPSG:4554", 3, 45, 135, False),
    ],
)
def test_gauss_kruger_codes_follow_the_epsg_registry(
    code: str, width: int, zone: int, meridian: int, prefixed: bool
) -> None:
    """Zone, central meridian and false easting as PROJ's copy of the EPSG registry gives them."""
    assert parse_crs(code.lower()) == code
    crs = GAUSS_KRUGER[code]
    assert (crs.width, crs.zone, crs.central_meridian, crs.prefixed) == (width, zone, meridian, prefixed)
    operation = pyproj.CRS(code).coordinate_operation
    assert operation is not None
    params = {p.name: p.value for p in operation.params}
    assert params["Longitude of natural origin"] == meridian
    assert params["False easting"] == (zone * 1_000_000 + 500_000 if prefixed else 500_000)


@pytest.mark.parametrize(
    ("prefixed", "plain", "zone"), [("EPSG:4525", "EPSG:4546", 37), ("EPSG:4497", "EPSG:4508", 19)]
)
def test_a_prefixed_zone_reads_like_its_plain_twin(prefixed: str, plain: str, zone: int) -> None:
    east, north = transform_point(*ORDOS_POINT, "EPSG:4490", plain)
    assert transform_point(*ORDOS_POINT, "EPSG:4490", prefixed) == pytest.approx((east + zone * 1e6, north), abs=1e-6)
    assert transform_point(east + zone * 1e6, north, prefixed, "EPSG:4490") == pytest.approx(ORDOS_POINT, abs=1e-9)


@pytest.mark.parametrize(
    ("easting", "code", "likely"),
    [
        (37_512_345.0, "EPSG:4546", "EPSG:4525"),  # zone prefix under a code without one
        (512_345.0, "EPSG:4525", "EPSG:4546"),  # no prefix under a code with one
        (36_512_345.0, "EPSG:4525", "EPSG:4524"),  # another zone's prefix
        (19_512_345.0, "EPSG:4508", "EPSG:4497"),  # a 6-degree zone
    ],
)
def test_an_easting_with_the_wrong_zone_prefix_names_the_likely_code(easting: float, code: str, likely: str) -> None:
    with pytest.raises(InvalidInput, match=likely):
        transform_point(easting, 4_385_000.0, code, "EPSG:4490")
