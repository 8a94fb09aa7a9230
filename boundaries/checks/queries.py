"""SQL of boundary management: the polygons a check or comparison reads, checks, findings, comparisons."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date
from typing import Any

import shapely
from sqlalchemy import text
from sqlalchemy.engine import Connection, RowMapping

from boundaries.checks.topology import Finding
from core.imports import copy_rows

# The polygon of each unit for a "source": the registered polygon when the source is "registered", else the
# polygon of that source (its registered version first when it has several statuses), valid on the date.
_POLYGON_OF_SOURCE = (
    "SELECT DISTINCT ON (p.unit_code) p.unit_code, p.source, ST_AsBinary(p.geom) AS wkb,"
    " ST_AsBinary(p.original_geom) AS original_wkb FROM unit_polygon p"
    " WHERE p.unit_code = ANY(CAST(:codes AS text[])) AND p.period @> CAST(:as_of AS date)"
    " AND (CASE WHEN :source = 'registered' THEN p.status = 'registered' ELSE p.source = :source END)"
    " ORDER BY p.unit_code, p.status <> 'registered', p.valid_from DESC"
)


def polygons_of(conn: Connection, codes: Sequence[str], source: str, as_of: date) -> dict[str, RowMapping]:
    """The polygon of each unit of ``codes`` from ``source`` ("registered" or a source name) on the date."""
    rows = conn.execute(text(_POLYGON_OF_SOURCE), {"codes": list(codes), "source": source, "as_of": as_of})
    return {row.unit_code: row for row in rows.mappings()}


def source_exists(conn: Connection, source: str) -> bool:
    """True when some polygon has this source name."""
    return conn.execute(text("SELECT 1 FROM unit_polygon WHERE source = :s LIMIT 1"), {"s": source}).first() is not None


def insert_check(conn: Connection, values: dict[str, Any]) -> int:
    """Store a check; returns its id."""
    return int(
        conn.execute(
            text(
                "INSERT INTO boundary_check (parent_code, level, source, as_of, gap_width_m, sliver_area_m2, summary,"
                " created_by) VALUES (:parent_code, :level, :source, :as_of, :gap_width_m, :sliver_area_m2,"
                " CAST(:summary AS jsonb), :created_by) RETURNING id"
            ),
            {**values, "summary": json.dumps(values["summary"], ensure_ascii=False, default=str)},
        ).scalar_one()
    )


def insert_findings(conn: Connection, check_id: int, findings: Sequence[Finding]) -> None:
    """Store the findings of a check (COPY through a staging table)."""
    conn.execute(
        text(
            "CREATE TEMP TABLE stage_finding (kind text, piece text, unit_codes text[], area_m2 float8,"
            " width_m float8, thinness float8, detail text, geom bytea) ON COMMIT DROP"
        )
    )
    copy_rows(
        conn,
        "stage_finding",
        ("kind", "piece", "unit_codes", "area_m2", "width_m", "thinness", "detail", "geom"),
        (
            (f.kind, f.piece, list(f.units), f.area_m2, f.width_m, f.thinness, f.detail, shapely.to_wkb(f.geometry))
            for f in findings
        ),
    )
    conn.execute(
        text(
            "INSERT INTO boundary_finding (check_id, kind, piece, unit_codes, area_m2, width_m, thinness, detail, geom)"
            " SELECT :check_id, kind, piece, unit_codes, area_m2, width_m, thinness, detail,"
            " ST_GeomFromWKB(geom, 4490) FROM stage_finding"
        ),
        {"check_id": check_id},
    )
    conn.execute(text("DROP TABLE stage_finding"))


def check(conn: Connection, check_id: int) -> RowMapping | None:
    """A stored check."""
    return (
        conn.execute(
            text(
                "SELECT id, parent_code, level, source, as_of, gap_width_m, sliver_area_m2, summary, created_by,"
                " created_at FROM boundary_check WHERE id = :id"
            ),
            {"id": check_id},
        )
        .mappings()
        .first()
    )


def recent_checks(conn: Connection, limit: int) -> list[RowMapping]:
    """The latest stored checks, newest first, with their counts per kind."""
    return list(
        conn.execute(
            text(
                "SELECT id, parent_code, level, source, as_of, created_by, created_at, summary -> 'by_kind' AS by_kind"
                " FROM boundary_check ORDER BY id DESC LIMIT :limit"
            ),
            {"limit": limit},
        ).mappings()
    )


def findings(conn: Connection, check_id: int, *, kind: str | None, limit: int, offset: int) -> list[RowMapping]:
    """Findings of a check, largest first, with a point on each and the geometry as WKB."""
    return list(
        conn.execute(
            text(
                "SELECT id, kind, piece, unit_codes, area_m2, width_m, thinness, detail,"
                " ST_X(ST_PointOnSurface(geom)) AS lon, ST_Y(ST_PointOnSurface(geom)) AS lat, ST_AsBinary(geom) AS wkb"
                " FROM boundary_finding WHERE check_id = :id AND (CAST(:kind AS text) IS NULL OR kind = :kind)"
                " ORDER BY area_m2 DESC NULLS FIRST, id LIMIT :limit OFFSET :offset"
            ),
            {"id": check_id, "kind": kind, "limit": limit, "offset": offset},
        ).mappings()
    )


PUBLISHED_FINDINGS = (
    "SELECT f.id, f.check_id, c.level AS check_level, c.source AS check_source, c.as_of AS check_as_of, f.kind,"
    " f.piece, array_to_string(f.unit_codes, ',') AS unit_codes, f.area_m2, f.width_m, f.thinness, f.detail, f.geom"
    " FROM boundary_finding f JOIN boundary_check c ON c.id = f.check_id"
)
