"""SQL of unit polygons: the versions of each unit's polygon by source and status (the only place it lives)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

import shapely
from sqlalchemy import text
from sqlalchemy.engine import Connection, RowMapping

from boundaries.polygons.reading import PolygonRow
from boundaries.units.queries import LEVEL_ORDER
from core import audit
from core.errors import Conflict
from core.imports import copy_rows


def upsert_polygons(
    conn: Connection, rows: Sequence[PolygonRow], *, source: str, status: str, valid_from: date
) -> tuple[int, int, int, int]:
    """Write polygons of one source valid from ``valid_from``; returns (inserted, updated, unchanged, closed).

    A registered polygon closes the unit's earlier open registered polygon the day the new one starts.
    """
    conn.execute(
        text(
            'CREATE TEMP TABLE stage_polygon (unit_code text COLLATE "C", geom bytea, original_geom bytea, '
            "repair_note text) ON COMMIT DROP"
        )
    )
    copy_rows(
        conn,
        "stage_polygon",
        ("unit_code", "geom", "original_geom", "repair_note"),
        (
            (
                r.unit_code,
                shapely.to_wkb(r.geom),
                None if r.original is None else shapely.to_wkb(r.original),
                r.repair_note,
            )
            for r in rows
        ),
    )
    params = {"valid_from": valid_from, "source": source, "status": status}
    unchanged = conn.execute(
        text(
            "DELETE FROM stage_polygon s USING unit_polygon p "
            "WHERE p.unit_code = s.unit_code AND p.source = :source AND p.valid_from = :valid_from "
            "AND p.status = :status AND ST_AsBinary(p.geom) = s.geom"
        ),
        params,
    ).rowcount
    closed = 0
    if status == "registered":
        blocking = conn.execute(
            text(
                "SELECT p.unit_code, p.source, p.valid_from, p.valid_to FROM unit_polygon p"
                " JOIN stage_polygon s ON s.unit_code = p.unit_code WHERE p.status = 'registered' AND ("
                " p.valid_from > :valid_from OR (p.valid_from < :valid_from AND p.valid_to > :valid_from)"
                " OR (p.valid_from = :valid_from AND p.source <> :source)) ORDER BY p.unit_code, p.valid_from"
            ),
            params,
        ).all()
        if blocking:
            shown = "; ".join(f"{r.unit_code} {r.source} {r.valid_from}..{r.valid_to or ''}" for r in blocking[:5])
            raise Conflict(
                f"{len({r.unit_code for r in blocking})} unit(s) have a registered polygon that a registered polygon "
                f"valid from {valid_from} would overlap ({shown}): at most one registered polygon per unit on any "
                "date; import in date order"
            )
        closed = conn.execute(
            text(
                "UPDATE unit_polygon p SET valid_to = :valid_from FROM stage_polygon s "
                "WHERE p.unit_code = s.unit_code AND p.status = 'registered' "
                "AND p.period @> CAST(:valid_from AS date) AND p.valid_from < :valid_from"
            ),
            params,
        ).rowcount
    counts = conn.execute(
        text(
            "WITH written AS ("
            " INSERT INTO unit_polygon (unit_code, source, status, geom, original_geom, repair_note, valid_from)"
            " SELECT unit_code, :source, :status, ST_Multi(ST_GeomFromWKB(geom, 4490)),"
            " ST_GeomFromWKB(original_geom, 4490), repair_note, :valid_from FROM stage_polygon"
            " ON CONFLICT (unit_code, source, valid_from) DO UPDATE SET status = EXCLUDED.status,"
            " geom = EXCLUDED.geom, original_geom = EXCLUDED.original_geom, repair_note = EXCLUDED.repair_note,"
            " imported_at = now()"
            " RETURNING (xmax = 0) AS inserted)"
            " SELECT count(*) FILTER (WHERE inserted) AS inserted, count(*) FILTER (WHERE NOT inserted) AS updated"
            " FROM written"
        ),
        params,
    ).one()
    return counts.inserted, counts.updated, unchanged, closed


def registered_polygon(conn: Connection, code: str, as_of: date) -> RowMapping | None:
    """The unit's registered polygon on ``as_of`` (WKB in EPSG:4490) with its area on the ellipsoid."""
    return (
        conn.execute(
            text(
                "SELECT id, source, status, valid_from, valid_to, ST_AsBinary(geom) AS wkb,"
                " ST_Area(geom::geography) / 1e6 AS area_km2 FROM unit_polygon"
                " WHERE unit_code = :code AND status = 'registered' AND period @> CAST(:as_of AS date)"
            ),
            {"code": code, "as_of": as_of},
        )
        .mappings()
        .first()
    )


