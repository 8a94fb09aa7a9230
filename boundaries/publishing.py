"""What the boundaries context publishes as OGC API collections (served by ogc.collections through the door):
unit polygons, one collection per source, the findings of the stored checks, the boundary lines and markers."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy.engine import Connection

from boundaries.checks import queries as check_queries
from boundaries.lines import queries as line_queries
from boundaries.polygons import queries as polygon_queries


def polygon_collection_id(source: str) -> str:
    """The id of the collection (and vector tiles) of one polygon source, e.g. ``polygons-amap-2020``."""
    return "polygons-" + (re.sub(r"[^a-z0-9]+", "-", source.lower()).strip("-") or "unnamed")


def published_collections(conn: Connection) -> list[dict[str, Any]]:
    """The collections this context publishes (see ogc.collections): unit polygons, one per source, the findings
    of the stored topology checks, the boundary lines and markers."""
    polygons = [
        {
            "id": polygon_collection_id(source),
            "title": f"Unit polygons from {source}",
            "description": f"Every polygon version of source {source!r} with its status (registered, reference, "
            "claimed, draft) and validity dates; repaired marks geometries repaired on import.",
            "sql": polygon_queries.PUBLISHED_POLYGONS,
            "params": {"polygon_source": source},
            "properties": {
                "unit_code": "string",
                "unit_name": "string",
                "source": "string",
                "status": "string",
                "repaired": "boolean",
                "valid_from": "date",
                "valid_to": "date",
            },
            "temporal": True,
            "geometry_type": "polygon",
        }
        for source in polygon_queries.polygon_sources(conn)
    ]
    findings = {
        "id": "boundary-findings",
        "title": "Findings of the stored boundary checks",
        "description": "Overlaps, gaps, slivers and invalid rings found by each stored topology check (check_id), "
        "with the units concerned (unit_codes, comma-separated) and their measures in metres.",
        "sql": check_queries.PUBLISHED_FINDINGS,
        "properties": {
            "check_id": "integer",
            "check_level": "string",
            "check_source": "string",
            "check_as_of": "date",
            "kind": "string",
            "piece": "string",
            "unit_codes": "string",
            "area_m2": "number",
            "width_m": "number",
            "thinness": "number",
            "detail": "string",
        },
        "geometry_type": "geometry",
    }
    lines = {
        "id": "boundary-lines",
        "title": "Boundary lines",
        "description": "The lines between neighbouring units (shared) and on the outer edge (outer), derived from the "
        "registered polygons, with their length and the agreement that fixes them.",
        "sql": line_queries.PUBLISHED_LINES,
        "properties": {
            "line_key": "string",
            "kind": "string",
            "left_code": "string",
            "right_code": "string",
            "sources": "string",
            "length_km": "number",
            "agreement_ref": "string",
            "as_of": "date",
        },
        "geometry_type": "line",
    }
    markers = {
        "id": "boundary-markers",
        "title": "Boundary markers",
        "description": "界桩 on the boundary lines: number, type, the agreed coordinates as recorded "
        "(agreed_x, agreed_y in agreed_crs) and their position in EPSG:4490.",
        "sql": line_queries.PUBLISHED_MARKERS,
        "properties": {
            "number": "string",
            "line_id": "integer",
            "line_key": "string",
            "marker_type": "string",
            "agreed_x": "number",
            "agreed_y": "number",
            "agreed_crs": "string",
            "description": "string",
        },
        "geometry_type": "point",
    }
    return [*polygons, findings, lines, markers]
