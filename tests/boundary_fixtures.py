"""Hand-made boundary fixtures (no real data): units under the made-up code 99 and square polygons drawn in the
CGCS2000 Gauss-Krüger zone EPSG:4546 (metres, central meridian 111°E, where the scale factor is 1), so that
their areas in m² are known exactly."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from sqlalchemy.engine import Connection

from boundaries.polygons import service as polygons
from boundaries.units import service

HEADER = "code,short_code,name,level,level_name,parent_code,kind_from_name,full_name"
VALID_FROM = date(2020, 1, 1)
# Easting/northing of the fixtures' origin: on the central meridian of EPSG:4546, near 39.7°N.
X0, Y0 = 500_000.0, 4_400_000.0


def add_units(conn: Connection, tmp_path: Path, parent: str, children: list[str]) -> None:
    """A hand-made city ``parent`` (4 digits) with hand-made counties ``children`` (6 digits)."""
    lines = [HEADER, f"{parent}00000000,{parent},手工测试市{parent},2,city,990000000000,,fixture"]
    lines += [f"{c}000000,{c},手工测试县{c},3,county,{parent}00000000,,fixture" for c in children]
    path = tmp_path / f"fixture_{parent}.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    service.import_divisions(conn, path, valid_from=VALID_FROM)


def box(x1: float, y1: float, x2: float, y2: float) -> list[list[float]]:
    """A closed counter-clockwise ring of a rectangle given in metres from the fixtures' origin."""
    return [[X0 + x1, Y0 + y1], [X0 + x2, Y0 + y1], [X0 + x2, Y0 + y2], [X0 + x1, Y0 + y2], [X0 + x1, Y0 + y1]]


def add_polygon(conn: Connection, code: str, rings: list[list[list[float]]], on_invalid: str = "refuse") -> None:
    """Register a polygon (rings in metres from the origin, EPSG:4546) for a hand-made unit."""
    polygons.add_polygon(
        conn,
        code,
        geometry={"type": "Polygon", "coordinates": rings},
        crs="EPSG:4546",
        source="fixture",
        status="registered",
        valid_from=VALID_FROM,
        on_invalid=on_invalid,
        actor="test",
    )
