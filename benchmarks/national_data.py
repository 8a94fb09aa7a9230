"""The national data the benchmarks load from the data root: the division codes of every level (NBS 2023) and the
county polygons (DataV, GCJ-02), imported as the CLI would (benchmarks/national_import.py, viewer_weight.py)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from sqlalchemy.engine import Connection

from boundaries import service
from core.imports import ImportReport

DIVISION_FILES = [
    "national/china_provinces_nbs2023.csv",
    "national/china_cities_nbs2023.csv",
    "national/china_areas_nbs2023.csv",
    "national/china_streets_nbs2023.csv.gz",
    "national/china_villages_nbs2023.csv.gz",
]
DIVISIONS_VALID_FROM = date(2023, 6, 30)
COUNTY_POLYGONS = "national/china_counties_datav_gcj02.geojson.gz"


def import_county_polygons(conn: Connection, data_root: Path) -> ImportReport:
    """The national county polygons as reference versions of source ``datav-national`` (valid from 2021-08-01),
    read as GCJ-02; an invalid polygon is repaired, one that cannot be is skipped and reported."""
    return service.import_polygons(
        conn,
        data_root / COUNTY_POLYGONS,
        source="datav-national",
        status="reference",
        valid_from=date(2021, 8, 1),
        crs="GCJ-02",
        on_invalid="repair",
        skip_invalid=True,
    )
