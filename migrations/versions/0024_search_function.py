"""the name search as a server-side function (issue 14): gazetteer_search runs the match phases as separate
statements in order, each planned once per connection, and stops at the first gated phase the page no longer needs

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-05
"""

# ruff: noqa: S608  (the function's SQL is composed from this module's constants only; values are arguments)
from collections.abc import Sequence

from alembic import op

revision: str = "0024"
down_revision: str | None = "0023"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The scope of a search, as conditions on the place name p (NULL: no such condition).
SCOPE = (
    "p.status = ANY(q_statuses)"
    " AND (q_category_prefix IS NULL OR p.category LIKE q_category_prefix)"
    " AND (q_as_of IS NULL OR p.valid_from <= q_as_of AND (p.valid_to IS NULL OR p.valid_to > q_as_of))"
)
IN_UNIT = "(q_unit_prefix IS NULL OR p.unit_code LIKE q_unit_prefix OR p.admin_code LIKE q_unit_prefix)"

# Candidates by search key: nationally at most q_per_key records of each key and kind, the lowest ids first (the
# key index's order), so a key shared by hundreds of records (和平村) costs no more than a rare one; within a unit
# every record of the keys. Best level first, current first, shorter key, id; q_limit rows.
KEYED = f"""
CREATE FUNCTION gazetteer_keyed(
    q_keys text[], q_kinds text[], q_per_key integer, q_limit integer,
    q_statuses text[], q_unit_prefix text, q_category_prefix text, q_as_of date
) RETURNS TABLE (id bigint, name text, matched_key varchar, matched_kind text)
LANGUAGE plpgsql STABLE ROWS 60 AS $$
#variable_conflict use_column
BEGIN
    IF q_unit_prefix IS NULL THEN
        RETURN QUERY
        SELECT k.place_name_id, k.name, k.key, k.kind
        FROM unnest(q_keys) AS q(key), unnest(q_kinds) AS w(kind), LATERAL
            (SELECT k.place_name_id, k.key, k.kind, p.name, p.level_rank, p.valid_to
             FROM place_key k JOIN place_name p ON p.id = k.place_name_id
             WHERE k.key = q.key COLLATE "C" AND k.kind = w.kind AND {SCOPE}
             ORDER BY k.place_name_id LIMIT q_per_key) AS k
        ORDER BY k.level_rank, (k.valid_to IS NOT NULL), length(k.key), k.place_name_id LIMIT q_limit;
    ELSE
        RETURN QUERY
        SELECT p.id, p.name, k.key, k.kind
        FROM place_key k JOIN place_name p ON p.id = k.place_name_id
        WHERE k.key = ANY(q_keys) AND k.kind = ANY(q_kinds) AND {SCOPE}
            AND (p.unit_code LIKE q_unit_prefix OR p.admin_code LIKE q_unit_prefix)
        ORDER BY p.level_rank, (p.valid_to IS NOT NULL), length(k.key), p.id LIMIT q_limit;
    END IF;
END $$
"""

# The core of a candidate r: its core key, or its name when it has none.
CORE_OF_ROW = "coalesce((SELECT c.key FROM place_key c WHERE c.place_name_id = r.id AND c.kind = 'core'), r.name)"
# A candidate whose core (l.cc) is one edit from the query's core; a one-character core replaced is another name.
TYPO_SCORE = (
    "CASE WHEN levenshtein_less_equal(l.cc, q_core, 1) <= 1"
    " AND (length(q_core) > 1 OR length(l.cc) <> 1 OR l.cc = q_core)"
    " THEN CASE WHEN substr(r.name, length(l.cc) + 1) = q_generic THEN 52 ELSE 50 END END"
)
# Within a unit, the range scan by prefix and the typo scan of the unit's keys have plans that depend on the
# values (a two-letter prefix matches 44,000 keys, a Hanzi one a handful; LIKE on a unit prefix uses an index only
# with its value), so they run as EXECUTE, planned with the values each time (PL/pgSQL, "Executing Dynamic
# Commands"); every other statement of the functions keeps one generic plan per connection.
PREFIX_SCORE = (
    "CASE WHEN r.matched_kind = 'initials' AND length(r.matched_key) - length({key}) <= 2 THEN 78 ELSE 70 END"
)
# Nationally the keys of the range come first and each finds its record (a lateral lookup, so that the generic
# plan never turns to a scan of every record for a short prefix); within a unit the plan depends on the values.
PREFIX = f"""SELECT array_agg(s.id), array_agg(s.score) INTO found_ids, found_scores
    FROM (SELECT r.id, {PREFIX_SCORE.format(key="q_key")} AS score
    FROM (SELECT p.id, p.name, k.key AS matched_key, k.kind AS matched_kind
        FROM (SELECT k.place_name_id, k.key, k.kind FROM place_key k
            WHERE k.key >= q_lo AND k.key < q_hi AND k.kind = ANY(kinds) OFFSET 0) AS k,
        LATERAL (SELECT p.id, p.name, p.level_rank, p.valid_to FROM place_name p
            WHERE p.id = k.place_name_id AND {SCOPE} OFFSET 0) AS p
        ORDER BY p.level_rank, (p.valid_to IS NOT NULL), length(k.key), p.id LIMIT q_fetch) AS r) AS s"""
