"""SQL of boundary lines, markers, and what lies at a point (lines, disputed pieces, dispute cases)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import shapely
from sqlalchemy import text
from sqlalchemy.engine import Connection, RowMapping

from boundaries.disputes.models import OPEN_DISPUTE_STATUSES


def upsert_line(conn: Connection, values: dict[str, Any]) -> tuple[int, bool]:
    """Write a derived line by its key (the agreement reference of an existing line is kept); (id, inserted)."""
    row = conn.execute(
        text(
            "INSERT INTO boundary_line (line_key, kind, left_code, right_code, sources, length_km, as_of, geom)"
            " VALUES (:line_key, :kind, :left_code, :right_code, :sources, :length_km, :as_of,"
            " ST_Multi(ST_GeomFromWKB(:wkb, 4490)))"
            " ON CONFLICT (line_key) DO UPDATE SET sources = EXCLUDED.sources, length_km = EXCLUDED.length_km,"
            " as_of = EXCLUDED.as_of, geom = EXCLUDED.geom, updated_at = now()"
            " RETURNING id, (xmax = 0) AS inserted"
        ),
        {**values, "wkb": shapely.to_wkb(values["geom"])},
    ).one()
    return int(row.id), bool(row.inserted)


def lines_of(conn: Connection, code: str | None) -> list[RowMapping]:
    """Lines of a unit (either side), or every line; with the geometry as WKB."""
    return list(
        conn.execute(
            text(
                "SELECT id, line_key, kind, left_code, right_code, sources, length_km,"
                " agreement_ref, as_of, updated_at, ST_AsBinary(geom) AS wkb FROM boundary_line"
                " WHERE CAST(:code AS text) IS NULL OR left_code = :code OR right_code = :code ORDER BY line_key"
            ),
            {"code": code},
        ).mappings()
    )


def line(conn: Connection, line_id: int) -> RowMapping | None:
    """One line with its geometry as WKB."""
    return (
        conn.execute(
            text(
                "SELECT id, line_key, kind, left_code, right_code, sources, length_km,"
                " agreement_ref, as_of, updated_at, ST_AsBinary(geom) AS wkb FROM boundary_line WHERE id = :id"
            ),
            {"id": line_id},
        )
        .mappings()
        .first()
    )


def lines_by_key(conn: Connection, keys: Sequence[str]) -> dict[str, RowMapping]:
    """Lines by their keys, with the geometry as WKB."""
    rows = conn.execute(
        text(
            "SELECT id, line_key, kind, left_code, right_code, sources, length_km,"
            " agreement_ref, as_of, updated_at, ST_AsBinary(geom) AS wkb FROM boundary_line"
            " WHERE line_key = ANY(CAST(:keys AS text[]))"
        ),
        {"keys": list(keys)},
    ).mappings()
    return {row["line_key"]: row for row in rows}


def set_agreement(conn: Connection, line_id: int, agreement_ref: str | None) -> RowMapping | None:
    """Set a line's agreement document reference; returns the line before the change."""
    before = line(conn, line_id)
    if before is not None:
        conn.execute(
            text("UPDATE boundary_line SET agreement_ref = :ref, updated_at = now() WHERE id = :id"),
            {"id": line_id, "ref": agreement_ref},
        )
    return before


def markers_by_number(conn: Connection, numbers: Sequence[str]) -> dict[str, RowMapping]:
    """Stored markers by number."""
    rows = conn.execute(
        text(
            "SELECT m.id, m.number, m.line_id, m.marker_type, m.agreed_x,"
            " m.agreed_y, m.agreed_crs, m.description"
            " FROM boundary_marker m WHERE m.number = ANY(CAST(:numbers AS text[]))"
        ),
        {"numbers": list(numbers)},
    ).mappings()
    return {row["number"]: row for row in rows}


def upsert_marker(conn: Connection, values: dict[str, Any]) -> None:
    """Write a marker by its number."""
    conn.execute(
        text(
            "INSERT INTO boundary_marker (number, line_id, marker_type, agreed_x, agreed_y, agreed_crs, description,"
            " geom) VALUES (:number, :line_id, :marker_type, :agreed_x, :agreed_y, :agreed_crs, :description,"
            " ST_SetSRID(ST_MakePoint(:lon, :lat), 4490))"
            " ON CONFLICT (number) DO UPDATE SET line_id = EXCLUDED.line_id,"
            " marker_type = EXCLUDED.marker_type, agreed_x = EXCLUDED.agreed_x, agreed_y = EXCLUDED.agreed_y,"
            " agreed_crs = EXCLUDED.agreed_crs, description = EXCLUDED.description, geom = EXCLUDED.geom"
        ),
        values,
    )