def insert_polygon(conn: Connection, row: PolygonRow, *, source: str, status: str, valid_from: date) -> int:
    """Insert one polygon version; returns its id."""
    return int(
        conn.execute(
            text(
                "INSERT INTO unit_polygon (unit_code, source, status, geom, original_geom, repair_note, valid_from)"
                " VALUES (:code, :source, :status, ST_Multi(ST_GeomFromWKB(:wkb, 4490)),"
                " ST_GeomFromWKB(:original, 4490), :note, :valid_from) RETURNING id"
            ),
            {
                "code": row.unit_code,
                "source": source,
                "status": status,
                "wkb": shapely.to_wkb(row.geom),
                "original": None if row.original is None else shapely.to_wkb(row.original),
                "note": row.repair_note,
                "valid_from": valid_from,
            },
        ).scalar_one()
    )


def close_registered_polygon(conn: Connection, code: str, valid_from: date) -> dict[str, Any] | None:
    """End the unit's open registered polygon that started before ``valid_from``; returns what was closed."""
    row = (
        conn.execute(
            text(
                "UPDATE unit_polygon SET valid_to = :valid_from WHERE unit_code = :code AND status = 'registered'"
                " AND period @> CAST(:valid_from AS date) AND valid_from < :valid_from"
                " RETURNING id, source, valid_from"
            ),
            {"code": code, "valid_from": valid_from},
        )
        .mappings()
        .first()
    )
    return None if row is None else dict(row)


# The unit's latest name as a scalar subquery (not a lateral join): a query that does not read unit_name (a count,
# a page cut by id) never looks it up, as PostgreSQL drops the unused output of a flattened subquery.
PUBLISHED_POLYGONS = (
    "SELECT p.id, p.unit_code, (SELECT name FROM admin_unit WHERE code = p.unit_code ORDER BY valid_from DESC"
    " LIMIT 1) AS unit_name, p.source, p.status, p.repair_note IS NOT NULL AS repaired,"
    " p.valid_from, p.valid_to, p.geom FROM unit_polygon p WHERE p.source = :polygon_source"
)


def polygon_sources(conn: Connection) -> list[str]:
    """The distinct sources of unit polygons, by name."""
    return list(conn.execute(text("SELECT DISTINCT source FROM unit_polygon ORDER BY source")).scalars())


def polygons_fingerprint(conn: Connection) -> str:
    """A digest of every polygon's id, status and validity: it changes whenever one is added, edited or closed."""
    return str(
        conn.execute(
            text(
                "SELECT count(*)::text || ':' || coalesce(md5(string_agg("
                "id::text || status || valid_from::text || coalesce(valid_to::text, '') || imported_at::text,"
                " ',' ORDER BY id)), '') FROM unit_polygon"
            )
        ).scalar_one()
    )


def registered_pieces(conn: Connection, as_of: date) -> list[Any]:
    """The registered polygons valid on ``as_of`` split into pieces of at most 256 vertices (WKB), with their unit."""
    return list(
        conn.execute(
            text(
                "SELECT u.code, u.name, u.level, u.kind, ST_AsBinary(ST_Subdivide(p.geom, 256)) AS wkb"
                " FROM unit_polygon p JOIN admin_unit u ON u.code = p.unit_code AND u.period @> CAST(:as_of AS date)"
                " WHERE p.status = 'registered' AND p.period @> CAST(:as_of AS date)"
            ),
            {"as_of": as_of},
        )
    )