IN_UNIT_PREFIX = (
    f"SELECT array_agg(s.id), array_agg(s.score) FROM (SELECT r.id, {PREFIX_SCORE.format(key='$8')} AS score"
    " FROM (SELECT p.id, p.name, k.key AS matched_key, k.kind AS matched_kind"
    " FROM place_key k JOIN place_name p ON p.id = k.place_name_id"
    " WHERE k.key >= $1 AND k.key < $2 AND k.kind = ANY($3) AND p.status = ANY($4)"
    " AND (p.unit_code LIKE $5 OR p.admin_code LIKE $5) AND ($6 IS NULL OR p.category LIKE $6)"
    " AND ($7 IS NULL OR p.valid_from <= $7 AND (p.valid_to IS NULL OR p.valid_to > $7))"
    " ORDER BY p.level_rank, (p.valid_to IS NOT NULL), length(k.key), p.id LIMIT $9) AS r) AS s"
)
UNIT_TYPO = (
    "SELECT array_agg(s.id), array_agg(s.score) FROM (SELECT r.id,"
    + TYPO_SCORE.replace("q_core", "$1").replace("q_generic", "$2")
    + " AS score FROM (SELECT p.id, p.name FROM place_name p JOIN place_key k ON k.place_name_id = p.id"
    " WHERE p.status = ANY($3) AND (p.unit_code LIKE $4 OR p.admin_code LIKE $4)"
    " AND ($5 IS NULL OR p.category LIKE $5)"
    " AND ($6 IS NULL OR p.valid_from <= $6 AND (p.valid_to IS NULL OR p.valid_to > $6))"
    " AND k.kind IN ('core', 'exact') AND levenshtein_less_equal(k.key, $1, 1) <= 1"
    " ORDER BY p.level_rank, (p.valid_to IS NOT NULL), length(k.key), p.id LIMIT $7) AS r,"
    " LATERAL (SELECT " + CORE_OF_ROW + " AS cc OFFSET 0) AS l) AS s WHERE s.score IS NOT NULL"
)

UNIT_NAME_AS_OF = (
    "u.status IN ('standard', 'historic') AND (q_as_of IS NULL AND u.valid_to IS NULL"
    " OR u.valid_from <= q_as_of AND (u.valid_to IS NULL OR u.valid_to > q_as_of))"
)
# The 所在政区 chain of a page row: the standard names of its unit code's ancestors and itself (2, 4, 6, 9, 12 digits
# up to the code's significant length), top first, on q_as_of (current when NULL). OFFSET 0: each name is looked up
# once (pulled up, the subquery ran twice, for the filter and for the value).
UNIT_PATH = (
    "(SELECT coalesce(json_agg(json_build_object('code', c.code, 'name', c.name) ORDER BY c.n), '[]')"
    " FROM (SELECT ch.n, rpad(left(pg.unit_code, ch.len), 12, '0') AS code,"
    " (SELECT u.name FROM place_name u WHERE u.admin_code = rpad(left(pg.unit_code, ch.len), 12, '0')"
    f" AND {UNIT_NAME_AS_OF} ORDER BY u.valid_from DESC LIMIT 1) AS name"
    " FROM unnest(ARRAY[2, 4, 6, 9, 12]) WITH ORDINALITY AS ch(len, n)"
    " WHERE ch.len <= (SELECT min(l) FROM unnest(ARRAY[2, 4, 6, 9, 12]) AS l"
    "  WHERE ltrim(substr(pg.unit_code, l + 1), '0') = '') OFFSET 0) AS c WHERE c.name IS NOT NULL)"
)
RANKING = "score DESC, {0}level_rank, ({0}valid_to IS NOT NULL), length({0}name), {0}id"
SCORED = "SELECT array_agg(s.id), array_agg(s.score) INTO found_ids, found_scores FROM (SELECT r.id, {score} AS score"
KEYED_SCOPE = "q_statuses, q_unit_prefix, q_category_prefix, q_as_of"
WITH_CORE = ", LATERAL (SELECT " + CORE_OF_ROW + " AS cc OFFSET 0) AS l"

