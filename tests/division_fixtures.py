"""Hand-made fixture of a county with three townships and six villages for the division-change tests (no real
data): county 990101 of city 9901; 甲镇 (990101100, villages 甲一村 and 甲二村), 乙乡 (990101200) and 丙乡
(990101201), each 2 km × 2 km in EPSG:4546 (metres, scale factor 1 on the central meridian), each village a half."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine

from boundaries.lines import service as boundary_lines
from boundaries.units import service as units
from core.database import transaction
from gazetteer.places.unit_names import sync_unit_names
from tests.boundary_fixtures import HEADER, VALID_FROM, add_polygon, add_units, box

COUNTY = "990101000000"
A, B, C = "990101100000", "990101200000", "990101201000"
TOWNSHIPS = {A: ("甲镇", 0), B: ("乙乡", 2000), C: ("丙乡", 4000)}
# village code -> (name, township, box in metres)
VILLAGES = {
    "990101100200": ("甲一村", A, (0, 0, 2000, 1000)),
    "990101100201": ("甲二村", A, (0, 1000, 2000, 2000)),
    "990101200200": ("乙一村", B, (2000, 0, 3000, 2000)),
    "990101200201": ("乙二村", B, (3000, 0, 4000, 2000)),
    "990101201200": ("丙一村", C, (4000, 0, 5000, 2000)),
    "990101201201": ("丙二村", C, (5000, 0, 6000, 2000)),
}


def load_county(engine: Engine, tmp_path: Path) -> None:
    """The fixture's units (valid from 2020-01-01), registered polygons, place-name records and township lines."""
    with transaction(engine) as conn:  # an import per transaction (its staging table lives until the commit)
        add_units(conn, tmp_path, "9901", ["990101"])
    lines = [HEADER]
    lines += [f"{code},{code[:9]},{name},4,township,{COUNTY},,fixture" for code, (name, _) in TOWNSHIPS.items()]
    lines += [f"{code},{code},{name},5,village,{parent},,fixture" for code, (name, parent, _) in VILLAGES.items()]
    path = tmp_path / "fixture_townships.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with transaction(engine) as conn:
        units.import_divisions(conn, path, valid_from=VALID_FROM)
        for code, (_, x) in TOWNSHIPS.items():
            add_polygon(conn, code, [box(x, 0, x + 2000, 2000)])
        for code, (_, _, (x1, y1, x2, y2)) in VILLAGES.items():
            add_polygon(conn, code, [box(x1, y1, x2, y2)])
        sync_unit_names(conn, as_of=VALID_FROM, actor="test")
        boundary_lines.derive_lines(conn, parent=COUNTY, level="township", as_of=VALID_FROM, actor="test")
