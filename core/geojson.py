"""Reading GeoJSON input: the one FeatureCollection reader and the one ring check of every importer and route."""

from __future__ import annotations

from typing import Any

from core import json_input
from core.errors import InvalidInput


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