# The steps (phases), in the order the caller gives them:
#   exact         Hanzi keys q_keys (the query, its simplified form, its core) as exact, statistical, traditional
#                 or core key: 100 the query as a name, 90 as a core, 85 its generic dropped, 60 another generic
#   prefixed      the rest of a query after a written-in prefix of unit names (q_remainder within q_narrow_prefix): 95
#   english       units with the English form q_key: 100
#   generic_read  q_generic_keys (an English generic read as pinyin) as pinyin or official form: 95
#   latin         q_key as pinyin / official (100), their cores (90), initials (80)
#   prefix        Hanzi keys from q_lo to q_hi: 70          latin_prefix  Latin keys: initials ≤ 2 longer 78, else 70
#   typo_generic  (nationally) names one edit from the query's core with its generic, as exact key
#   typo          (nationally) cores one edit from the query's core, as core or exact key
#   unit_typo     (within a unit) the unit's core and exact keys one edit from the query's core, compared directly
# The prefix and typo steps are gated: they run only while fewer records than q_wanted were found, so the first
# one that is not needed ends the search. The typo steps score 52 with the query's generic, 50 otherwise.
SEARCH = f"""
CREATE FUNCTION gazetteer_search(
    q_steps text[], q_statuses text[], q_unit_prefix text, q_category_prefix text, q_as_of date,
    q_wanted integer, q_fetch integer, q_limit integer, q_offset integer, q_unit_code text,
    q_keys text[], q_variants text[], q_core text, q_generic text, q_remainder text, q_narrow_prefix text,
    q_lo text, q_hi text, q_probes text[], q_generic_keys text[], q_key text, q_fuzzy_keys integer,
    q_fuzzy_rows integer
) RETURNS TABLE (
    total bigint, version bigint, unit_known boolean, id bigint, place_id bigint, name text,
    statistical_name text, romanization text, romanization_origin text, category text, unit_code varchar,
    admin_code varchar, status text, valid_from date, valid_to date, level_rank smallint,
    lon double precision, lat double precision, score integer, unit_path json
)
LANGUAGE plpgsql STABLE
SET plan_cache_mode = force_generic_plan
AS $$
#variable_conflict use_column
DECLARE
    step text;
    ids bigint[] := '{{}}';
    scores integer[] := '{{}}';
    found_ids bigint[];
    found_scores integer[];
    near text[];
    kinds text[];
BEGIN
    FOREACH step IN ARRAY q_steps LOOP
        IF step IN ('prefix', 'latin_prefix', 'typo_generic', 'typo', 'unit_typo')
                AND (SELECT count(DISTINCT t.i) FROM unnest(ids) AS t(i)) >= q_wanted THEN
            EXIT;
        END IF;
        found_ids := NULL;
        CASE step
        WHEN 'exact' THEN
            {
    SCORED.format(
        score='''CASE WHEN r.matched_key = ANY(q_variants)
                THEN CASE WHEN r.matched_kind IN ('exact', 'statistical', 'traditional') THEN 100 ELSE 90 END
                WHEN q_generic = '' OR substr(r.name, length('''
        + CORE_OF_ROW
        + ''') + 1) = q_generic THEN 85
                ELSE 60 END'''
    )
}
            FROM gazetteer_keyed(q_keys, '{{exact,statistical,traditional,core}}', q_fetch, q_fetch, {KEYED_SCOPE})
                AS r) AS s;
        WHEN 'prefixed' THEN
            {SCORED.format(score="95")}
            FROM gazetteer_keyed(ARRAY[q_remainder], '{{exact,statistical,traditional,core}}', q_fetch, q_fetch,
                q_statuses, q_narrow_prefix, q_category_prefix, q_as_of) AS r) AS s;
        WHEN 'english' THEN
            {SCORED.format(score="100")}
            FROM (SELECT p.id FROM unit_english_name e JOIN place_name p ON p.admin_code = e.admin_code
                WHERE e.key = q_key COLLATE "C" AND {SCOPE} AND {IN_UNIT}
                ORDER BY p.level_rank, (p.valid_to IS NOT NULL), p.id LIMIT q_fetch) AS r) AS s;
        WHEN 'generic_read' THEN
            {SCORED.format(score="CASE WHEN r.matched_kind IN ('pinyin', 'official') THEN 95 END")}
            FROM gazetteer_keyed(q_generic_keys, '{{pinyin,official,pinyin_core,official_core,initials}}', q_fetch,
                q_fetch, {KEYED_SCOPE}) AS r) AS s WHERE s.score IS NOT NULL;
        WHEN 'latin' THEN
            {
    SCORED.format(
        score='''CASE WHEN r.matched_kind IN ('pinyin', 'official') THEN 100
                WHEN r.matched_kind IN ('pinyin_core', 'official_core') THEN 90 ELSE 80 END'''
    )
}
            FROM gazetteer_keyed(ARRAY[q_key], '{{pinyin,official,pinyin_core,official_core,initials}}', q_fetch,
                4 * q_fetch, {KEYED_SCOPE}) AS r) AS s;
        WHEN 'prefix', 'latin_prefix' THEN
            kinds := CASE step WHEN 'prefix' THEN '{{exact,core,statistical}}'::text[]
                ELSE '{{pinyin,pinyin_core,official,official_core,initials}}'::text[] END;
            IF q_unit_prefix IS NULL THEN
                {PREFIX};
            ELSE
                EXECUTE '{IN_UNIT_PREFIX.replace("'", "''")}' INTO found_ids, found_scores
                USING q_lo, q_hi, kinds, q_statuses, q_unit_prefix, q_category_prefix, q_as_of, q_key, q_fetch;
            END IF;
        WHEN 'typo_generic', 'typo' THEN
            IF near IS NULL THEN
                -- the cores one edit from q_core: the core and its deletions (q_probes), then the distinct cores
                -- having one of them among their deletions, shorter first, then those of the lowest record id
                near := ARRAY(SELECT u.c FROM (SELECT q.c, 0 AS o, q.n FROM unnest(q_probes) WITH ORDINALITY AS q(c, n)
                    UNION ALL SELECT d.core, 1, d.n FROM (SELECT x.core,
                        row_number() OVER (ORDER BY length(x.core), min(x.first_id), x.core) AS n
                        FROM place_core_deletion x WHERE x.deletion = ANY(q_probes)
                        AND levenshtein_less_equal(x.core, q_core, 1) <= 1
                        GROUP BY x.core ORDER BY length(x.core), min(x.first_id), x.core LIMIT q_fuzzy_keys) AS d
                    WHERE d.core <> ALL(q_probes)) AS u ORDER BY u.o, u.n LIMIT q_fuzzy_keys);
            END IF;
            {SCORED.format(score=TYPO_SCORE)}
            FROM gazetteer_keyed(
                CASE step WHEN 'typo' THEN near ELSE ARRAY(SELECT n || q_generic FROM unnest(near) AS n) END,
                CASE step WHEN 'typo' THEN '{{core,exact}}'::text[] ELSE '{{exact}}'::text[] END, q_wanted, q_fetch,
                {KEYED_SCOPE}) AS r{WITH_CORE}) AS s WHERE s.score IS NOT NULL;
        WHEN 'unit_typo' THEN
            EXECUTE '{UNIT_TYPO.replace("'", "''")}' INTO found_ids, found_scores
            USING q_core, q_generic, q_statuses, q_unit_prefix, q_category_prefix, q_as_of, q_fuzzy_rows;
        END CASE;
        ids := ids || found_ids;
        scores := scores || found_scores;
    END LOOP;
    RETURN QUERY
    WITH best AS MATERIALIZED (
        SELECT DISTINCT ON (t.id) t.id, t.score FROM unnest(ids, scores) AS t(id, score) ORDER BY t.id, t.score DESC
    ), page AS MATERIALIZED (
        SELECT p.id, p.place_id, p.name, p.statistical_name, p.romanization, p.romanization_origin, p.category,
            p.unit_code, p.admin_code, p.status, p.valid_from, p.valid_to, p.level_rank,
            ST_X(ST_PointOnSurface(p.public_geom)) AS lon, ST_Y(ST_PointOnSurface(p.public_geom)) AS lat, b.score
        FROM best AS b JOIN place_name p ON p.id = b.id
        ORDER BY b.{RANKING.format("p.")} LIMIT q_limit OFFSET q_offset
    )
    SELECT m.total, m.version, m.unit_known, pg.id, pg.place_id, pg.name, pg.statistical_name, pg.romanization,
        pg.romanization_origin, pg.category, pg.unit_code, pg.admin_code, pg.status, pg.valid_from, pg.valid_to,
        pg.level_rank, pg.lon, pg.lat, pg.score, {UNIT_PATH}
    FROM (SELECT (SELECT count(*) FROM best) AS total,
        (SELECT v.version FROM data_version v WHERE v.context = 'gazetteer') AS version,
        q_unit_code IS NULL OR EXISTS (SELECT 1 FROM place_name u WHERE u.admin_code = q_unit_code
            AND u.status IN ('standard', 'historic') AND u.valid_to IS NULL) AS unit_known) AS m
    LEFT JOIN page AS pg ON true
    ORDER BY pg.{RANKING.format("pg.")};
END $$
"""


def upgrade() -> None:
    op.execute(KEYED)
    op.execute(SEARCH)


def downgrade() -> None:
    op.execute("DROP FUNCTION gazetteer_search")
    op.execute("DROP FUNCTION gazetteer_keyed")
