"""Coordinate reference systems: parsing and transformation (geodesic measures: :mod:`core.geodesy`).

The storage CRS is CGCS2000 geographic, ``EPSG:4490``, lon/lat in degrees.

Accepted CRS names (see :data:`ACCEPTED_CRS_NAMES`):

* ``EPSG:4490`` CGCS2000 lon/lat and ``EPSG:4326`` WGS84 lon/lat. The two datums differ by
  centimetres at city scale, so they are treated as identical (no PROJ call between them).
* ``EPSG:4545`` / ``EPSG:4546``: CGCS2000 3-degree Gauss-Krueger, central meridian 108E / 111E.
  These EPSG codes are the "CM" variants: false easting 500 000 m, *no* zone-number prefix
  (the prefixed variants with easting 36 500 000 m at 108E are EPSG:4524 / 4525, not accepted).
* ``GCJ-02``: the obfuscated lon/lat used by Chinese map vendors (AMap/Gaode, Tencent, ...).
* ``BD-09``: Baidu's further offset of GCJ-02 (lon/lat; not Baidu's Mercator metres).

Axis order: every coordinate handled here is *east first* -- (lon, lat) for geographic CRSs and
(easting, northing) for the Gauss-Krueger ones -- whatever axis order the EPSG registry declares.

GCJ-02 / BD-09 are not known to PROJ; this module implements the published formulas:

* WGS84 -> GCJ-02: offset polynomials in (lon - 105, lat - 35) scaled onto the Krasovsky
  ellipsoid (a = 6378245, e^2 = 0.00669342162296594323). The offset is applied only inside the
  customary rough China bounding box (:func:`out_of_china`); outside it the transform is the
  identity, in both directions.
* GCJ-02 -> WGS84: no closed form; solved exactly (to < 1e-9 deg, i.e. sub-millimetre) by
  fixed-point iteration on the forward formula, not by the common one-step approximation
  (which is off by up to a few metres).
* GCJ-02 <-> BD-09: the published Baidu formula forward; its published inverse is itself
  approximate, so it is used as a starting point and refined iteratively.

Conversions between GCJ-02/BD-09 and the EPSG CRSs go through WGS84 (= CGCS2000 here).
"""

from __future__ import annotations

import functools
import math
from typing import Any

import numpy as np
import shapely
from numpy.typing import ArrayLike, NDArray
from pyproj import Transformer

from core.errors import InvalidInput
from core.gauss_kruger import GAUSS_KRUGER, check_zone_prefix

__all__ = [
    "ACCEPTED_CRS_NAMES",
    "STORAGE_CRS",
    "bd09_to_gcj02",
    "gcj02_to_bd09",
    "gcj02_to_wgs84",
    "as_xy",
    "check_lonlat",
    "out_of_china",
    "parse_crs",
    "transform_coords",
    "transform_geometry",
    "transform_point",
    "wgs84_to_gcj02",
]

FloatArray = NDArray[np.float64]

STORAGE_CRS = "EPSG:4490"
ACCEPTED_CRS_NAMES: tuple[str, ...] = ("EPSG:4490", "EPSG:4326", "EPSG:4545", "EPSG:4546", "GCJ-02", "BD-09")

# Names treated as the same geographic lon/lat system (WGS84 == CGCS2000 at this scale).
_GEOGRAPHIC = frozenset({"EPSG:4490", "EPSG:4326"})
# Names whose coordinates are lon/lat degrees (range-checked on input).
_LONLAT = frozenset({"EPSG:4490", "EPSG:4326", "GCJ-02", "BD-09"})

# Projected names (GK metres): every CGCS2000 zone, so marker agreements and survey files keep the CRS they state.
_PROJECTED = frozenset(GAUSS_KRUGER)

_ALIASES: dict[str, str] = {
    "EPSG:4490": "EPSG:4490",
    "EPSG:4326": "EPSG:4326",
    **{name: name for name in GAUSS_KRUGER},
    "GCJ-02": "GCJ-02",
    "GCJ02": "GCJ-02",
    "BD-09": "BD-09",
    "BD09": "BD-09",
}

# --- GCJ-02 constants (Krasovsky 1940 ellipsoid) -----------------------------------------
_GCJ_A = 6378245.0
_GCJ_EE = 0.00669342162296594323
# --- BD-09 constants ---------------------------------------------------------------------
_BD_X_PI = math.pi * 3000.0 / 180.0
_BD_DLON = 0.0065
_BD_DLAT = 0.006

# Rough China bounding box used by every published GCJ-02 implementation.
_CHINA_LON_MIN, _CHINA_LON_MAX = 72.004, 137.8347
_CHINA_LAT_MIN, _CHINA_LAT_MAX = 0.8293, 55.8271

