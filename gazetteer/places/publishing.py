"""What the gazetteer publishes through the OGC API: its collections and their SELECTs."""

from __future__ import annotations

from typing import Any

from sqlalchemy.engine import Connection

from boundaries import service as boundaries
from gazetteer.places import queries
from gazetteer.signs import service as signs

# The first zoom of the units' vector tiles by level (the others from 0): at zoom 6 a tile is ~600 km across and
# holds a province's townships; villages (620k nationally) are drawn from zoom 10 (~40 km), where they can be told
# apart. The viewer's layers start there too.
UNIT_TILE_MINZOOM = {"township": 6, "village": 10}


def _published_unit_parts(level: str) -> list[str]:
    """The published SELECT of a level's units in its two index-friendly parts (with a registered polygon or not)."""
    return queries.published_units_parts(
        boundaries.published_units_sql(level, registered_polygon=True),
        boundaries.published_units_sql(level, registered_polygon=False),
    )


def published_collections(conn: Connection) -> list[dict[str, Any]]:
    """The collections this context publishes (see ogc.collections): units by level (registered polygon,
    else the unit's reference point), reference points, and place names (generalised where not public)."""
    units = [
        {
            "id": f"units-{level}",
            "title": f"Administrative units: {level}",
            "description": f"Every version of the {level}-level units with its validity; geometry is the registered "
            "polygon (polygon_source) where one exists, else the unit's reference point, else none (geometry_kind).",
            "sql": " UNION ALL ".join(_published_unit_parts(level)),
            "parts": _published_unit_parts(level),
            "properties": {
                "code": "string",
                "name": "string",
                "kind": "string",
                "parent_code": "string",
                "polygon_source": "string",
                "geometry_kind": "string",
                "valid_from": "date",
                "valid_to": "date",
            },
            "temporal": True,
            "geometry_type": "geometry",
            "minzoom": UNIT_TILE_MINZOOM.get(level, 0),
        }
        for level in boundaries.LEVELS
    ]
    points = {
        "id": "reference-points",
        "title": "Reference points",
        "description": "Named points from the loaded sources (GeoNames, township and village seats), with the unit "
        "each was matched to where that could be done.",
        "sql": queries.PUBLISHED_POINTS,
        "properties": {
            "source": "string",
            "external_id": "string",
            "name": "string",
            "category": "string",
            "unit_code": "string",
            "unit_level": "string",
        },
        "geometry_type": "point",
    }
    place_names = {
        "id": "place-names",
        "title": "Place names",
        "description": "Standard names, aliases and historic names with their validity; the location of a record "
        "that is not public is generalised exactly as the lookup API does (a point on a 0.1° grid).",
        "sql": queries.PUBLISHED_PLACE_NAMES,
        "properties": {
            "place_id": "integer",
            "name": "string",
            "statistical_name": "string",
            "romanization": "string",
            "romanization_origin": "string",
            "category": "string",
            "unit_code": "string",
            "admin_code": "string",
            "status": "string",
            "secrecy": "string",
            "approval_date": "date",
            "valid_from": "date",
            "valid_to": "date",
        },
        "temporal": True,
        "geometry_type": "geometry",
    }
    return [*units, points, place_names, *signs.published_collections()]