def polygons_of_level(conn: Connection, prefix: str, level: str, as_of: date) -> list[RowMapping]:
    """Every polygon (all sources and statuses) valid on ``as_of`` of the units of ``level`` under ``prefix``,
    with the unit's name, its area on the ellipsoid in km² and the geometry as WKB (EPSG:4490)."""
    return list(
        conn.execute(
            text(
                "SELECT p.unit_code, a.name AS unit_name, p.source, p.status, p.valid_from,"
                " ST_Area(p.geom::geography) / 1e6 AS area_km2, ST_AsBinary(p.geom) AS wkb"
                " FROM unit_polygon p JOIN admin_unit a ON a.code = p.unit_code AND a.period @> CAST(:as_of AS date)"
                " WHERE a.level = :level AND a.code LIKE :prefix AND p.period @> CAST(:as_of AS date)"
                " ORDER BY p.source, p.unit_code, p.status"
            ),
            {"prefix": prefix + "%", "level": level, "as_of": as_of},
        ).mappings()
    )


def close_polygon_version(conn: Connection, polygon_id: int, valid_to: str) -> bool:
    """End an open polygon version on ``valid_to``; False when it is missing or already closed."""
    result = conn.execute(
        text("UPDATE unit_polygon SET valid_to = CAST(:valid_to AS date) WHERE id = :id AND valid_to IS NULL"),
        {"id": polygon_id, "valid_to": valid_to},
    )
    return result.rowcount == 1


def insert_logged_polygon(conn: Connection, row: dict[str, Any], geometry: Any) -> None:
    """Insert a polygon version as logged (its id included; ``geometry`` in EPSG:4490)."""
    conn.execute(
        text(
            "INSERT INTO unit_polygon (id, unit_code, source, status, geom, repair_note, valid_from)"
            " OVERRIDING SYSTEM VALUE VALUES (:id, :unit_code, :source, :status,"
            " ST_Multi(ST_GeomFromWKB(:wkb, 4490)), :repair_note, CAST(:valid_from AS date))"
        ),
        {**{k: row[k] for k in ("id", "unit_code", "source", "status", "repair_note")}, "valid_from": row["valid_from"]}
        | {"wkb": shapely.to_wkb(geometry)},
    )
    audit.advance_identity(conn, "unit_polygon", int(row["id"]))


def units_containing(conn: Connection, lon: float, lat: float, as_of: date) -> list[RowMapping]:
    """Units whose registered polygon contains the point on ``as_of``, deepest level first."""
    return list(
        conn.execute(
            text(
                f"SELECT u.code, u.name, u.level, u.kind, p.source FROM unit_polygon p"
                f" JOIN admin_unit u ON u.code = p.unit_code AND u.period @> CAST(:as_of AS date)"
                f" WHERE p.status = 'registered' AND p.period @> CAST(:as_of AS date)"
                f" AND ST_Intersects(p.geom, ST_SetSRID(ST_MakePoint(:lon, :lat), 4490))"
                f" ORDER BY {LEVEL_ORDER.format(col='u.level')} DESC"
            ),
            {"lon": lon, "lat": lat, "as_of": as_of},
        ).mappings()
    )


def unit_path_at_point(conn: Connection, lon: float, lat: float, as_of: date) -> list[RowMapping]:
    """The deepest unit whose registered polygon contains the point on ``as_of`` (with its polygon ``source``)
    and its loaded ancestors, top first; empty when no polygon contains the point."""
    return list(
        conn.execute(
            text(
                f"WITH RECURSIVE deepest AS ("
                f" SELECT u.code, u.name, u.level, u.kind, u.is_grouping, u.parent_code, p.source FROM unit_polygon p"
                f" JOIN admin_unit u ON u.code = p.unit_code AND u.period @> CAST(:as_of AS date)"
                f" WHERE p.status = 'registered' AND p.period @> CAST(:as_of AS date)"
                f" AND ST_Intersects(p.geom, ST_SetSRID(ST_MakePoint(:lon, :lat), 4490))"
                f" ORDER BY {LEVEL_ORDER.format(col='u.level')} DESC LIMIT 1),"
                f" up AS (SELECT *, 0 AS depth FROM deepest"
                f" UNION ALL"
                f" SELECT a.code, a.name, a.level, a.kind, a.is_grouping, a.parent_code, NULL, up.depth + 1"
                f" FROM admin_unit a JOIN up ON a.code = up.parent_code AND a.period @> CAST(:as_of AS date))"
                f" SELECT code, name, level, kind, source FROM up WHERE depth = 0 OR NOT is_grouping"
                f" ORDER BY depth DESC"
            ),
            {"lon": lon, "lat": lat, "as_of": as_of},
        ).mappings()
    )