def markers(conn: Connection, *, line_id: int | None, unit: str | None) -> list[RowMapping]:
    """Markers of a line or of a unit's lines (all when neither), by number, with lon/lat."""
    return list(
        conn.execute(
            text(
                "SELECT m.id, m.number, m.line_id, m.marker_type, m.agreed_x,"
                " m.agreed_y, m.agreed_crs, m.description, ST_X(m.geom) AS lon, ST_Y(m.geom) AS lat, l.line_key"
                " FROM boundary_marker m"
                " JOIN boundary_line l ON l.id = m.line_id"
                " WHERE (CAST(:line_id AS bigint) IS NULL OR m.line_id = :line_id)"
                " AND (CAST(:unit AS text) IS NULL OR l.left_code = :unit OR l.right_code = :unit) ORDER BY m.number"
            ),
            {"line_id": line_id, "unit": unit},
        ).mappings()
    )


def marker(conn: Connection, marker_id: int) -> RowMapping | None:
    """One marker with lon/lat and its line's key."""
    return (
        conn.execute(
            text(
                "SELECT m.id, m.number, m.line_id, m.marker_type, m.agreed_x,"
                " m.agreed_y, m.agreed_crs, m.description, ST_X(m.geom) AS lon, ST_Y(m.geom) AS lat, l.line_key"
                " FROM boundary_marker m"
                " JOIN boundary_line l ON l.id = m.line_id WHERE m.id = :id"
            ),
            {"id": marker_id},
        )
        .mappings()
        .first()
    )


def nearest_lines(conn: Connection, lon: float, lat: float, limit: int = 1) -> list[RowMapping]:
    """The lines nearest to a point with their distance in metres on the ellipsoid."""
    return list(
        conn.execute(
            text(
                "WITH p AS (SELECT ST_SetSRID(ST_MakePoint(:lon, :lat), 4490) AS g),"
                " near AS (SELECT l.* FROM boundary_line l, p ORDER BY l.geom <-> p.g LIMIT 20)"
                " SELECT id, line_key, kind, left_code, right_code, sources, length_km,"
                " agreement_ref, as_of, updated_at, ST_Distance(near.geom::geography, p.g::geography) AS distance_m"
                " FROM near, p ORDER BY distance_m LIMIT :limit"
            ),
            {"lon": lon, "lat": lat, "limit": limit},
        ).mappings()
    )


def pieces_at(conn: Connection, lon: float, lat: float) -> list[RowMapping]:
    """Disputed pieces of stored comparisons containing the point, newest comparison first."""
    return list(
        conn.execute(
            text(
                "SELECT d.id, d.comparison_id, d.first_unit, d.second_unit, d.area_m2, c.first_label, c.second_label"
                " FROM disputed_piece d JOIN boundary_comparison c ON c.id = d.comparison_id"
                " WHERE ST_Intersects(d.geom, ST_SetSRID(ST_MakePoint(:lon, :lat), 4490))"
                " ORDER BY d.comparison_id DESC"
            ),
            {"lon": lon, "lat": lat},
        ).mappings()
    )


def open_cases_at(conn: Connection, lon: float, lat: float) -> list[RowMapping]:
    """Dispute cases not resolved whose ground contains the point."""
    return list(
        conn.execute(
            text(
                "SELECT id, title, status, unit_codes FROM dispute_case WHERE status = ANY(:open)"
                " AND ST_Intersects(geom, ST_SetSRID(ST_MakePoint(:lon, :lat), 4490)) ORDER BY id"
            ),
            {"lon": lon, "lat": lat, "open": list(OPEN_DISPUTE_STATUSES)},
        ).mappings()
    )


def delete_lines_of(conn: Connection, codes: Sequence[str]) -> tuple[list[str], list[str]]:
    """Delete the lines touching ``codes`` that carry no marker; (deleted keys, keys kept because of markers)."""
    params = {"codes": list(codes)}
    touching = "(left_code = ANY(:codes) OR right_code = ANY(:codes))"
    kept = conn.execute(
        text(
            f"SELECT line_key FROM boundary_line l WHERE {touching}"
            " AND EXISTS (SELECT 1 FROM boundary_marker m WHERE m.line_id = l.id) ORDER BY line_key"
        ),
        params,
    ).scalars()
    kept_keys = list(kept)
    deleted = conn.execute(
        text(
            f"DELETE FROM boundary_line l WHERE {touching}"
            " AND NOT EXISTS (SELECT 1 FROM boundary_marker m WHERE m.line_id = l.id) RETURNING line_key"
        ),
        params,
    ).scalars()
    return sorted(deleted), kept_keys


PUBLISHED_LINES = (
    "SELECT id, line_key, kind, left_code, right_code, sources, length_km, agreement_ref, as_of, geom"
    " FROM boundary_line"
)


PUBLISHED_MARKERS = (
    "SELECT m.id, m.number, m.line_id, l.line_key, m.marker_type, m.agreed_x, m.agreed_y, m.agreed_crs,"
    " m.description, m.geom FROM boundary_marker m JOIN boundary_line l ON l.id = m.line_id"
)
