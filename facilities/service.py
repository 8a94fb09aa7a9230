"""The facilities context's one door: what the OGC layer, the maps and the app use of the registry,
population, coverage and prohibited zones.

Outside this context, import only this module (tests/app/test_doors.py enforces it)."""

from __future__ import annotations

from facilities.coverage import (
    DEFAULT_WALK_M,
    beds,
    burial,
    eldercare_circle,
    parse_widths,
    prohibited_zones,
    zone_buffers,
)
from facilities.importers import import_facilities, import_population
from facilities.registry import CITY_CODE, list_facilities, published_collections, write_back
from facilities.versions import as_of_day

__all__ = [
    "CITY_CODE",
    "DEFAULT_WALK_M",
    "as_of_day",
    "beds",
    "burial",
    "eldercare_circle",
    "import_facilities",
    "import_population",
    "list_facilities",
    "parse_widths",
    "prohibited_zones",
    "write_back",
    "published_collections",
    "zone_buffers",
]
