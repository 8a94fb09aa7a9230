"""SQL of the name search: candidates by search key, one-character typos of a core, nearby names, the unit names of
hits, the trigram route."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlalchemy import text
from sqlalchemy.engine import Connection, RowMapping

from gazetteer.places.queries import PLACE_COLUMNS, _filters, public_location


def find_near_in_unit(
    conn: Connection,
    core: str,
    kinds: Sequence[str],
    *,
    unit_prefix: str,
    category: str | None = None,
    statuses: Sequence[str],
    as_of: date | None,
    limit: int,
) -> list[RowMapping]:
    """Place names of one unit with a key of the given kinds at most one edit from ``core`` (Levenshtein), best
    level first: the unit's records are read through the unit code index and their keys compared directly."""
    sql = (
        f"SELECT {PLACE_COLUMNS}, k.key AS matched_key, k.kind AS matched_kind"
        " FROM place_name p JOIN place_key k ON k.place_name_id = p.id"
        f" WHERE {_filters(unit_prefix, category, statuses, as_of)} AND k.kind = ANY(:kinds)"
        " AND levenshtein_less_equal(k.key, :core, 1) <= 1"
        " ORDER BY p.level_rank, (p.valid_to IS NOT NULL), length(k.key), p.id LIMIT :limit"
    )
    params = {
        "core": core,
        "kinds": list(kinds),
        "unit_prefix": unit_prefix + "%",
        "category_prefix": (category or "") + "%",
        "statuses": list(statuses),
        "as_of": as_of,
        "limit": limit,
    }
    return list(conn.execute(text(sql), params).mappings())


def cores_near(conn: Connection, core: str, probes: Sequence[str], limit: int) -> list[str]:
    """Up to ``limit`` distinct name cores one edit from ``core`` among those having one of ``probes`` (the core
    and its deletions) among their deletions: shorter first, then those of the lowest record id."""
    return list(
        conn.execute(
            text(
                "SELECT core FROM place_core_deletion WHERE deletion = ANY(:probes)"
                " AND levenshtein_less_equal(core, :core, 1) <= 1"
                " GROUP BY core ORDER BY length(core), min(first_id), core LIMIT :limit"
            ),
            {"core": core, "probes": list(probes), "limit": limit},
        ).scalars()
    )


def unit_heads(conn: Connection, max_rank: int) -> list[RowMapping]:
    """The exact and statistical keys of the standard names of units down to ``max_rank`` (township: 4), with
    the record's id, codes, level and validity, in the search's ranking order (level, current first, id)."""
    return list(
        conn.execute(
            text(
                "SELECT k.key, p.id, p.admin_code, p.unit_code, p.level_rank, p.valid_from, p.valid_to"
                " FROM place_name p JOIN place_key k ON k.place_name_id = p.id"
                " WHERE k.kind IN ('exact', 'statistical') AND p.status = 'standard' AND p.admin_code IS NOT NULL"
                " AND p.level_rank <= :max_rank ORDER BY p.level_rank, (p.valid_to IS NOT NULL), p.id"
            ),
            {"max_rank": max_rank},
        ).mappings()
    )


def unit_names(conn: Connection, codes: Sequence[str], as_of: date | None) -> dict[str, str]:
    """Standard names of administrative units by code, valid on ``as_of`` (the current ones when None)."""
    if not codes:
        return {}
    rows = conn.execute(
        text(
            "SELECT DISTINCT ON (admin_code) admin_code, name FROM place_name WHERE admin_code = ANY(:codes)"
            " AND status IN ('standard', 'historic')"
            " AND (CAST(:as_of AS date) IS NULL AND valid_to IS NULL"
            "      OR valid_from <= CAST(:as_of AS date) AND (valid_to IS NULL OR valid_to > CAST(:as_of AS date)))"
            " ORDER BY admin_code, valid_from DESC"
        ),
        {"codes": list(codes), "as_of": as_of},
    )
    return {r.admin_code: r.name for r in rows}


def find_by_english(
    conn: Connection,
    key: str,
    *,
    unit_prefix: str | None = None,
    category: str | None = None,
    statuses: Sequence[str],
    as_of: date | None,
    limit: int,
) -> list[RowMapping]:
    """Place names of the units having an English form (unit_english_name) with search key ``key``."""
    sql = (
        f"SELECT {PLACE_COLUMNS}, e.key AS matched_key, 'english' AS matched_kind"
        " FROM unit_english_name e JOIN place_name p ON p.admin_code = e.admin_code"
        f' WHERE e.key = :key COLLATE "C" AND {_filters(unit_prefix, category, statuses, as_of)}'
        " ORDER BY p.level_rank, (p.valid_to IS NOT NULL), p.id LIMIT :limit"
    )
    params = {
        "key": key,
        "unit_prefix": (unit_prefix or "") + "%",
        "category_prefix": (category or "") + "%",
        "statuses": list(statuses),
        "as_of": as_of,
        "limit": limit,
    }
    return list(conn.execute(text(sql), params).mappings())


