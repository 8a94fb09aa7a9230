"""SQL of the name search: the search statement (every match phase, the ranking, the page and its unit paths in one
round trip), candidates by search key, nearby names, the unit names of hits, the trigram route."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any, NamedTuple

from sqlalchemy import text
from sqlalchemy.engine import Connection, RowMapping

from gazetteer.places.queries import PLACE_COLUMNS, _filters, public_location


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


# --- the search statement: every match phase, the ranking and the page in one round trip ---------------------
CANDIDATE_COLUMNS = "p.id, p.name, k.key AS matched_key, k.kind AS matched_kind"


class Phase(NamedTuple):
    """One match phase of the search statement.

    ``rows``: SQL of the candidate rows (CANDIDATE_COLUMNS: id, name, matched_key, matched_kind), in the phase's
    own order and limit; ``score``: SQL of a candidate's score over ``r`` (the row) and, with ``cores``, ``cc``
    (the core of the row's name: its core key, or the name when it has none); NULL drops the row. A ``gated``
    phase runs only while the phases before took fewer records than the page needs (``:wanted``). A phase with
    ``near`` reads the CTE ``near``: the typo search's candidate cores (near_sql), gated like the first such
    phase."""

    rows: str
    score: str
    gated: bool = False
    cores: bool = False
    near: bool = False


def near_sql(gate: str) -> str:
    """The cores one edit from ``:core`` the national typo search looks up (at most ``:fuzzy_keys``): first the
    core and its deletions (``:probes``, in their order), then the distinct cores having one of the probes among
    their deletions, one edit away, shorter first, then those of the lowest record id."""
    return (
        "SELECT c FROM (SELECT q.c, 0 AS o, q.n FROM unnest(CAST(:probes AS text[])) WITH ORDINALITY AS q(c, n)"
        " UNION ALL SELECT d.core, 1, d.n FROM (SELECT core,"
        " row_number() OVER (ORDER BY length(core), min(first_id), core) AS n"
        " FROM place_core_deletion WHERE deletion = ANY(CAST(:probes AS text[]))"
        " AND levenshtein_less_equal(core, CAST(:core AS text), 1) <= 1"
        " GROUP BY core ORDER BY length(core), min(first_id), core LIMIT :fuzzy_keys) AS d"
        " WHERE d.core <> ALL(CAST(:probes AS text[]))) AS u"
        f" WHERE {gate} ORDER BY o, n LIMIT :fuzzy_keys"
    )


def in_unit_near_sql(filters: str) -> str:
    """Candidate rows of the typo search within a unit: the unit's records with a core or exact key one edit
    from ``:core`` (Levenshtein), compared directly, best level first, at most ``:fuzzy_rows``."""
    return (
        f"SELECT {CANDIDATE_COLUMNS} FROM place_name p JOIN place_key k ON k.place_name_id = p.id"
        f" WHERE {filters} AND k.kind IN ('core', 'exact')"
        " AND levenshtein_less_equal(k.key, CAST(:core AS text), 1) <= 1"
        " ORDER BY p.level_rank, (p.valid_to IS NOT NULL), length(k.key), p.id LIMIT :fuzzy_rows"
    )


def english_sql(filters: str) -> str:
    """Candidate rows of the units having an English form (unit_english_name) with search key ``:key``."""
    return (
        "SELECT p.id, p.name, e.key AS matched_key, 'english' AS matched_kind"
        " FROM unit_english_name e JOIN place_name p ON p.admin_code = e.admin_code"
        f' WHERE e.key = CAST(:key AS text) COLLATE "C" AND {filters}'
        " ORDER BY p.level_rank, (p.valid_to IS NOT NULL), p.id LIMIT :fetch"
    )


def scope_filters(scope: dict[str, Any]) -> str:
    """The WHERE conditions on ``p`` of a search scope (unit_prefix, category, statuses, as_of)."""
    return _filters(scope["unit_prefix"], scope["category"], scope["statuses"], scope["as_of"])


CORE_OF_ROW = "(SELECT c.key FROM place_key c WHERE c.place_name_id = r.id AND c.kind = 'core')"
UNIT_NAME_AS_OF = (
    "u.status IN ('standard', 'historic') AND (CAST(:as_of AS date) IS NULL AND u.valid_to IS NULL"
    " OR u.valid_from <= CAST(:as_of AS date) AND (u.valid_to IS NULL OR u.valid_to > CAST(:as_of AS date)))"
)
# The 所在政区 chain of a page row: the standard names of its unit code's ancestors and itself (2, 4, 6, 9, 12 digits
# up to the code's significant length), top first, on :as_of (current when NULL).
UNIT_PATH = (
    "(SELECT coalesce(json_agg(json_build_object('code', c.code, 'name', c.name) ORDER BY c.n), '[]')"
    " FROM (SELECT ch.n, rpad(left(pg.unit_code, ch.len), 12, '0') AS code,"
    " (SELECT u.name FROM place_name u WHERE u.admin_code = rpad(left(pg.unit_code, ch.len), 12, '0')"
    f" AND {UNIT_NAME_AS_OF} ORDER BY u.valid_from DESC LIMIT 1) AS name"
    " FROM unnest(ARRAY[2, 4, 6, 9, 12]) WITH ORDINALITY AS ch(len, n)"
    " WHERE ch.len <= (SELECT min(l) FROM unnest(ARRAY[2, 4, 6, 9, 12]) AS l"
    "  WHERE ltrim(substr(pg.unit_code, l + 1), '0') = '')) AS c WHERE c.name IS NOT NULL)"
)
PAGE_COLUMNS = (
    "p.id, p.place_id, p.name, p.statistical_name, p.romanization, p.romanization_origin, p.category, p.unit_code,"
    " p.admin_code, p.status, p.valid_from, p.valid_to, p.level_rank,"
    f" ST_X(ST_PointOnSurface({public_location()})) AS lon, ST_Y(ST_PointOnSurface({public_location()})) AS lat"
)


def search_page(conn: Connection, phases: Sequence[Phase], params: dict[str, Any]) -> list[RowMapping]:
    """The finished page of a search in one statement: the ``phases`` in order (each gated phase skipped once
    the page is certain), each record's best score, the page (``:limit`` from ``:offset``) ranked by score, level,
    current first, name length and id, with its unit path (``unit_path``, JSON) and public point.

    Every row also carries ``total`` (records found), ``version`` (the gazetteer's committed data version) and
    ``unit_known`` (false when ``:unit_code`` is given and no current unit name has it); an empty page is one row
    of these with NULL columns."""
    # Every CTE is MATERIALIZED: planned once on its own, the statement plans in ~30 % less time.
    ctes: list[str] = []
    taken: list[str] = []
    near_done = False
    for i, phase in enumerate(phases):
        gate = "true"
        if phase.gated and taken:
            gate = f"(SELECT count(DISTINCT id) FROM ({' UNION ALL '.join(taken)}) AS s) < :wanted"
        if phase.near and not near_done:
            ctes.append(f"near AS MATERIALIZED ({near_sql(gate)})")
            near_done = True
        ctes.append(f"c{i} AS MATERIALIZED (SELECT * FROM ({phase.rows}) AS r WHERE {gate})")
        # OFFSET 0 keeps the core a column of its own: pulled up, its subquery ran once per use in the score
        cores = f", LATERAL (SELECT coalesce({CORE_OF_ROW}, r.name) AS cc OFFSET 0) AS l" if phase.cores else ""
        ctes.append(
            f"t{i} AS MATERIALIZED (SELECT id, score FROM"
            f" (SELECT r.id, {phase.score} AS score FROM c{i} AS r{cores}) AS s WHERE score IS NOT NULL)"
        )
        taken.append(f"SELECT id, score FROM t{i}")
    nothing = "SELECT NULL::bigint AS id, NULL::int AS score WHERE false"
    ctes.append(f"taken AS MATERIALIZED ({' UNION ALL '.join(taken) or nothing})")
    ctes.append("best AS MATERIALIZED (SELECT DISTINCT ON (id) id, score FROM taken ORDER BY id, score DESC)")
    ctes.append(
        f"page AS MATERIALIZED (SELECT {PAGE_COLUMNS}, b.score FROM best AS b JOIN place_name p ON p.id = b.id"
        " ORDER BY b.score DESC, p.level_rank, (p.valid_to IS NOT NULL), length(p.name), p.id"
        " LIMIT :limit OFFSET :offset)"
    )
    known = (
        "CAST(:unit_code AS text) IS NULL OR EXISTS (SELECT 1 FROM place_name u"
        " WHERE u.admin_code = CAST(:unit_code AS text) AND u.status IN ('standard', 'historic')"
        " AND u.valid_to IS NULL)"
    )
    sql = (
        f"WITH {', '.join(ctes)} SELECT m.total, m.version, m.unit_known, pg.*, {UNIT_PATH} AS unit_path"
        " FROM (SELECT (SELECT count(*) FROM best) AS total,"
        " (SELECT version FROM data_version WHERE context = 'gazetteer') AS version,"
        f" {known} AS unit_known) AS m LEFT JOIN page AS pg ON true"
        " ORDER BY pg.score DESC, pg.level_rank, (pg.valid_to IS NOT NULL), length(pg.name), pg.id"
    )
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
