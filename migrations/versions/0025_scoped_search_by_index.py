"""scoped search by index (issue 14): each search key carries the code a search within a unit matches its record by
(kept by triggers), indexed by kind, code and key, so that a search within a unit reads the unit's keys from an
index instead of a place_name row for every key of the country (key lookups, prefix) or every record of the unit

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-05
"""

# ruff: noqa: S608  (the functions' SQL is composed from this module's and 0024's constants; values are arguments)
import importlib
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0025"
down_revision: str | None = "0024"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_0024 = importlib.import_module("migrations.versions.0024_search_function")

# A record is within the unit of code prefix P when its unit code or its admin code starts with P. Its keys carry
# scope_code, the admin code (else the unit code), and extra_scope_code, the unit code when the admin code does not
# descend from it (else NULL): for a record whose admin code starts with its unit code's significant digits S, the
# unit code starting with P (significant: its last level's digits not all zero) means P is S or S's ancestor, so the
# admin code starts with P too. So: within P when scope_code or extra_scope_code starts with P.
KEY_IN_UNIT = "(k.scope_code LIKE {0} OR k.extra_scope_code LIKE {0})"
SIGNIFICANT = (
    "left({0}, (SELECT min(l) FROM unnest(ARRAY[2, 4, 6, 9, 12]) AS l WHERE ltrim(substr({0}, l + 1), '0') = ''))"
)

# The scope codes of a new key are its record's; a record whose codes change passes them on to its keys.
TRIGGERS = f"""
CREATE FUNCTION place_scope_codes(unit_code text, admin_code text, OUT scope_code text, OUT extra_scope_code text)
LANGUAGE sql IMMUTABLE AS $$
    SELECT coalesce(admin_code, unit_code), CASE WHEN admin_code NOT LIKE {SIGNIFICANT.format("unit_code")} || '%'
        THEN unit_code END
$$;
CREATE FUNCTION place_key_codes() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    SELECT c.scope_code, c.extra_scope_code INTO NEW.scope_code, NEW.extra_scope_code
    FROM place_name p, place_scope_codes(p.unit_code, p.admin_code) AS c WHERE p.id = NEW.place_name_id;
    RETURN NEW;
END $$;
CREATE TRIGGER place_key_codes BEFORE INSERT OR UPDATE OF place_name_id ON place_key
    FOR EACH ROW EXECUTE FUNCTION place_key_codes();
CREATE FUNCTION place_name_key_codes() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE place_key k SET scope_code = c.scope_code, extra_scope_code = c.extra_scope_code
    FROM place_scope_codes(NEW.unit_code, NEW.admin_code) AS c WHERE k.place_name_id = NEW.id;
    RETURN NULL;
END $$;
CREATE TRIGGER place_name_key_codes AFTER UPDATE OF unit_code, admin_code ON place_name FOR EACH ROW
    WHEN (OLD.unit_code IS DISTINCT FROM NEW.unit_code OR OLD.admin_code IS DISTINCT FROM NEW.admin_code)
    EXECUTE FUNCTION place_name_key_codes();
"""

# Within a unit, the keys of the prefix range / typo candidates come from the unit's code range of the two indexes
# (a key in the unit by its scope code, then one in it by its extra scope code only), with the record's
# place_name row read for the keys in the unit only. EXECUTE: planned with the values (LIKE on a prefix uses an
# index only with its value).
UNIT_KEYS = (
    "(SELECT k.place_name_id, k.key, k.kind FROM place_key k WHERE k.scope_code LIKE {unit} AND {match}"
    " UNION ALL SELECT k.place_name_id, k.key, k.kind FROM place_key k WHERE k.extra_scope_code LIKE {unit}"
    " AND k.scope_code NOT LIKE {unit} AND {match})"
)
IN_UNIT_PREFIX = (
    f"SELECT array_agg(s.id), array_agg(s.score) FROM (SELECT r.id, {_0024.PREFIX_SCORE.format(key='$8')} AS score"
    " FROM (SELECT p.id, p.name, k.key AS matched_key, k.kind AS matched_kind FROM "
    + UNIT_KEYS.format(unit="$5", match="k.key >= $1 AND k.key < $2 AND k.kind = ANY($3)")
    + " AS k JOIN place_name p ON p.id = k.place_name_id WHERE p.status = ANY($4)"
    " AND ($6 IS NULL OR p.category LIKE $6)"
    " AND ($7 IS NULL OR p.valid_from <= $7 AND (p.valid_to IS NULL OR p.valid_to > $7))"
    " ORDER BY p.level_rank, (p.valid_to IS NOT NULL), length(k.key), p.id LIMIT $9) AS r) AS s"
)
# A key one edit from the query's core c starts with c's first character, or (the edit at the first character)
# is c without it, or equals c or c without its first character after its own first: that cheap test comes first
# (CASE: the planner would order the distance first).
TYPO_MATCH = (
    "k.kind IN ('core', 'exact') AND CASE WHEN left(k.key, 1) = left($1, 1) OR k.key = substr($1, 2)"
    " OR substr(k.key, 2) IN ($1, substr($1, 2)) THEN levenshtein_less_equal(k.key, $1, 1) <= 1 ELSE false END"
)
UNIT_TYPO = (
    "SELECT array_agg(s.id), array_agg(s.score) FROM (SELECT r.id,"
    + _0024.TYPO_SCORE.replace("q_core", "$1").replace("q_generic", "$2")
    + " AS score FROM (SELECT p.id, p.name FROM "
    + UNIT_KEYS.format(unit="$4", match=TYPO_MATCH)
    + " AS k JOIN place_name p ON p.id = k.place_name_id WHERE p.status = ANY($3)"
    " AND ($5 IS NULL OR p.category LIKE $5)"
    " AND ($6 IS NULL OR p.valid_from <= $6 AND (p.valid_to IS NULL OR p.valid_to > $6))"
    " ORDER BY p.level_rank, (p.valid_to IS NOT NULL), length(k.key), p.id LIMIT $7) AS r,"
    " LATERAL (SELECT " + _0024.CORE_OF_ROW + " AS cc OFFSET 0) AS l) AS s WHERE s.score IS NOT NULL"
)