def find_by_keys(
    conn: Connection,
    keys: Sequence[str],
    kinds: Sequence[str],
    *,
    prefix: str | None = None,
    unit_prefix: str | None = None,
    category: str | None = None,
    statuses: Sequence[str],
    as_of: date | None,
    limit: int,
    per_key: int | None = None,
) -> list[RowMapping]:
    """Place names with a key equal to one of ``keys`` (or starting with ``prefix``) of the given kinds,
    best level first; each row carries the matched key and kind.

    Unscoped lookups of ``keys`` read at most ``per_key`` (default ``limit``) records of each key and kind, the
    lowest ids first (the key index's order; ids follow the administrative level of synced units), so a key shared
    by hundreds of records (和平村) costs no more than a rare one. Scoped to a unit, every record of the keys is a
    candidate (the planner may start from the unit's records)."""
    filters = _filters(unit_prefix, category, statuses, as_of)
    if prefix is None and unit_prefix is None:
        sql = (
            f"SELECT {PLACE_COLUMNS}, k.key AS matched_key, k.kind AS matched_kind"
            " FROM unnest(CAST(:keys AS text[])) AS q(key), unnest(CAST(:kinds AS text[])) AS w(kind), LATERAL"
            " (SELECT k.place_name_id, k.key, k.kind FROM place_key k JOIN place_name p ON p.id = k.place_name_id"
            f' WHERE k.key = q.key COLLATE "C" AND k.kind = w.kind AND {filters}'
            " ORDER BY k.place_name_id LIMIT :per_key) AS k JOIN place_name p ON p.id = k.place_name_id"
            " ORDER BY p.level_rank, (p.valid_to IS NOT NULL), length(k.key), p.id LIMIT :limit"
        )
    else:
        match = "k.key = ANY(:keys)" if prefix is None else "k.key >= :lo AND k.key < :hi"
        sql = (
            f"SELECT {PLACE_COLUMNS}, k.key AS matched_key, k.kind AS matched_kind"
            " FROM place_key k JOIN place_name p ON p.id = k.place_name_id"
            f" WHERE {match} AND k.kind = ANY(:kinds) AND {filters}"
            " ORDER BY p.level_rank, (p.valid_to IS NOT NULL), length(k.key), p.id LIMIT :limit"
        )
    params = {
        "per_key": per_key or limit,
        "keys": list(keys),
        "kinds": list(kinds),
        "lo": prefix,
        "hi": (prefix or "") + chr(0x10FFFF),
        "unit_prefix": (unit_prefix or "") + "%",
        "category_prefix": (category or "") + "%",
        "statuses": list(statuses),
        "as_of": as_of,
        "limit": limit,
    }
    return list(conn.execute(text(sql), params).mappings())


def nearby(
    conn: Connection,
    lon: float,
    lat: float,
    radius_m: float,
    *,
    category: str | None,
    statuses: Sequence[str],
    limit: int,
) -> list[RowMapping]:
    """Place names whose public location lies within ``radius_m`` of the point, nearest first."""
    point = "ST_SetSRID(ST_MakePoint(:lon, :lat), 4490)"
    slack = radius_m + 20_000  # candidates by the true geometry; the distance is that of the public location
    sql = (
        f"SELECT * FROM (SELECT {PLACE_COLUMNS},"
        f" ST_Distance({public_location()}::geography, {point}::geography) AS distance_m"
        " FROM place_name p WHERE p.geom IS NOT NULL"
        f" AND ST_DWithin(p.geom::geography, {point}::geography, :slack)"
        f" AND {_filters(None, category, statuses, None)}) AS near"
        " WHERE distance_m <= :radius ORDER BY distance_m, level_rank, id LIMIT :limit"
    )
    params = {
        "lon": lon,
        "lat": lat,
        "radius": radius_m,
        "slack": slack,
        "category_prefix": (category or "") + "%",
        "statuses": list(statuses),
        "limit": limit,
    }
    return list(conn.execute(text(sql), params).mappings())


def trigram_search(conn: Connection, query: str, limit: int) -> list[RowMapping]:
    """The pg_trgm baseline of the benchmark: names most similar to ``query`` (similarity operator %)."""
    return list(
        conn.execute(
            text(
                "SELECT p.id, p.name, similarity(p.name, :q) AS score FROM place_name p"
                " WHERE p.name % :q ORDER BY score DESC, p.level_rank, p.id LIMIT :limit"
            ),
            {"q": query, "limit": limit},
        ).mappings()
    )
