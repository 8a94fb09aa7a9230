"""SQL of two-version comparisons: the comparison and its disputed pieces."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import shapely
from shapely.geometry.base import BaseGeometry
from sqlalchemy import text
from sqlalchemy.engine import Connection, RowMapping

from core.imports import copy_rows

# first unit, second unit, area (m²), geometry, places inside, facilities inside (None: not looked up)
StoredPiece = tuple[
    str | None, str | None, float, BaseGeometry, list[dict[str, Any]] | None, list[dict[str, Any]] | None
]


def insert_comparison(conn: Connection, values: dict[str, Any]) -> int:
    """Store a comparison; returns its id."""
    return int(
        conn.execute(
            text(
                "INSERT INTO boundary_comparison (parent_code, level, first_label, second_label, as_of, tolerance_m2,"
                " summary, created_by) VALUES (:parent_code, :level, :first_label, :second_label, :as_of,"
                " :tolerance_m2, CAST(:summary AS jsonb), :created_by) RETURNING id"
            ),
            {**values, "summary": json.dumps(values["summary"], ensure_ascii=False, default=str)},
        ).scalar_one()
    )


def insert_pieces(conn: Connection, comparison_id: int, pieces: Sequence[StoredPiece]) -> None:
    """Store the disputed pieces of a comparison with what was found inside them (None: not looked up)."""
    conn.execute(
        text(
            "CREATE TEMP TABLE stage_piece (first_unit text, second_unit text, area_m2 float8, geom bytea,"
            " places text, facilities text) ON COMMIT DROP"
        )
    )
    copy_rows(
        conn,
        "stage_piece",
        ("first_unit", "second_unit", "area_m2", "geom", "places", "facilities"),
        (
            (a, b, area, shapely.to_wkb(g), _json_or_none(places), _json_or_none(facilities))
            for a, b, area, g, places, facilities in pieces
        ),
    )
    conn.execute(
        text(
            "INSERT INTO disputed_piece (comparison_id, first_unit, second_unit, area_m2, geom, places, facilities)"
            " SELECT :id, first_unit, second_unit, area_m2, ST_Multi(ST_GeomFromWKB(geom, 4490)),"
            " CAST(places AS jsonb), CAST(facilities AS jsonb) FROM stage_piece"
        ),
        {"id": comparison_id},
    )
    conn.execute(text("DROP TABLE stage_piece"))


def _json_or_none(items: list[dict[str, Any]] | None) -> str | None:
    return None if items is None else json.dumps(items, ensure_ascii=False, default=str)


def comparison(conn: Connection, comparison_id: int) -> RowMapping | None:
    """A stored comparison."""
    return (
        conn.execute(
            text(
                "SELECT id, parent_code, level, first_label, second_label, as_of, tolerance_m2, summary, created_by,"
                " created_at FROM boundary_comparison WHERE id = :id"
            ),
            {"id": comparison_id},
        )
        .mappings()
        .first()
    )


def recent_comparisons(conn: Connection, limit: int) -> list[RowMapping]:
    """The latest stored comparisons, newest first, with their disputed totals and any systematic offset."""
    return list(
        conn.execute(
            text(
                "SELECT id, parent_code, level, first_label, second_label, as_of, created_by, created_at,"
                " summary -> 'disputed' AS disputed, summary -> 'systematic_offset' AS systematic_offset"
                " FROM boundary_comparison ORDER BY id DESC LIMIT :limit"
            ),
            {"limit": limit},
        ).mappings()
    )


def pieces(conn: Connection, comparison_id: int, limit: int | None) -> list[RowMapping]:
    """Disputed pieces of a comparison, largest first (all when ``limit`` is None), with a point on each, the
    geometry as WKB and what was found inside."""
    return list(
        conn.execute(
            text(
                "SELECT id, first_unit, second_unit, area_m2, places, facilities, ST_X(ST_PointOnSurface(geom)) AS lon,"
                " ST_Y(ST_PointOnSurface(geom)) AS lat, ST_AsBinary(geom) AS wkb FROM disputed_piece"
                " WHERE comparison_id = :id ORDER BY area_m2 DESC, id LIMIT CAST(:limit AS bigint)"
            ),
            {"id": comparison_id, "limit": limit},
        ).mappings()
    )
