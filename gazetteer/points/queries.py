"""SQL of the reference points: upsert, nearest to a point, counts and lists."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Connection, RowMapping

from core.imports import copy_rows


def upsert_points(conn: Connection, source: str, rows: Sequence[dict[str, Any]]) -> tuple[int, int, int]:
    """Write reference points of one source keyed by external id; returns (inserted, updated, unchanged)."""
    conn.execute(
        text(
            'CREATE TEMP TABLE stage_point (external_id text, name text, category text, unit_code text COLLATE "C",'
            " unit_level text, lon float8, lat float8, properties jsonb) ON COMMIT DROP"
        )
    )
    copy_rows(
        conn,
        "stage_point",
        ("external_id", "name", "category", "unit_code", "unit_level", "lon", "lat", "properties"),
        (
            (
                r["external_id"],
                r["name"],
                r["category"],
                r["unit_code"],
                r["unit_level"],
                r["lon"],
                r["lat"],
                json.dumps(r["properties"], ensure_ascii=False),
            )
            for r in rows
        ),
    )
    params = {"source": source}
    unchanged = conn.execute(
        text(
            "DELETE FROM stage_point s USING reference_point p WHERE p.source = :source"
            " AND p.external_id = s.external_id"
            " AND (p.name, p.category, p.unit_code, p.unit_level, p.properties)"
            " IS NOT DISTINCT FROM (s.name, s.category, s.unit_code, s.unit_level, s.properties)"
            " AND ST_Equals(p.geom, ST_SetSRID(ST_MakePoint(s.lon, s.lat), 4490))"
        ),
        params,
    ).rowcount
    counts = conn.execute(
        text(
            "WITH written AS ("
            " INSERT INTO reference_point (source, external_id, name, category, unit_code, unit_level, geom,"
            " properties)"
            " SELECT :source, external_id, name, category, unit_code, unit_level,"
            " ST_SetSRID(ST_MakePoint(lon, lat), 4490), properties FROM stage_point"
            " ON CONFLICT (source, external_id) DO UPDATE SET name = EXCLUDED.name, category = EXCLUDED.category,"
            " unit_code = EXCLUDED.unit_code, unit_level = EXCLUDED.unit_level, geom = EXCLUDED.geom,"
            " properties = EXCLUDED.properties"
            " RETURNING (xmax = 0) AS inserted)"
            " SELECT count(*) FILTER (WHERE inserted) AS inserted, count(*) FILTER (WHERE NOT inserted) AS updated"
            " FROM written"
        ),
        params,
    ).one()
    return counts.inserted, counts.updated, unchanged


def nearest_unit_points(
    conn: Connection, lon: float, lat: float, *, within: str, levels: list[str]
) -> list[RowMapping]:
    """Per unit level of ``levels``, the nearest reference point standing for a unit of that level whose code
    starts with ``within`` (levels without one are left out), in the order of ``levels``."""
    return list(
        conn.execute(
            text(
                "SELECT n.* FROM unnest(CAST(:levels AS text[])) WITH ORDINALITY AS l(level, ord)"
                " CROSS JOIN LATERAL (SELECT unit_code, name, source, ST_X(geom) AS lon, ST_Y(geom) AS lat,"
                " ST_Distance(geom::geography, ST_SetSRID(ST_MakePoint(:lon, :lat), 4490)::geography) AS distance_m"
                " FROM reference_point WHERE unit_level = l.level AND unit_code LIKE :prefix"
                " ORDER BY geom <-> ST_SetSRID(ST_MakePoint(:lon, :lat), 4490) LIMIT 1) n"
                " ORDER BY l.ord"
            ),
            {"lon": lon, "lat": lat, "prefix": within + "%", "levels": levels},
        ).mappings()
    )


def count_points(conn: Connection) -> int:
    """Number of reference points."""
    return int(conn.execute(text("SELECT count(*) FROM reference_point")).scalar_one())


def list_points(conn: Connection, prefix: str, level: str | None) -> list[RowMapping]:
    """Reference points whose unit code starts with ``prefix`` (all points for ""), optionally of one unit level."""
    return list(
        conn.execute(
            text(
                "SELECT id, source, name, category, unit_code, unit_level, ST_X(geom) AS lon, ST_Y(geom) AS lat"
                " FROM reference_point WHERE (:prefix = '' OR unit_code LIKE :prefix || '%')"
                " AND (CAST(:level AS text) IS NULL OR unit_level = :level) ORDER BY id"
            ),
            {"prefix": prefix, "level": level},
        ).mappings()
    )
