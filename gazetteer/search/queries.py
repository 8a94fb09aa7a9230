"""SQL of the name search: the call of the search function (every match phase, the ranking, the page and its unit
paths in one round trip), candidates by search key, nearby names, the unit names of hits, the trigram route."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Connection, Row, RowMapping

from core.database import driver_cursor
from gazetteer.places.queries import PLACE_COLUMNS, _filters, public_location


def unit_heads(conn: Connection, max_rank: int) -> list[Row[Any]]:
    """The exact and statistical keys of the standard names of units down to ``max_rank`` (township: 4), with
    the record's id, codes, level and validity (rows in that column order), in the search's ranking order (level,
    current first, id)."""
    return list(
        conn.execute(
            text(
                "SELECT k.key, p.id, p.admin_code, p.unit_code, p.level_rank, p.valid_from, p.valid_to"
                " FROM place_name p JOIN place_key k ON k.place_name_id = p.id"
                " WHERE k.kind IN ('exact', 'statistical') AND p.status = 'standard' AND p.admin_code IS NOT NULL"
                " AND p.level_rank <= :max_rank ORDER BY p.level_rank, (p.valid_to IS NOT NULL), p.id"
            ),
            {"max_rank": max_rank},
        )
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


def keys_sql(
    columns: str,
    keys: str,
    kinds: str,
    filters: str,
    *,
    limit: str,
    per_key: str = "",
    scoped: bool = False,
    prefix: tuple[str, str] | None = None,
) -> str:
    """SELECT of ``columns`` of the place names (``p``) with a key (``k``) in the text[] ``keys`` (or between the
    bounds ``prefix``) of a kind in ``kinds``, matching ``filters``, best level first, ``limit`` rows (SQL).

    Unscoped lookups of keys read at most ``per_key`` records of each key and kind, the lowest ids first (the key
    index's order; ids follow the administrative level of synced units), so a key shared by hundreds of records
    (和平村) costs no more than a rare one. Scoped to a unit, every record of the keys is a candidate (the planner
    may start from the unit's records)."""
    order = f" ORDER BY p.level_rank, (p.valid_to IS NOT NULL), length(k.key), p.id LIMIT {limit}"
    if prefix is None and not scoped:
        return (
            f"SELECT {columns} FROM unnest({keys}) AS q(key), unnest({kinds}) AS w(kind), LATERAL"
            " (SELECT k.place_name_id, k.key, k.kind FROM place_key k JOIN place_name p ON p.id = k.place_name_id"
            f' WHERE k.key = q.key COLLATE "C" AND k.kind = w.kind AND {filters}'
            f" ORDER BY k.place_name_id LIMIT {per_key}) AS k JOIN place_name p ON p.id = k.place_name_id{order}"
        )
    match = f"k.key = ANY({keys})" if prefix is None else f"k.key >= {prefix[0]} AND k.key < {prefix[1]}"
    return (
        f"SELECT {columns} FROM place_key k JOIN place_name p ON p.id = k.place_name_id"
        f" WHERE {match} AND k.kind = ANY({kinds}) AND {filters}{order}"
    )


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
) -> list[RowMapping]:
    """Place names with a key equal to one of ``keys`` (or starting with ``prefix``) of the given kinds,
    best level first (at most ``limit`` of each key and kind unscoped: keys_sql); each row carries the matched
    key and kind."""
    sql = keys_sql(
        f"{PLACE_COLUMNS}, k.key AS matched_key, k.kind AS matched_kind",
        "CAST(:keys AS text[])",
        "CAST(:kinds AS text[])",
        _filters(unit_prefix, category, statuses, as_of),
        limit=":limit",
        per_key=":limit",
        scoped=unit_prefix is not None,
        prefix=None if prefix is None else (":lo", ":hi"),
    )
    params = {
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


# --- the search: gazetteer_search (migration 0024) runs the phases, ranks and cuts the page server-side -------
# Its arguments, each with its SQL type (a missing one is NULL).
SEARCH_ARGUMENTS = {
    "steps": "text[]",
    "statuses": "text[]",
    "unit_prefix": "text",
    "category_prefix": "text",
    "as_of": "date",
    "wanted": "integer",
    "fetch": "integer",
    "limit": "integer",
    "offset": "integer",
    "unit_code": "text",
    "keys": "text[]",
    "variants": "text[]",
    "core": "text",
    "generic": "text",
    "remainder": "text",
    "narrow_prefix": "text",
    "lo": "text",
    "hi": "text",
    "probes": "text[]",
    "generic_keys": "text[]",
    "key": "text",
    "fuzzy_keys": "integer",
    "fuzzy_rows": "integer",
}
# The statement in psycopg's parameter style, sent on the driver's cursor (core.database.driver_cursor).
SEARCH = (
    "SELECT * FROM gazetteer_search("
    + ", ".join(f"q_{name} => %({name})s::{kind}" for name, kind in SEARCH_ARGUMENTS.items())
    + ")"
)


def search_page(conn: Connection, params: dict[str, Any]) -> list[dict[str, Any]]:
    """The finished page of a search in one round trip: the function gazetteer_search runs the ``steps`` (match
    phases) in order, each a statement planned once per connection, and stops at the first gated phase the page
    no longer needs; it keeps each record's best score and returns the page (``limit`` from ``offset``) ranked by
    score, level, current first, name length and id, with its unit path (``unit_path``, JSON) and public point.

    Every row also carries ``total`` (records found), ``version`` (the gazetteer's committed data version) and
    ``unit_known`` (false when ``unit_code`` is given and no current unit name has it); an empty page is one row
    of these with NULL columns."""
    with driver_cursor(conn) as cursor:
        cursor.execute(SEARCH, {name: params.get(name) for name in SEARCH_ARGUMENTS})
        return cursor.fetchall()


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
