"""Geometry of a place name: points, lines and polygons given as GeoJSON or WKT in any accepted CRS, validated
and converted to EPSG:4490, and the check that it lies where its unit is.

Rules (the same for the API, the CLI and the bulk import):
- types: Point, LineString, Polygon, MultiPoint, MultiLineString, MultiPolygon (no GeometryCollection);
- coordinates east first, JSON numbers (not ``false`` or ``"1"``), finite and in range of the CRS (the first bad
  vertex is named);
- a polygon ring has at least 4 positions and is closed (RFC 7946: an open ring is refused, not closed silently);
- the geometry is non-empty and valid (OGC simple features: no self-intersection), at most
  :data:`MAX_VERTICES` vertices;
- location: the geometry must come within :data:`AREA_TOLERANCE_DEG` of the deepest registered polygon of its
  unit or the unit's ancestors (a point inside the banner or the city; a line or polygon touching it: a river
  or a road may run on beyond). The registered polygons are converted map-vendor outlines, hence the tolerance.
  Without any registered polygon on the path, the geometry must lie within China's bounding box.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry
from sqlalchemy.engine import Connection

from boundaries import service as boundaries
from core.crs import parse_crs
from core.errors import InvalidInput
from core.geojson import require_closed_rings
from core.values import CODE_LENGTHS, code_length, points_to_storage, require_numeric_coordinates

GEOMETRY_TYPES = ("Point", "LineString", "Polygon", "MultiPoint", "MultiLineString", "MultiPolygon")
MAX_VERTICES = 20_000
MAX_WKT_CHARS = 2_000_000
AREA_TOLERANCE_DEG = 0.005  # about 500 m: the registered outlines are approximate
CHINA_BOX = (73.0, 3.0, 136.0, 54.0)


def from_geojson(geojson: Any, crs: str) -> BaseGeometry:
    """A GeoJSON geometry object (east first, in ``crs``) as a valid shapely geometry in EPSG:4490."""
    if not isinstance(geojson, dict):
        raise InvalidInput(f"geometry must be a GeoJSON geometry object, not {type(geojson).__name__}")
    kind = geojson.get("type")
    if kind not in GEOMETRY_TYPES:
        raise InvalidInput(f"geometry type {kind!r} is not one of {', '.join(GEOMETRY_TYPES)}")
    coordinates = geojson.get("coordinates")
    if not isinstance(coordinates, list) or not coordinates:
        raise InvalidInput(f"{kind} has no coordinates")
    require_numeric_coordinates(coordinates, kind)
    require_closed_rings(kind, coordinates)
    try:
        source = shapely.geometry.shape(geojson)
    except Exception as exc:  # shapely raises several types on malformed GeoJSON
        raise InvalidInput(f"{kind} is not valid GeoJSON: {str(exc)[:200]}") from None
    return to_storage(source, crs)


def from_wkt(wkt: str, crs: str) -> BaseGeometry:
    """A WKT geometry (east first, in ``crs``) as a valid shapely geometry in EPSG:4490."""
    if len(wkt) > MAX_WKT_CHARS:
        raise InvalidInput(f"WKT of {len(wkt):,} characters is longer than {MAX_WKT_CHARS:,}")
    try:
        source = shapely.from_wkt(wkt.strip())
    except Exception as exc:  # shapely.errors.ShapelyError and GEOS parse errors
        raise InvalidInput(f"WKT {wkt[:60]!r} cannot be read: {str(exc)[:200]}") from None
    if source is None or source.geom_type not in GEOMETRY_TYPES:
        raise InvalidInput(f"WKT geometry type {getattr(source, 'geom_type', None)!r} is not one of "
                           f"{', '.join(GEOMETRY_TYPES)}")  # fmt: skip
    if source.geom_type in ("Polygon", "MultiPolygon"):
        for ring in _rings(source):
            if len(ring.coords) < 4:
                raise InvalidInput(f"a polygon ring needs at least 4 positions, got {len(ring.coords)}")
    return to_storage(source, crs)


def to_storage(source: BaseGeometry, crs: str) -> BaseGeometry:
    """``source`` (east first in ``crs``) in EPSG:4490, refused when empty, out of range, too big or invalid."""
    name = parse_crs(crs)
    if source.is_empty:
        raise InvalidInput(f"{source.geom_type} is empty")
    if shapely.has_z(source):
        source = shapely.force_2d(source)
    coords = shapely.get_coordinates(source)
    if len(coords) > MAX_VERTICES:
        raise InvalidInput(f"{source.geom_type} has {len(coords):,} vertices; at most {MAX_VERTICES:,} are accepted")
    lon, lat = points_to_storage(coords[:, 0], coords[:, 1], name)  # names the first bad vertex
    geom = shapely.set_coordinates(source, np.column_stack([lon, lat]))
    if not geom.is_valid:
        raise InvalidInput(f"{geom.geom_type} is not valid: {shapely.is_valid_reason(geom)}")
    return geom


def ewkt(geom: BaseGeometry) -> str:
    """EPSG:4490 EWKT of a geometry, full precision (what the place_name table stores)."""
    return f"SRID=4490;{shapely.to_wkt(geom, rounding_precision=-1)}"


def _rings(geom: BaseGeometry) -> list[Any]:
    polygons = list(geom.geoms) if geom.geom_type == "MultiPolygon" else [geom]
    return [ring for p in polygons for ring in (p.exterior, *p.interiors)]


class AreaCheck:
    """Checks that geometries lie where their unit is (module docstring); polygons loaded once per code."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.polygons: dict[str, tuple[str, BaseGeometry] | None] = {}

    def _polygon(self, code: str) -> tuple[str, BaseGeometry] | None:
        """The deepest registered polygon on the unit's path (code of its unit, geometry), or None."""
        if code not in self.polygons:
            found = None
            significant = code_length(code)
            for length in sorted((n for n in CODE_LENGTHS if n <= significant), reverse=True):
                ancestor = code[:length].ljust(12, "0")
                if boundaries.find_unit(self.conn, ancestor) is None:
                    continue
                polygon = boundaries.get_unit(self.conn, ancestor, crs="EPSG:4490")["polygon"]
                if polygon is not None:
                    geom = shapely.geometry.shape(polygon["geometry"])
                    shapely.prepare(geom)
                    found = (ancestor, geom)
                    break
            self.polygons[code] = found
        return self.polygons[code]

    def require(self, geom: BaseGeometry, unit_code: str) -> None:
        """InvalidInput unless ``geom`` (EPSG:4490) lies at the unit ``unit_code`` (12 digits)."""
        found = self._polygon(unit_code)
        if found is None:
            west, south, east, north = geom.bounds
            if west < CHINA_BOX[0] or south < CHINA_BOX[1] or east > CHINA_BOX[2] or north > CHINA_BOX[3]:
                raise InvalidInput(f"{geom.geom_type} at {_where(geom)} lies outside China — wrong CRS?")
            return
        code, polygon = found
        if not shapely.dwithin(polygon, geom, AREA_TOLERANCE_DEG):
            raise InvalidInput(
                f"{geom.geom_type} at {_where(geom)} (EPSG:4490) lies outside unit {code}, the registered polygon "
                f"on the path of unit {unit_code} — wrong unit or wrong CRS?"
            )


def _where(geom: BaseGeometry) -> str:
    point = geom.representative_point()
    return f"lon {point.x:.6f}, lat {point.y:.6f}"


def located(conn: Connection, point: Any, geom: BaseGeometry | None, unit_code: str) -> str | None:
    """EWKT of a record's location, given as a point (core.values.GeoPoint) or a geometry already in EPSG:4490,
    checked against its unit (module docstring); None when neither is given."""
    if point is not None and geom is not None:
        raise InvalidInput("give the location as a point or as a geometry, not both")
    shape = shapely.Point(point.lon, point.lat) if point is not None else geom
    if shape is None:
        return None
    AreaCheck(conn).require(shape, unit_code)
    return ewkt(shape)
