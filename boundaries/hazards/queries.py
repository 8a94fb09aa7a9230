"""SQL of the hazard screening: the lines screened and what the service holds about them on a day (dispute
cases, the newest comparisons and their disputed pieces, the last observation of each marker, the last joint
inspection of each line, the imported hazard layers)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Connection, RowMapping


def lines(conn: Connection, codes: Sequence[str] | None) -> list[RowMapping]:
    """Lines with a unit of ``codes`` on either side (every line for None), by key, geometry as WKB."""
    return list(
        conn.execute(
            text(
                "SELECT id, line_key, kind, left_code, right_code, length_km, ST_AsBinary(geom) AS wkb"
                " FROM boundary_line WHERE CAST(:codes AS text[]) IS NULL"
                " OR left_code = ANY(CAST(:codes AS text[])) OR right_code = ANY(CAST(:codes AS text[]))"
                " ORDER BY line_key"
            ),
            {"codes": None if codes is None else list(codes)},
        ).mappings()
    )


def newest_comparisons(conn: Connection, day: date) -> list[RowMapping]:
    """The newest comparison of each pair of versions (first, second) for each parent and level, made for a day
    on or before ``day``: id, labels and the per-line offsets of its summary."""
    return list(
        conn.execute(
            text(
                "SELECT DISTINCT ON (parent_code, level, first_label, second_label) id, first_label, second_label,"
                " as_of, summary -> 'lines' AS lines FROM boundary_comparison WHERE as_of <= :day"
                " ORDER BY parent_code, level, first_label, second_label, id DESC"
            ),
            {"day": day},
        ).mappings()
    )


def pieces(conn: Connection, comparison_ids: Sequence[int]) -> list[RowMapping]:
    """The disputed pieces of these comparisons, geometry as WKB."""
    return list(
        conn.execute(
            text(
                "SELECT id, comparison_id, first_unit, second_unit, area_m2, ST_AsBinary(geom) AS wkb"
                " FROM disputed_piece WHERE comparison_id = ANY(CAST(:ids AS bigint[])) ORDER BY id"
            ),
            {"ids": list(comparison_ids)},
        ).mappings()
    )


def last_marker_observations(conn: Connection, line_ids: Sequence[int], day: date) -> list[RowMapping]:
    """For each marker on these lines observed on or before ``day``: its last observation (status, class,
    displacement, date) and the marker's agreed position (lon/lat)."""
    return list(
        conn.execute(
            text(
                "SELECT DISTINCT ON (o.marker_id) o.marker_id, m.number, m.line_id, o.marker_status,"
                " o.classification, o.displacement_m, o.observed_on, o.campaign_id,"
                " ST_X(m.geom) AS lon, ST_Y(m.geom) AS lat"
                " FROM inspection_observation o JOIN boundary_marker m ON m.id = o.marker_id"
                " WHERE m.line_id = ANY(CAST(:ids AS bigint[])) AND o.observed_on <= :day"
                " ORDER BY o.marker_id, o.observed_on DESC, o.id DESC"
            ),
            {"ids": list(line_ids), "day": day},
        ).mappings()
    )


def last_inspections(conn: Connection, line_ids: Sequence[int], day: date) -> dict[int, date]:
    """Per line, the day its latest joint-inspection campaign begun on or before ``day`` ended (``day`` itself
    when the campaign is still under way); lines never inspected are absent."""
    rows = conn.execute(
        text(
            "SELECT l.id AS line_id, max(LEAST(c.period_end, :day)) AS inspected_on"
            " FROM unnest(CAST(:ids AS bigint[])) AS l(id)"
            " JOIN inspection_campaign c ON l.id = ANY(c.line_ids) AND c.period_start <= :day GROUP BY l.id"
        ),
        {"ids": list(line_ids), "day": day},
    )
    return {int(r.line_id): r.inspected_on for r in rows}


LAYER_COLUMNS = (
    "l.name, l.kind, l.file_name, l.checksum, l.source_crs, l.imported_by, l.imported_at,"
    " (SELECT count(*) FROM hazard_area a WHERE a.layer_id = l.id) AS areas,"
    " (SELECT coalesce(sum(a.area_m2), 0) FROM hazard_area a WHERE a.layer_id = l.id) AS area_m2"
)


def layers(conn: Connection) -> list[RowMapping]:
    """Every imported hazard layer with its number of polygons and their area, by name."""
    return list(conn.execute(text(f"SELECT {LAYER_COLUMNS} FROM hazard_layer l ORDER BY l.name")).mappings())


def delete_layer(conn: Connection, name: str) -> dict[str, Any] | None:
    """Delete the hazard layer of ``name`` with its polygons; answer what it was (None when there was none)."""
    row = (
        conn.execute(text(f"SELECT l.id, {LAYER_COLUMNS} FROM hazard_layer l WHERE l.name = :name"), {"name": name})
        .mappings()
        .first()
    )
    if row is None:
        return None
    conn.execute(text("DELETE FROM hazard_layer WHERE id = :id"), {"id": row["id"]})
    return {k: v for k, v in row.items() if k != "id"}


def insert_layer(conn: Connection, layer: dict[str, Any], areas: Sequence[dict[str, Any]]) -> None:
    """Insert a hazard layer and its polygons (WKB in EPSG:4490)."""
    layer_id = conn.execute(
        text(
            "INSERT INTO hazard_layer (name, kind, file_name, checksum, source_crs, imported_by)"
            " VALUES (:name, :kind, :file_name, :checksum, :source_crs, :imported_by) RETURNING id"
        ),
        layer,
    ).scalar_one()
    conn.execute(
        text(
            "INSERT INTO hazard_area (layer_id, feature, label, area_m2, geom)"
            " VALUES (:layer_id, :feature, :label, :area_m2, ST_GeomFromWKB(:wkb, 4490))"
        ),
        [{**area, "layer_id": layer_id} for area in areas],
    )


def areas_near(conn: Connection, bounds: tuple[float, float, float, float], reach_deg: float) -> list[RowMapping]:
    """The polygons of every hazard layer whose box comes within ``reach_deg`` degrees of ``bounds`` (lon/lat:
    min x, min y, max x, max y), with their layer's name and kind, geometry as WKB."""
    return list(
        conn.execute(
            text(
                "SELECT a.id, a.feature, a.label, l.name AS layer, l.kind, ST_AsBinary(a.geom) AS wkb"
                " FROM hazard_area a JOIN hazard_layer l ON l.id = a.layer_id"
                " WHERE a.geom && ST_Expand(ST_MakeEnvelope(:x1, :y1, :x2, :y2, 4490), :reach)"
                " ORDER BY l.name, a.feature"
            ),
            {"x1": bounds[0], "y1": bounds[1], "x2": bounds[2], "y2": bounds[3], "reach": reach_deg},
        ).mappings()
    )
