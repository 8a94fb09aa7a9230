"""Geodesic measures on the CGCS2000 (GRS80) ellipsoid of geometries in EPSG:4490 lon/lat."""

from __future__ import annotations

from typing import Any

import shapely
from pyproj import Geod

from core.crs import FloatArray, as_xy, check_lonlat
from core.errors import InvalidInput

_GEOD = Geod(ellps="GRS80")  # CGCS2000 has GRS80's a and f (they differ only in GM and omega).


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
