"""The gazetteer context's one door: what other contexts, the OGC layer, the maps and the app
use of place names, search, romanization, review, signs, the book and reference points.

Outside this context, import only this module (tests/app/test_doors.py enforces it)."""

from __future__ import annotations

from gazetteer.places.names import warm_up
from gazetteer.places.publishing import UNIT_TILE_MINZOOM, published_collections
from gazetteer.places.service import get_place, located_standard_places, unit_standard_names
from gazetteer.places.unit_changes import record_unit_changes
from gazetteer.places.unit_names import sync_unit_names
from gazetteer.points.service import import_points, list_points, point_count

__all__ = [
    "UNIT_TILE_MINZOOM",
    "get_place",
    "import_points",
    "list_points",
    "located_standard_places",
    "point_count",
    "published_collections",
    "record_unit_changes",
    "sync_unit_names",
    "unit_standard_names",
    "warm_up",
]