# Iterative inverses: stop once the forward image of the estimate is within this (degrees).
# The check is made on the residual *before* the last correction, so the returned point is
# typically a few hundred times closer still (~1e-12 deg).
_INVERSE_TOL_DEG = 1e-9
_INVERSE_MAX_ITER = 30


# ----------------------------------------------------------------------------------------
# CRS names
# ----------------------------------------------------------------------------------------
def _accepted_text() -> str:
    return ", ".join(ACCEPTED_CRS_NAMES) + " or any CGCS2000 Gauss-Krueger zone EPSG:4491-4554"


def parse_crs(name: str | None) -> str:
    """Return the canonical name for an accepted CRS name.

    Matching is case-insensitive after stripping surrounding whitespace. Besides the six
    canonical names and every CGCS2000 Gauss-Krueger code (:data:`GAUSS_KRUGER`), the spellings
    ``GCJ02`` and ``BD09`` (any case) are accepted. Anything
    else -- ``None``, ``""``, ``EPSG:3857``, ``WGS84``, ``CRS84``, a bare ``4490`` -- raises
    :class:`InvalidInput` naming the bad value and listing :data:`ACCEPTED_CRS_NAMES`.
    """
    canonical = _ALIASES.get(name.strip().upper()) if isinstance(name, str) else None
    if canonical is None:
        shown = name if isinstance(name, str) else repr(name)
        if len(shown) > 80:
            shown = shown[:77] + "..."
        raise InvalidInput(
            f"unsupported CRS {shown!r}; accepted: {_accepted_text()}",
            extra={"crs": shown, "accepted": list(ACCEPTED_CRS_NAMES)},
        )
    return canonical


# ----------------------------------------------------------------------------------------
# Input checking
# ----------------------------------------------------------------------------------------
def as_xy(x: ArrayLike, y: ArrayLike) -> tuple[FloatArray, FloatArray]:
    """Two float64 arrays of one common shape, all finite, or :class:`InvalidInput`."""
    try:
        xa = np.asarray(x, dtype=np.float64)
        ya = np.asarray(y, dtype=np.float64)
        xa, ya = np.broadcast_arrays(xa, ya)
    except (TypeError, ValueError) as exc:
        raise InvalidInput(f"coordinates must be numbers of matching shape: {exc}") from None
    if not (np.isfinite(xa).all() and np.isfinite(ya).all()):
        raise InvalidInput("coordinates must be finite numbers (NaN or infinity given)")
    return xa, ya


def _pair(a: Any, b: Any) -> tuple[FloatArray, FloatArray]:
    """Results as float64 ndarrays (numpy turns 0-d results into scalars)."""
    return np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)


def check_lonlat(lon: FloatArray, lat: FloatArray) -> None:
    if lon.size and (np.abs(lat).max() > 90.0 or np.abs(lon).max() > 180.0):
        raise InvalidInput(
            "longitude/latitude out of range (need -180 <= lon <= 180, -90 <= lat <= 90; "
            "coordinates are lon/lat, east first)"
        )


# ----------------------------------------------------------------------------------------
# GCJ-02
# ----------------------------------------------------------------------------------------
def out_of_china(lon: ArrayLike, lat: ArrayLike) -> NDArray[np.bool_]:
    """True where (lon, lat) lies outside the rough China bounding box.

    This is the customary test of GCJ-02 implementations: lon outside [72.004, 137.8347] or
    lat outside [0.8293, 55.8271]. The GCJ-02 offset is applied only inside the box and is the
    identity outside it. The box is a rectangle, not the border: it includes parts of
    neighbouring countries and excludes nothing of mainland China.
    """
    lo = np.asarray(lon, dtype=np.float64)
    la = np.asarray(lat, dtype=np.float64)
    return (lo < _CHINA_LON_MIN) | (lo > _CHINA_LON_MAX) | (la < _CHINA_LAT_MIN) | (la > _CHINA_LAT_MAX)


def _sin3(s: FloatArray) -> FloatArray:
    """sin(3t) from s = sin(t) (triple-angle identity; saves a transcendental call)."""
    return s * (3.0 - 4.0 * s * s)


