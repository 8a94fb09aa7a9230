"""Geodesic measures on the CGCS2000 (GRS80) ellipsoid of geometries in EPSG:4490 lon/lat, and the
Gauss-Krueger zone of a longitude."""

from __future__ import annotations

import math
from typing import Any

import shapely
from pyproj import Geod

from core.crs import FloatArray, as_xy, check_lonlat
from core.errors import InvalidInput

_GEOD = Geod(ellps="GRS80")  # CGCS2000 has GRS80's a and f (they differ only in GM and omega).

# Gauss-Krueger 3-degree zones supported: (west edge, east edge, EPSG name).
_GK_ZONES: tuple[tuple[float, float, str], ...] = (
    (106.5, 109.5, "EPSG:4545"),
    (109.5, 112.5, "EPSG:4546"),
)


# ----------------------------------------------------------------------------------------
# Geodesic measures on the CGCS2000 (GRS80) ellipsoid
# ----------------------------------------------------------------------------------------
def _ring_xy(ring: Any) -> tuple[FloatArray, FloatArray]:
    coords = shapely.get_coordinates(ring)
    lon, lat = as_xy(coords[:, 0], coords[:, 1])
    check_lonlat(lon, lat)
    return lon, lat


def _parts(geom: Any) -> list[Any]:
    if not isinstance(geom, shapely.Geometry):
        raise InvalidInput(f"expected a shapely geometry, got {type(geom).__name__}")
    if geom.is_empty:
        return []
    if hasattr(geom, "geoms"):  # Multi* and GeometryCollection
        return [p for g in geom.geoms for p in _parts(g)]
    return [geom]


def _ring_area(ring: Any) -> float:
    lon, lat = _ring_xy(ring)
    if lon.size < 4:
        return 0.0
    area, _ = _GEOD.polygon_area_perimeter(lon, lat)
    return abs(float(area))


def geodesic_area_m2(geom: Any) -> float:
    """Area in m^2 on the CGCS2000 (GRS80) ellipsoid of a geometry in EPSG:4490 lon/lat.

    Polygons and multipolygons (also inside collections): |exterior| minus |holes|, whatever
    the ring orientation. Points and lines contribute 0. Edges are geodesics.
    """
    total = 0.0
    for part in _parts(geom):
        if isinstance(part, shapely.Polygon):
            total += _ring_area(part.exterior) - sum(_ring_area(r) for r in part.interiors)
    return abs(total)


def geodesic_length_m(geom: Any) -> float:
    """Length in metres on the GRS80 ellipsoid of lines/multilines in EPSG:4490 lon/lat.

    For polygons the perimeter (exterior plus holes) is returned; points contribute 0.
    """
    total = 0.0
    for part in _parts(geom):
        if isinstance(part, shapely.Polygon):
            rings = [part.exterior, *part.interiors]
        elif isinstance(part, shapely.LineString):  # includes LinearRing
            rings = [part]
        else:
            continue
        for ring in rings:
            lon, lat = _ring_xy(ring)
            if lon.size >= 2:
                total += float(_GEOD.line_length(lon, lat))
    return total


def gauss_kruger_zone_for(lon: float) -> str:
    """EPSG name of the CGCS2000 3-degree Gauss-Krueger zone containing ``lon``.

    ``EPSG:4545`` (CM 108E) for 106.5 <= lon < 109.5 and ``EPSG:4546`` (CM 111E) for
    109.5 <= lon <= 112.5 (a point exactly on 109.5 goes east). Only these two zones, which
    cover Ordos (about 106.7E-111.5E), are supported; other longitudes raise InvalidInput.
    """
    try:
        value = float(lon)
    except (TypeError, ValueError):
        raise InvalidInput(f"longitude must be a number, got {lon!r}") from None
    if math.isfinite(value):
        for west, east, name in _GK_ZONES:
            if west <= value < east or (value == east == _GK_ZONES[-1][1]):
                return name
    raise InvalidInput(
        f"longitude {lon!r} is outside the supported Gauss-Krueger zones "
        "(EPSG:4545 for 106.5-109.5E, EPSG:4546 for 109.5-112.5E)",
        extra={"lon": value if math.isfinite(value) else None},
    )
