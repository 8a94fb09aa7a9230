"""Reading GeoJSON input: the one FeatureCollection reader, geometry reader and ring check of every importer and
route."""

from __future__ import annotations

import math
from typing import Any

import shapely
import shapely.geometry
from shapely.geometry.base import BaseGeometry

from core import json_input
from core.errors import InvalidInput
from core.values import is_number

# How deep positions lie in each geometry type's coordinates (RFC 7946 section 3.1.2 to 3.1.7).
GEOMETRY_DEPTHS = {"Point": 0, "MultiPoint": 1, "LineString": 1, "MultiLineString": 2, "Polygon": 2, "MultiPolygon": 3}


def feature_collection(content: str, name: str) -> tuple[list[Any], str | None]:
    """The features of a GeoJSON FeatureCollection (JSON text read from ``name``) and the CRS its legacy ``crs``
    member states (``urn:ogc:def:crs:EPSG::4490`` read as ``EPSG:4490``), None when it states none. Each feature is
    returned as found: the importer validates it and reports the bad ones by number."""
    document = json_input.loads(content, name)
    if not isinstance(document, dict) or document.get("type") != "FeatureCollection":
        raise InvalidInput(f"{name}: expected a GeoJSON FeatureCollection")
    features = document.get("features")
    if not isinstance(features, list):
        raise InvalidInput(f"{name}: the FeatureCollection has no list of features")
    stated = None
    crs_member = document.get("crs")
    if isinstance(crs_member, dict) and isinstance(crs_member.get("properties"), dict):
        stated = str(crs_member["properties"].get("name"))
        if "EPSG::" in stated:
            stated = "EPSG:" + stated.rsplit("::", 1)[1]
    return features, stated


def require_closed_rings(kind: Any, coordinates: Any) -> None:
    """Refuse a Polygon or MultiPolygon whose ring has fewer than four positions or is not closed: RFC 7946
    section 3.1.6 requires both, so an open ring is refused, never closed silently. Other shapes pass (the geometry
    reader reports what else is malformed)."""
    if not isinstance(coordinates, list):
        return
    polygons = [coordinates] if kind == "Polygon" else coordinates if kind == "MultiPolygon" else []
    for polygon in polygons:
        for ring in polygon if isinstance(polygon, list) else []:
            if not isinstance(ring, list):
                continue
            if len(ring) < 4:
                raise InvalidInput(f"a polygon ring needs at least 4 positions, got {len(ring)}")
            if ring[0] != ring[-1]:
                raise InvalidInput(f"polygon ring is not closed: it starts at {ring[0]} and ends at {ring[-1]}")


def geometry(value: Any, name: str) -> BaseGeometry:
    """A GeoJSON geometry object (found at ``name``, which the messages start with) as a shapely geometry, checked
    as RFC 7946 requires: one of the six types with positions at their depth (section 3.1), each of two or three
    finite numbers (3.1.1), lines of two positions or more (3.1.4), closed rings of four or more (3.1.6). Other
    members are ignored (6.1); empty coordinates make an empty geometry (the caller refuses it if it must)."""
    if not isinstance(value, dict):
        raise InvalidInput(f"{name}: a geometry must be a GeoJSON geometry object, not {type(value).__name__}")
    kind = value.get("type")
    if kind not in GEOMETRY_DEPTHS:
        raise InvalidInput(f"{name}: geometry type {kind!r} is not one of {', '.join(GEOMETRY_DEPTHS)}"[:300])
    coordinates = value.get("coordinates")
    try:
        _require_positions(kind, coordinates)
        require_closed_rings(kind, coordinates)
        return shapely.geometry.shape({"type": kind, "coordinates": coordinates})
    except InvalidInput as error:
        raise InvalidInput(f"{name}: {error.detail}") from None
    except (ValueError, TypeError, shapely.errors.GEOSException) as error:
        raise InvalidInput(f"{name}: a {kind} geometry could not be read: {error}"[:300]) from None


def _require_positions(kind: str, coordinates: Any) -> None:
    """Refuse ``coordinates`` of a ``kind`` geometry without positions at the type's depth, a position that is not
    two or three finite numbers, or a line of fewer than two positions, naming the first bad part."""
    pending = [(coordinates, GEOMETRY_DEPTHS[kind])]
    while pending:
        part, depth = pending.pop()
        if not isinstance(part, list):
            raise InvalidInput(f"{kind} coordinates need a list where they hold {part!r}"[:300])
        if depth == 0:
            if not 2 <= len(part) <= 3 or not all(_finite(c) for c in part):
                raise InvalidInput(f"{kind} coordinates: not a position (2 or 3 finite numbers): {part!r}"[:300])
            continue
        if depth == 1 and kind.endswith("LineString") and len(part) < 2:
            raise InvalidInput(f"a line needs at least 2 positions, got {len(part)}")
        pending.extend((child, depth - 1) for child in reversed(part))


def _finite(value: Any) -> bool:
    try:
        return is_number(value) and math.isfinite(value)
    except OverflowError:  # an integer beyond any float
        return False