def _gcj_offset(lon: FloatArray, lat: FloatArray) -> tuple[FloatArray, FloatArray]:
    """GCJ-02 offset (dlon, dlat) in degrees at WGS84 (lon, lat), without the China box test.

    The published polynomials in x = lon - 105, y = lat - 35 give the offset in metres north
    and east; they are scaled to degrees with the Krasovsky meridian and parallel radii.
    sin(6 pi x), sin(pi x) and sin(pi y) are derived from sin(2 pi x), sin(pi x / 3) and
    sin(pi y / 3) by the triple-angle identity, which keeps the hot inverse loop cheaper.
    """
    pi = math.pi
    x = lon - 105.0
    y = lat - 35.0
    s_2x = np.sin((2.0 * pi) * x)
    s_x3 = np.sin((pi / 3.0) * x)
    s_y3 = np.sin((pi / 3.0) * y)
    # Term shared by both polynomials: (20 sin(6 pi x) + 20 sin(2 pi x)) * 2/3.
    common = (_sin3(s_2x) + s_2x) * (40.0 / 3.0)
    common += 0.1 * x * y
    sqrt_abs_x = np.sqrt(np.abs(x))

    north_m = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.2 * sqrt_abs_x + common
    north_m += (20.0 * _sin3(s_y3) + 40.0 * s_y3) * (2.0 / 3.0)
    north_m += (160.0 * np.sin((pi / 12.0) * y) + 320.0 * np.sin((pi / 30.0) * y)) * (2.0 / 3.0)

    east_m = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * sqrt_abs_x + common
    east_m += (20.0 * _sin3(s_x3) + 40.0 * s_x3) * (2.0 / 3.0)
    east_m += (150.0 * np.sin((pi / 12.0) * x) + 300.0 * np.sin((pi / 30.0) * x)) * (2.0 / 3.0)

    sin_phi = np.sin(np.radians(lat))
    sin2 = sin_phi * sin_phi
    w2 = 1.0 - _GCJ_EE * sin2
    w = np.sqrt(w2)
    cos_phi = np.sqrt(1.0 - sin2)  # |lat| <= 90 so cos(phi) >= 0
    # Metres -> degrees: meridian radius M = a(1-e^2)/W^3, parallel radius N cos(phi) = a cos(phi)/W.
    dlat = north_m * (180.0 / (pi * _GCJ_A * (1.0 - _GCJ_EE))) * (w2 * w)
    dlon = east_m * (180.0 / (pi * _GCJ_A)) * w / cos_phi
    return dlon, dlat


def wgs84_to_gcj02(lon: ArrayLike, lat: ArrayLike) -> tuple[FloatArray, FloatArray]:
    """WGS84 (= CGCS2000 here) lon/lat -> GCJ-02 lon/lat, vectorised.

    Identity for points outside the China box (:func:`out_of_china`). Non-finite input raises
    :class:`InvalidInput`.
    """
    lo, la = as_xy(lon, lat)
    with np.errstate(divide="ignore", invalid="ignore"):  # poles (outside the box anyway)
        dlon, dlat = _gcj_offset(lo, la)
    inside = ~out_of_china(lo, la)
    return _pair(np.where(inside, lo + dlon, lo), np.where(inside, la + dlat, la))


def gcj02_to_wgs84(lon: ArrayLike, lat: ArrayLike) -> tuple[FloatArray, FloatArray]:
    """GCJ-02 lon/lat -> WGS84 lon/lat: the exact inverse of :func:`wgs84_to_gcj02`, vectorised.

    Solves ``wgs84_to_gcj02(w) == g`` by fixed-point iteration ``w <- w - (f(w) - g)`` until the
    forward image matches to better than 1e-9 deg (3 iterations after the one-step first guess;
    the offset's Jacobian has norm ~0.005, so each step gains a factor of a few hundred and the
    result is typically within ~1e-12 deg). Non-finite input raises :class:`InvalidInput`.

    Points whose GCJ-02 coordinates lie outside the China box are returned unchanged. Caveat:
    within ~1 km of the box's edges the forward transform is discontinuous (a WGS84 point just
    inside the box may map just outside it), so there the round trip is not exact; nowhere
    near Ordos or mainland China's interior.
    """
    glon, glat = as_xy(lon, lat)
    inside = ~out_of_china(glon, glat)
    wlon = glon.copy()
    wlat = glat.copy()
    if not inside.any():
        return _pair(wlon, wlat)
    g_lon = glon[inside]
    g_lat = glat[inside]
    # First guess: subtract the offset evaluated at the GCJ point (the "one-step" inverse).
    dlon, dlat = _gcj_offset(g_lon, g_lat)
    w_lon = g_lon - dlon
    w_lat = g_lat - dlat
    for _ in range(_INVERSE_MAX_ITER):
        dlon, dlat = _gcj_offset(w_lon, w_lat)
        r_lon = w_lon + dlon - g_lon
        r_lat = w_lat + dlat - g_lat
        w_lon -= r_lon
        w_lat -= r_lat
        if max(float(np.abs(r_lon).max()), float(np.abs(r_lat).max())) < _INVERSE_TOL_DEG:
            break
    wlon[inside] = w_lon
    wlat[inside] = w_lat
    return _pair(wlon, wlat)


