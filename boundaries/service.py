"""The boundaries context's one door: what other contexts, the OGC layer, the maps and the app
use of units, polygons, checks, comparisons, lines, markers, disputes and inspections.

Outside this context, import only this module (tests/app/test_doors.py enforces it)."""

from __future__ import annotations

from boundaries.checks.service import REGISTERED, findings_geojson, get_check, list_checks
from boundaries.compare.schemas import CompareIn, ComparisonOut
from boundaries.compare.service import (
    PIECES_SHOWN,
    ContentsFinder,
    compare_claim,
    compare_sources,
    get_comparison,
    list_comparisons,
    pieces_geojson,
)
from boundaries.disputes.models import OPEN_DISPUTE_STATUSES
from boundaries.disputes.service import list_cases, open_cases_on
from boundaries.hazards.layers import delete_hazard_layer, import_hazard_layer, list_hazard_layers
from boundaries.hazards.schemas import HazardsOut
from boundaries.hazards.service import hazards_csv, hazards_geojson, hazards_json, last_marker_states, screen_hazards
from boundaries.inspections.models import CLASS_LABELS as MARKER_CLASS_LABELS
from boundaries.inspections.models import STATUS_LABELS as MARKER_STATUS_LABELS
from boundaries.lines.service import list_lines, list_markers, rederive_lines
from boundaries.polygons.locator import UnitLocator
from boundaries.polygons.service import import_polygons, polygons_by_source, unit_path_at_point, units_at_point
from boundaries.polygons.service import write_back as write_back_polygon
from boundaries.publishing import polygon_collection_id, published_collections
from boundaries.units.changes import (
    close_registered_polygons,
    close_units,
    codes_ever_used,
    polygon_from_geojson,
    registered_polygons,
    replace_registered_polygon,
    write_unit_versions,
)
from boundaries.units.service import (
    LEVELS,
    data_counts,
    find_unit,
    find_units,
    get_children,
    get_unit,
    import_divisions,
    published_units_sql,
    require_unit,
    unit_summary_short,
    units_within,
)

__all__ = [
    "CompareIn",
    "ComparisonOut",
    "ContentsFinder",
    "HazardsOut",
    "LEVELS",
    "OPEN_DISPUTE_STATUSES",
    "PIECES_SHOWN",
    "REGISTERED",
    "UnitLocator",
    "close_registered_polygons",
    "close_units",
    "codes_ever_used",
    "compare_claim",
    "compare_sources",
    "data_counts",
    "find_unit",
    "find_units",
    "findings_geojson",
    "get_check",
    "get_children",
    "get_comparison",
    "list_checks",
    "list_comparisons",
    "get_unit",
    "delete_hazard_layer",
    "import_hazard_layer",
    "MARKER_CLASS_LABELS",
    "MARKER_STATUS_LABELS",
    "list_hazard_layers",
    "hazards_csv",
    "hazards_geojson",
    "hazards_json",
    "import_divisions",
    "import_polygons",
    "list_cases",
    "last_marker_states",
    "list_lines",
    "open_cases_on",
    "list_markers",
    "pieces_geojson",
    "polygon_from_geojson",
    "polygons_by_source",
    "polygon_collection_id",
    "published_collections",
    "published_units_sql",
    "rederive_lines",
    "registered_polygons",
    "replace_registered_polygon",
    "require_unit",
    "screen_hazards",
    "unit_path_at_point",
    "unit_summary_short",
    "units_at_point",
    "units_within",
    "write_back_polygon",
    "write_unit_versions",
]