def _replaced(sql: str, old: str, new: str) -> str:
    assert sql.count(old) == 1, old  # noqa: S101  (0024's text is frozen: a miss is a mistake here)
    return sql.replace(old, new)


def _quoted(sql: str) -> str:
    return sql.replace("'", "''")


# The key lookups within a unit filter the keys by their own codes before reading their records.
KEYED = _replaced(
    _0024.KEYED.replace("CREATE FUNCTION", "CREATE OR REPLACE FUNCTION"),
    "AND (p.unit_code LIKE q_unit_prefix OR p.admin_code LIKE q_unit_prefix)",
    "AND " + KEY_IN_UNIT.format("q_unit_prefix"),
)
# No parallel plans: the statements read a few index pages each, and a typo scan whose filter the planner cannot
# estimate (thousands of rows expected, a handful found) was given two workers, 27 ms to start them.
SEARCH = _replaced(
    _replaced(
        _replaced(
            _0024.SEARCH.replace("CREATE FUNCTION", "CREATE OR REPLACE FUNCTION"),
            "SET plan_cache_mode = force_generic_plan",
            "SET plan_cache_mode = force_generic_plan SET max_parallel_workers_per_gather = 0",
        ),
        _quoted(_0024.IN_UNIT_PREFIX),
        _quoted(IN_UNIT_PREFIX),
    ),
    _quoted(_0024.UNIT_TYPO),
    _quoted(UNIT_TYPO),
)


def upgrade() -> None:
    op.add_column("place_key", sa.Column("scope_code", sa.String(12, collation="C"), nullable=True))
    op.add_column("place_key", sa.Column("extra_scope_code", sa.String(12, collation="C"), nullable=True))
    op.execute(TRIGGERS)
    op.execute(
        "UPDATE place_key k SET scope_code = c.scope_code, extra_scope_code = c.extra_scope_code"
        " FROM place_name p, place_scope_codes(p.unit_code, p.admin_code) AS c"
        " WHERE p.id = k.place_name_id AND c.scope_code IS NOT NULL"
    )
    op.create_index(
        "ix_place_key_scope", "place_key", ["kind", "scope_code", "key"], postgresql_include=["place_name_id"]
    )
    op.create_index(
        "ix_place_key_extra_scope",
        "place_key",
        ["kind", "extra_scope_code", "key"],
        postgresql_include=["scope_code", "place_name_id"],
        postgresql_where=sa.text("extra_scope_code IS NOT NULL"),
    )
    op.execute(KEYED)
    op.execute(SEARCH)


def downgrade() -> None:
    op.execute(_0024.KEYED.replace("CREATE FUNCTION", "CREATE OR REPLACE FUNCTION"))
    op.execute(_0024.SEARCH.replace("CREATE FUNCTION", "CREATE OR REPLACE FUNCTION"))
    op.execute("DROP TRIGGER place_name_key_codes ON place_name")
    op.execute("DROP TRIGGER place_key_codes ON place_key")
    op.execute("DROP FUNCTION place_name_key_codes")
    op.execute("DROP FUNCTION place_key_codes")
    op.execute("DROP FUNCTION place_scope_codes")
    op.drop_index("ix_place_key_extra_scope", table_name="place_key")
    op.drop_index("ix_place_key_scope", table_name="place_key")
    op.drop_column("place_key", "extra_scope_code")
    op.drop_column("place_key", "scope_code")