# ----------------------------------------------------------------------------------------
# BD-09
# ----------------------------------------------------------------------------------------
def _bd_forward(lon: FloatArray, lat: FloatArray) -> tuple[FloatArray, FloatArray]:
    z = np.hypot(lon, lat) + 0.00002 * np.sin(lat * _BD_X_PI)
    theta = np.arctan2(lat, lon) + 0.000003 * np.cos(lon * _BD_X_PI)
    return z * np.cos(theta) + _BD_DLON, z * np.sin(theta) + _BD_DLAT


def _bd_inverse_one_step(lon: FloatArray, lat: FloatArray) -> tuple[FloatArray, FloatArray]:
    """The published one-step BD-09 -> GCJ-02 formula (approximate: errors up to ~2e-6 deg)."""
    x = lon - _BD_DLON
    y = lat - _BD_DLAT
    z = np.hypot(x, y) - 0.00002 * np.sin(y * _BD_X_PI)
    theta = np.arctan2(y, x) - 0.000003 * np.cos(x * _BD_X_PI)
    return z * np.cos(theta), z * np.sin(theta)


def gcj02_to_bd09(lon: ArrayLike, lat: ArrayLike) -> tuple[FloatArray, FloatArray]:
    """GCJ-02 lon/lat -> BD-09 lon/lat (Baidu's published formula; applied everywhere)."""
    lo, la = as_xy(lon, lat)
    return _pair(*_bd_forward(lo, la))


def bd09_to_gcj02(lon: ArrayLike, lat: ArrayLike) -> tuple[FloatArray, FloatArray]:
    """BD-09 lon/lat -> GCJ-02 lon/lat: exact inverse of :func:`gcj02_to_bd09`.

    Starts from the published one-step formula (itself approximate) and refines it by
    fixed-point iteration until ``gcj02_to_bd09`` of the result matches the input to < 1e-9 deg
    (the one-step formula alone is off by up to ~2e-6 deg, about 0.2 m).
    """
    blon, blat = as_xy(lon, lat)
    g_lon, g_lat = _bd_inverse_one_step(blon, blat)
    if g_lon.size == 0:
        return _pair(g_lon, g_lat)
    for _ in range(_INVERSE_MAX_ITER):
        f_lon, f_lat = _bd_forward(g_lon, g_lat)
        r_lon = f_lon - blon
        r_lat = f_lat - blat
        g_lon = g_lon - r_lon
        g_lat = g_lat - r_lat
        if max(float(np.abs(r_lon).max()), float(np.abs(r_lat).max())) < _INVERSE_TOL_DEG:
            break
    return _pair(g_lon, g_lat)


# ----------------------------------------------------------------------------------------
# General transformation
# ----------------------------------------------------------------------------------------
@functools.lru_cache(maxsize=32)  # at most a dozen (src, dst) pairs exist
def _transformer(src: str, dst: str) -> Transformer:
    """PROJ transformer between two EPSG names, east-first on both sides (thread-safe, pyproj>=3.1)."""
    return Transformer.from_crs(src, dst, always_xy=True)


def _proj(x: FloatArray, y: FloatArray, src: str, dst: str) -> tuple[FloatArray, FloatArray]:
    if x.size == 0:
        return x.copy(), y.copy()
    tx, ty = _transformer(src, dst).transform(x.ravel(), y.ravel())
    out_x = np.asarray(tx, dtype=np.float64).reshape(x.shape)
    out_y = np.asarray(ty, dtype=np.float64).reshape(y.shape)
    if not (np.isfinite(out_x).all() and np.isfinite(out_y).all()):
        raise InvalidInput(f"coordinates cannot be transformed from {src} to {dst} (outside the projection)")
    return out_x, out_y


def _to_geographic(x: FloatArray, y: FloatArray, src: str) -> tuple[FloatArray, FloatArray]:
    """Any accepted CRS -> WGS84/CGCS2000 lon/lat."""
    if src in _GEOGRAPHIC:
        return x, y
    if src == "GCJ-02":
        return gcj02_to_wgs84(x, y)
    if src == "BD-09":
        return gcj02_to_wgs84(*bd09_to_gcj02(x, y))
    return _proj(x, y, src, STORAGE_CRS)


