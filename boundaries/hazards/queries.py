"""SQL of the hazard screening: the lines screened and what the service holds about them on a day (dispute
cases, the newest comparisons and their disputed pieces, the last observation of each marker, the last joint
inspection of each line)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

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


def dispute_cases(conn: Connection, day: date) -> list[RowMapping]:
    """Cases opened on or before ``day``, with their status now, the date of their last status change when they
    are resolved (``resolved_on``), and their ground as WKB (None when the case has none)."""
    return list(
        conn.execute(
            text(
                "SELECT c.id, c.title, c.unit_codes, c.status, ST_AsBinary(c.geom) AS wkb,"
                " (SELECT min(e.on_date) FROM dispute_event e WHERE e.case_id = c.id AND e.kind = 'opened')"
                " AS opened_on,"
                " CASE WHEN c.status = 'resolved' THEN (SELECT max(e.on_date) FROM dispute_event e"
                " WHERE e.case_id = c.id AND e.kind = 'status') END AS resolved_on"
                " FROM dispute_case c WHERE EXISTS (SELECT 1 FROM dispute_event e WHERE e.case_id = c.id"
                " AND e.kind = 'opened' AND e.on_date <= :day) ORDER BY c.id"
            ),
            {"day": day},
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
