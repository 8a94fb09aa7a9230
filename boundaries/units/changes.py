"""Unit changes written by an applied division change (divisions/): dated unit versions, closed versions, new
registered polygons. The caller holds the transaction and audits the change as a whole."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

import shapely
from shapely.geometry.base import BaseGeometry
from sqlalchemy.engine import Connection

from boundaries.checks import queries as check_queries
from boundaries.checks.service import REGISTERED
from boundaries.polygons import queries as polygon_queries
from boundaries.polygons.reading import (
    PolygonRow,
    as_multipolygon,
    check_polygon,
    parse_geojson_geometry,
    polygonal_part,
)
from boundaries.units import change_queries, queries
from boundaries.units.divisions import DivisionRow
from core.crs import parse_crs
from core.errors import InvalidInput


def codes_ever_used(conn: Connection, prefix: str, level: str) -> set[str]:
    """Every code of ``level`` under a code prefix that has or had a version (a code is given once)."""
    return change_queries.codes_ever_used(conn, prefix, level)


def write_unit_versions(conn: Connection, units: Sequence[dict[str, Any]], valid_from: date) -> dict[str, int]:
    """Write versions valid from ``valid_from`` of ``units`` (code, name, level, kind, parent_code): a unit whose
    version on that day says the same is left alone, another has its open version closed that day."""
    rows = [DivisionRow(u["code"], u["name"], u["level"], u["kind"], False, u["parent_code"]) for u in units]
    inserted, updated, unchanged = queries.upsert_units(conn, rows, valid_from)
    return {"inserted": inserted, "updated": updated, "unchanged": unchanged}


def close_units(conn: Connection, codes: Sequence[str], day: date) -> list[dict[str, Any]]:
    """End the versions of ``codes`` on ``day`` (their units are abolished from it)."""
    return [dict(r) for r in change_queries.close_units(conn, codes, day)]


def registered_polygons(conn: Connection, codes: Sequence[str], day: date) -> dict[str, BaseGeometry]:
    """The registered polygon (EPSG:4490) on ``day`` of each of ``codes`` that has one."""
    found = check_queries.polygons_of(conn, list(codes), REGISTERED, day)
    return {code: shapely.from_wkb(row["wkb"]) for code, row in found.items()}


def replace_registered_polygon(
    conn: Connection, code: str, geom: BaseGeometry, *, source: str, valid_from: date
) -> dict[str, Any]:
    """Register ``geom`` (EPSG:4490) for ``code`` from ``valid_from``, closing its open registered polygon then."""
    polygon = polygonal_part(shapely.make_valid(geom)) if not geom.is_valid else as_multipolygon(geom)
    if polygon.is_empty:
        raise InvalidInput(f"unit {code}: the new polygon is empty")
    closed = polygon_queries.close_registered_polygon(conn, code, valid_from)
    polygon_id = polygon_queries.insert_polygon(
        conn, PolygonRow(code, polygon, None, None), source=source, status="registered", valid_from=valid_from
    )
    return {"id": polygon_id, "unit_code": code, "source": source, "closed": closed}


def close_registered_polygons(conn: Connection, codes: Sequence[str], day: date) -> list[dict[str, Any]]:
    """End on ``day`` the open registered polygons of ``codes``."""
    closed = [polygon_queries.close_registered_polygon(conn, code, day) for code in codes]
    return [c for c in closed if c is not None]


def polygon_from_geojson(code: str, geometry: dict[str, Any], crs: str) -> BaseGeometry:
    """A drawn polygon (GeoJSON in ``crs``) of unit ``code`` in EPSG:4490, validated as the polygon routes do."""
    source, geom = parse_geojson_geometry(geometry, crs)
    return check_polygon(code, source, geom, "refuse", parse_crs(crs)).geom