def _from_geographic(lon: FloatArray, lat: FloatArray, dst: str) -> tuple[FloatArray, FloatArray]:
    """WGS84/CGCS2000 lon/lat -> any accepted CRS."""
    if dst in _GEOGRAPHIC:
        return lon, lat
    if dst == "GCJ-02":
        return wgs84_to_gcj02(lon, lat)
    if dst == "BD-09":
        return gcj02_to_bd09(*wgs84_to_gcj02(lon, lat))
    return _proj(lon, lat, STORAGE_CRS, dst)


def transform_coords(x: ArrayLike, y: ArrayLike, src: str, dst: str) -> tuple[FloatArray, FloatArray]:
    """Transform coordinate arrays from ``src`` to ``dst`` (names as accepted by :func:`parse_crs`).

    Coordinates are always east-first: (lon, lat) or (easting, northing). The result has the
    broadcast shape of ``x`` and ``y`` and never aliases them. EPSG:4326 <-> EPSG:4490 is the
    identity; GCJ-02 <-> BD-09 is direct; all other GCJ-02/BD-09 routes go through WGS84.
    Non-finite input, or lon/lat outside [-180, 180] x [-90, 90] for a geographic ``src``,
    raises :class:`InvalidInput`.
    """
    src_c = parse_crs(src)
    dst_c = parse_crs(dst)
    xa, ya = as_xy(x, y)
    if src_c in _LONLAT:
        check_lonlat(xa, ya)
    if src_c in _PROJECTED:
        check_zone_prefix(xa, src_c)
    if src_c == dst_c or (src_c in _GEOGRAPHIC and dst_c in _GEOGRAPHIC):
        return xa.copy(), ya.copy()
    if src_c == "GCJ-02" and dst_c == "BD-09":
        return gcj02_to_bd09(xa, ya)
    if src_c == "BD-09" and dst_c == "GCJ-02":
        return bd09_to_gcj02(xa, ya)
    if src_c in _PROJECTED and dst_c in _PROJECTED:
        return _proj(xa, ya, src_c, dst_c)
    lon, lat = _to_geographic(xa, ya, src_c)
    return _from_geographic(lon, lat, dst_c)


def transform_point(x: float, y: float, src: str, dst: str) -> tuple[float, float]:
    """Transform one east-first coordinate pair; see :func:`transform_coords`."""
    tx, ty = transform_coords([x], [y], src, dst)
    return float(tx[0]), float(ty[0])


def _epsg_or_none(name: str) -> str | None:
    return name if name.startswith("EPSG:") else None


def transform_geometry(geom: Any, src: str, dst: str) -> Any:
    """Transform shapely geometries from ``src`` to ``dst``, all vertices in one vectorised call.

    Accepts a shapely geometry (returns a geometry), a numpy array of geometries (returns an
    array of the same shape; ``None`` entries stay ``None``), a geopandas ``GeometryArray`` or
    ``GeoSeries`` (returned as the same type, with ``crs`` set to ``dst`` -- or ``None`` for
    GCJ-02/BD-09, which PROJ does not know), or a list/tuple (returns a list). Z values, if any,
    are kept unchanged.
    """
    src_c = parse_crs(src)
    dst_c = parse_crs(dst)

    def fn(coords: FloatArray) -> FloatArray:
        out = np.array(coords, dtype=np.float64, copy=True)
        out[:, 0], out[:, 1] = transform_coords(coords[:, 0], coords[:, 1], src_c, dst_c)
        return out

    if isinstance(geom, shapely.Geometry):
        return shapely.transform(geom, fn, include_z=None)
    module = type(geom).__module__ or ""
    if module.startswith("geopandas"):
        import geopandas  # local import: geopandas is heavy and only needed here

        if isinstance(geom, geopandas.GeoSeries):
            values = transform_geometry(geom.values, src_c, dst_c)
            return geopandas.GeoSeries(values, index=geom.index, name=geom.name, crs=_epsg_or_none(dst_c))
        if isinstance(geom, geopandas.array.GeometryArray):
            result = shapely.transform(np.asarray(geom, dtype=object), fn, include_z=None)
            return geopandas.array.from_shapely(result, crs=_epsg_or_none(dst_c))
    if isinstance(geom, np.ndarray | list | tuple):
        arr = np.asarray(geom, dtype=object)
        ok = np.vectorize(lambda g: g is None or isinstance(g, shapely.Geometry), otypes=[bool])(arr)
        if not ok.all():
            raise InvalidInput("transform_geometry expects shapely geometries")
        result = shapely.transform(arr, fn, include_z=None)
        return result if isinstance(geom, np.ndarray) else list(result)
    raise InvalidInput(f"transform_geometry expects a shapely geometry or array of them, got {type(geom).__name__}")
