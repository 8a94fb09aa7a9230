"""SQL of inspection campaigns and their observations."""

from __future__ import annotations

from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Connection, RowMapping

OBSERVATION_SELECT = (
    "SELECT id, submission_id, campaign_id, line_id, marker_id, marker_status, fix_x, fix_y, fix_crs,"
    " displacement_m, bearing_deg, classification, notes, observed_on, submitted_by, submitted_at,"
    " ST_X(geom) AS lon, ST_Y(geom) AS lat FROM inspection_observation"
)


def insert_campaign(conn: Connection, values: dict[str, Any]) -> int:
    """Store a campaign; returns its id."""
    return int(
        conn.execute(
            text(
                "INSERT INTO inspection_campaign (title, line_ids, parties, inspectors, period_start, period_end,"
                " tolerance_m, created_by) VALUES (:title, CAST(:line_ids AS bigint[]), CAST(:parties AS text[]),"
                " CAST(:inspectors AS text[]), :period_start, :period_end, :tolerance_m, :created_by) RETURNING id"
            ),
            values,
        ).scalar_one()
    )


def campaign(conn: Connection, campaign_id: int) -> RowMapping | None:
    """One campaign."""
    return (
        conn.execute(
            text(
                "SELECT id, title, line_ids, parties, inspectors, period_start, period_end, tolerance_m, created_by,"
                " created_at FROM inspection_campaign WHERE id = :id"
            ),
            {"id": campaign_id},
        )
        .mappings()
        .first()
    )


def insert_observation(conn: Connection, values: dict[str, Any]) -> int:
    """Store an observation; returns its id."""
    return int(
        conn.execute(
            text(
                "INSERT INTO inspection_observation (submission_id, campaign_id, line_id, marker_id, marker_status,"
                " fix_x, fix_y, fix_crs, displacement_m, bearing_deg, classification, notes, observed_on,"
                " submitted_by, geom) VALUES (:submission_id, :campaign_id, :line_id, :marker_id, :marker_status,"
                " :fix_x, :fix_y, :fix_crs, :displacement_m, :bearing_deg, :classification, :notes, :observed_on,"
                " :submitted_by, CASE WHEN CAST(:lon AS float8) IS NULL THEN NULL"
                " ELSE ST_SetSRID(ST_MakePoint(:lon, :lat), 4490) END) RETURNING id"
            ),
            values,
        ).scalar_one()
    )


def observation_by_submission(conn: Connection, submission_id: str) -> RowMapping | None:
    """The observation stored under a submission id."""
    return conn.execute(text(OBSERVATION_SELECT + " WHERE submission_id = :s"), {"s": submission_id}).mappings().first()


def observations(conn: Connection, campaign_id: int) -> list[RowMapping]:
    """A campaign's observations in submission order."""
    return list(
        conn.execute(text(OBSERVATION_SELECT + " WHERE campaign_id = :id ORDER BY id"), {"id": campaign_id}).mappings()
    )
