"""SQL of inspection campaigns and their observations."""

from __future__ import annotations

from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Connection, RowMapping

OBSERVATION_SELECT = (
    "SELECT o.id, o.submission_id, o.campaign_id, o.line_id, o.marker_id, o.marker_status, o.fix_x, o.fix_y,"
    " o.fix_crs, o.displacement_m, o.bearing_deg, o.classification, o.notes, o.observed_on, o.submitted_by,"
    " o.submitted_at, ST_X(o.geom) AS lon, ST_Y(o.geom) AS lat,"
    " ST_X(m.geom) AS marker_lon, ST_Y(m.geom) AS marker_lat"
    " FROM inspection_observation o LEFT JOIN boundary_marker m ON m.id = o.marker_id"
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


def insert_observation(conn: Connection, values: dict[str, Any]) -> int | None:
    """Store an observation; returns its id, or None when its submission id is already stored (a concurrent
    insert of the same submission waits for the other transaction and then finds it)."""
    return conn.execute(
        text(
            "INSERT INTO inspection_observation (submission_id, campaign_id, line_id, marker_id, marker_status,"
            " fix_x, fix_y, fix_crs, displacement_m, bearing_deg, classification, notes, observed_on,"
            " submitted_by, geom) VALUES (:submission_id, :campaign_id, :line_id, :marker_id, :marker_status,"
            " :fix_x, :fix_y, :fix_crs, :displacement_m, :bearing_deg, :classification, :notes, :observed_on,"
            " :submitted_by, CASE WHEN CAST(:lon AS float8) IS NULL THEN NULL"
            " ELSE ST_SetSRID(ST_MakePoint(:lon, :lat), 4490) END)"
            " ON CONFLICT (submission_id) DO NOTHING RETURNING id"
        ),
        values,
    ).scalar_one_or_none()


def observation_by_submission(conn: Connection, submission_id: str) -> RowMapping | None:
    """The observation stored under a submission id."""
    return (
        conn.execute(text(OBSERVATION_SELECT + " WHERE o.submission_id = :s"), {"s": submission_id}).mappings().first()
    )


def observations(conn: Connection, campaign_id: int) -> list[RowMapping]:
    """A campaign's observations in submission order."""
    return list(
        conn.execute(
            text(OBSERVATION_SELECT + " WHERE o.campaign_id = :id ORDER BY o.id"), {"id": campaign_id}
        ).mappings()
    )


PHOTO_SELECT = (
    "SELECT p.id, p.observation_id, o.submission_id, o.campaign_id, p.seq, p.media_type, p.size_bytes, p.sha256,"
    " p.path, p.original_name, p.uploaded_by, p.uploaded_at FROM observation_photo p"
    " JOIN inspection_observation o ON o.id = p.observation_id"
)


def insert_photo(conn: Connection, values: dict[str, Any]) -> int | None:
    """Store a photo's record; None when the observation already has a photo under that number."""
    return conn.execute(
        text(
            "INSERT INTO observation_photo (observation_id, seq, media_type, size_bytes, sha256, path, original_name,"
            " uploaded_by) VALUES (:observation_id, :seq, :media_type, :size_bytes, :sha256, :path, :original_name,"
            " :uploaded_by) ON CONFLICT (observation_id, seq) DO NOTHING RETURNING id"
        ),
        values,
    ).scalar_one_or_none()


def photo(conn: Connection, photo_id: int) -> RowMapping | None:
    """One photo record."""
    return conn.execute(text(PHOTO_SELECT + " WHERE p.id = :id"), {"id": photo_id}).mappings().first()


def photo_by_seq(conn: Connection, observation_id: int, seq: int) -> RowMapping | None:
    """The photo of an observation under a number."""
    sql = PHOTO_SELECT + " WHERE p.observation_id = :o AND p.seq = :s"
    return conn.execute(text(sql), {"o": observation_id, "s": seq}).mappings().first()


def campaign_photos(conn: Connection, campaign_id: int) -> list[RowMapping]:
    """Every photo of a campaign's observations, by observation then number."""
    return list(
        conn.execute(
            text(PHOTO_SELECT + " WHERE o.campaign_id = :c ORDER BY p.observation_id, p.seq"), {"c": campaign_id}
        ).mappings()
    )
