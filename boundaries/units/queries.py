"""SQL of the boundaries context (the only place it lives)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlalchemy import text
from sqlalchemy.engine import Connection, RowMapping

from boundaries.units.divisions import DivisionRow
from core.errors import Conflict
from core.imports import copy_rows

LEVEL_ORDER = "array_position(ARRAY['province','city','county','township','village'], {col})"
UNIT_COLUMNS = "code, name, level, kind, is_grouping, parent_code, valid_from, valid_to"


def upsert_units(conn: Connection, rows: Sequence[DivisionRow], valid_from: date) -> tuple[int, int, int]:
    """Write unit versions valid from ``valid_from``; returns (inserted, updated, unchanged).

    A unit whose current version already says the same is left alone; one that changed gets its
    open version closed the day the new one starts; a version with the same start is corrected in place.
    """
    conn.execute(
        text(
            'CREATE TEMP TABLE stage_unit (code text COLLATE "C", name text, level text, kind text, '
            'is_grouping boolean, parent_code text COLLATE "C") ON COMMIT DROP'
        )
    )
    copy_rows(
        conn,
        "stage_unit",
        ("code", "name", "level", "kind", "is_grouping", "parent_code"),
        ((r.code, r.name, r.level, r.kind, r.is_grouping, r.parent_code) for r in rows),
    )
    conn.execute(text("ANALYZE stage_unit"))
    params = {"valid_from": valid_from}
    unchanged = conn.execute(
        text(
            "DELETE FROM stage_unit s USING admin_unit a "
            "WHERE a.code = s.code AND a.period @> CAST(:valid_from AS date) "
            "AND (a.name, a.level, a.kind, a.is_grouping, a.parent_code) "
            "IS NOT DISTINCT FROM (s.name, s.level, s.kind, s.is_grouping, s.parent_code)"
        ),
        params,
    ).rowcount
    blocking = conn.execute(
        text(
            "SELECT a.code, a.name, a.valid_from, a.valid_to FROM admin_unit a JOIN stage_unit s ON s.code = a.code "
            "WHERE a.valid_from > :valid_from OR (a.valid_from < :valid_from AND a.valid_to > :valid_from) "
            "ORDER BY a.code, a.valid_from"
        ),
        params,
    ).all()
    if blocking:
        shown = "; ".join(f"{r.code} {r.name} {r.valid_from}..{r.valid_to or ''}" for r in blocking[:5])
        raise Conflict(
            f"{len({r.code for r in blocking})} unit(s) differ from a version that starts after {valid_from} "
            f"or a closed version spanning it ({shown}): a version valid from {valid_from} would overlap it; "
            "import releases in date order"
        )
    closed = conn.execute(
        text(
            "UPDATE admin_unit a SET valid_to = :valid_from FROM stage_unit s "
            "WHERE a.code = s.code AND a.period @> CAST(:valid_from AS date) AND a.valid_from < :valid_from"
        ),
        params,
    ).rowcount
    counts = conn.execute(
        text(
            "WITH written AS ("
            " INSERT INTO admin_unit (code, name, level, kind, is_grouping, parent_code, valid_from)"
            " SELECT code, name, level, kind, is_grouping, parent_code, :valid_from FROM stage_unit"
            " ON CONFLICT (code, valid_from) DO UPDATE SET name = EXCLUDED.name, level = EXCLUDED.level,"
            " kind = EXCLUDED.kind, is_grouping = EXCLUDED.is_grouping, parent_code = EXCLUDED.parent_code"
            " RETURNING (xmax = 0) AS inserted)"
            " SELECT count(*) FILTER (WHERE inserted) AS inserted, count(*) FILTER (WHERE NOT inserted) AS updated"
            " FROM written"
        ),
        params,
    ).one()
    return counts.inserted - closed, counts.updated + closed, unchanged


def known_codes(conn: Connection, codes: Sequence[str]) -> set[str]:
    """The codes among ``codes`` that name a unit at any date."""
    result = conn.execute(
        text("SELECT DISTINCT code FROM admin_unit WHERE code = ANY(CAST(:codes AS text[]))"), {"codes": list(codes)}
    )
    return {row.code for row in result}


def unit_at(conn: Connection, code: str, as_of: date) -> RowMapping | None:
    """The version of a unit valid on ``as_of``."""
    return (
        conn.execute(
            text(f"SELECT {UNIT_COLUMNS} FROM admin_unit WHERE code = :code AND period @> CAST(:as_of AS date)"),
            {"code": code, "as_of": as_of},
        )
        .mappings()
        .first()
    )


def unit_record(conn: Connection, code: str, as_of: date) -> RowMapping | None:
    """In one statement, the version of a unit valid on ``as_of`` with its ancestors (``path``, JSON, top first),
    its children count and its registered polygon (``polygon_*``, WKB in EPSG:4490, area on the ellipsoid)."""
    return (
        conn.execute(
            text(
                f"WITH RECURSIVE up AS ("
                f" SELECT {UNIT_COLUMNS}, 0 AS depth FROM admin_unit"
                f"  WHERE code = :code AND period @> CAST(:as_of AS date)"
                f" UNION ALL"
                f" SELECT a.code, a.name, a.level, a.kind, a.is_grouping, a.parent_code, a.valid_from, a.valid_to,"
                f"  up.depth + 1 FROM admin_unit a JOIN up ON a.code = up.parent_code"
                f"  AND a.period @> CAST(:as_of AS date))"
                f" SELECT u.code, u.name, u.level, u.kind, u.is_grouping, u.parent_code, u.valid_from, u.valid_to,"
                f" (SELECT coalesce(json_agg(json_build_object('code', a.code, 'name', a.name, 'level', a.level,"
                f"   'kind', a.kind, 'valid_from', a.valid_from, 'valid_to', a.valid_to) ORDER BY a.depth DESC),"
                f"   '[]') FROM up a WHERE a.depth > 0 AND NOT a.is_grouping) AS path,"
                f" (SELECT count(*) FROM admin_unit c WHERE c.period @> CAST(:as_of AS date) AND ("
                f"   (c.parent_code = :code AND NOT c.is_grouping) OR c.parent_code = ANY(ARRAY("
                f"   SELECT g.code FROM admin_unit g WHERE g.parent_code = :code AND g.is_grouping"
                f"   AND g.period @> CAST(:as_of AS date))))) AS children_count,"
                f" p.source AS polygon_source, p.status AS polygon_status, p.valid_from AS polygon_valid_from,"
                f" p.valid_to AS polygon_valid_to, ST_AsBinary(p.geom) AS polygon_wkb,"
                f" ST_Area(p.geom::geography) / 1e6 AS polygon_area_km2"
                f" FROM up u LEFT JOIN unit_polygon p ON p.unit_code = u.code AND p.status = 'registered'"
                f"  AND p.period @> CAST(:as_of AS date)"
                f" WHERE u.depth = 0"
            ),
            {"code": code, "as_of": as_of},
        )
        .mappings()
        .first()
    )


def unit_versions(conn: Connection, code: str) -> list[RowMapping]:
    """Every dated version of a code, oldest first."""
    return list(
        conn.execute(
            text(f"SELECT {UNIT_COLUMNS} FROM admin_unit WHERE code = :code ORDER BY valid_from"), {"code": code}
        ).mappings()
    )


def ancestors(conn: Connection, code: str, as_of: date) -> list[RowMapping]:
    """The loaded ancestors of a unit on ``as_of``, top first; grouping rows are passed through, not listed."""
    return list(
        conn.execute(
            text(
                f"WITH RECURSIVE up AS ("
                f" SELECT {UNIT_COLUMNS}, 0 AS depth FROM admin_unit"
                f"  WHERE code = :code AND period @> CAST(:as_of AS date)"
                f" UNION ALL"
                f" SELECT a.code, a.name, a.level, a.kind, a.is_grouping, a.parent_code, a.valid_from, a.valid_to,"
                f"  up.depth + 1 FROM admin_unit a JOIN up ON a.code = up.parent_code"
                f"  AND a.period @> CAST(:as_of AS date))"
                f" SELECT {UNIT_COLUMNS} FROM up WHERE depth > 0 AND NOT is_grouping ORDER BY depth DESC"
            ),
            {"code": code, "as_of": as_of},
        ).mappings()
    )


def children(conn: Connection, code: str, as_of: date) -> list[RowMapping]:
    """The units whose parent is ``code`` on ``as_of``, by code; a grouping child is replaced by its children."""
    return list(
        conn.execute(
            text(
                f"SELECT {UNIT_COLUMNS} FROM admin_unit WHERE period @> CAST(:as_of AS date) AND ("
                f" (parent_code = :code AND NOT is_grouping) OR parent_code = ANY(ARRAY("
                f"  SELECT code FROM admin_unit WHERE parent_code = :code AND is_grouping"
                f"  AND period @> CAST(:as_of AS date))))"
                f" ORDER BY code"
            ),
            {"code": code, "as_of": as_of},
        ).mappings()
    )


def units_by_code(conn: Connection, codes: Sequence[str], as_of: date) -> list[RowMapping]:
    """The versions of the units ``codes`` valid on ``as_of`` (codes without one are left out)."""
    return list(
        conn.execute(
            text(
                f"SELECT {UNIT_COLUMNS} FROM admin_unit"
                f" WHERE code = ANY(CAST(:codes AS varchar[])) AND period @> CAST(:as_of AS date)"
            ),
            {"codes": list(codes), "as_of": as_of},
        ).mappings()
    )


def counts(conn: Connection) -> dict[str, int]:
    """Row counts of the loaded data (today's units by level, polygons by status)."""
    result: dict[str, int] = {}
    for row in conn.execute(
        text(
            "SELECT level, count(*) AS n FROM admin_unit WHERE period @> CURRENT_DATE AND NOT is_grouping"
            " GROUP BY level"
        )
    ):
        result[f"units_{row.level}"] = row.n
    for row in conn.execute(text("SELECT status, count(*) AS n FROM unit_polygon GROUP BY status")):
        result[f"polygons_{row.status}"] = row.n
    return result


def units_within(conn: Connection, prefix: str, level: str, as_of: date) -> list[RowMapping]:
    """Units of ``level`` whose code starts with ``prefix``, valid on ``as_of``."""
    return list(
        conn.execute(
            text(
                f"SELECT {UNIT_COLUMNS} FROM admin_unit WHERE code LIKE :prefix AND level = :level"
                " AND period @> CAST(:as_of AS date) ORDER BY code"
            ),
            {"prefix": prefix + "%", "level": level, "as_of": as_of},
        ).mappings()
    )


# --- published collections (served by the OGC API through boundaries.service.published_collections) ---
# The unit versions of a level in two parts, so that a spatial filter on polygon_geom reaches the GiST index of
# unit_polygon: those with a registered polygon overlapping their period, joined to the latest such polygon (the
# registered periods of one unit never overlap), and those without one. The codes are compared as the exclusion
# constraint's index has them (bigint), so that the test for a (later) registered polygon is one index probe.
_UNIT_VERSIONS = (
    "SELECT u.id, u.code, u.name, u.level, u.kind, u.parent_code, u.valid_from, u.valid_to, {polygon} FROM admin_unit u"
    " {join} WHERE NOT u.is_grouping AND u.level = '{level}' AND NOT EXISTS (SELECT 1 FROM unit_polygon q"
    " WHERE CAST(q.unit_code AS bigint) = CAST(u.code AS bigint) AND q.status = 'registered'"
    " AND q.period && u.period{later})"
)
_WITH_POLYGON = {
    "polygon": "p.source AS polygon_source, p.geom AS polygon_geom",
    "join": "JOIN unit_polygon p ON p.unit_code = u.code AND p.status = 'registered' AND p.period && u.period",
    "later": " AND q.valid_from > p.valid_from",
}
_WITHOUT_POLYGON = {"polygon": "NULL::text AS polygon_source, NULL::geometry AS polygon_geom", "join": "", "later": ""}


def published_units_sql(level: str, registered_polygon: bool | None = None) -> str:
    """The published SELECT of the unit versions of one level (``level`` is one of models.LEVELS): those with a
    registered polygon (True), those without (False), or all of them (None)."""
    parts = {True: [_WITH_POLYGON], False: [_WITHOUT_POLYGON], None: [_WITH_POLYGON, _WITHOUT_POLYGON]}
    return " UNION ALL ".join(_UNIT_VERSIONS.format(level=level, **part) for part in parts[registered_polygon])
