"""place-name search at national scale: distinct core deletions (place_core_deletion) replace the per-record
deletion keys; the key index is ordered by record id within a key and kind; fuzzystrmatch

Revision ID: 0010
Revises: 0002
Create Date: 2026-11-29
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

KINDS = (
    "'exact', 'core', 'statistical', 'traditional', 'pinyin', 'pinyin_core', 'initials', 'official', 'official_core'"
)


def upgrade() -> None:
    # levenshtein_less_equal: the typo search within a unit compares the unit's keys directly; left by downgrade.
    op.execute("CREATE EXTENSION IF NOT EXISTS fuzzystrmatch")
    op.create_table(
        "place_core_deletion",
        sa.Column("deletion", sa.String(collation="C"), nullable=False),
        sa.Column("core", sa.String(collation="C"), nullable=False),
        sa.Column("first_id", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("deletion", "core", name=op.f("pk_place_core_deletion")),
    )
    # the core of a record: its core key, else (no generic term separates) its exact key
    op.execute(
        "INSERT INTO place_core_deletion (deletion, core, first_id)"
        " SELECT left(key, i - 1) || substr(key, i + 1), key, min(place_name_id)"
        " FROM place_key k, generate_series(1, length(key)) AS i"
        " WHERE length(key) >= 2 AND (kind = 'core' OR kind = 'exact' AND NOT EXISTS"
        " (SELECT 1 FROM place_key c WHERE c.place_name_id = k.place_name_id AND c.kind = 'core')) GROUP BY 1, 2"
    )
    op.execute("DELETE FROM place_key WHERE kind = 'deletion'")
    op.drop_constraint(op.f("ck_place_key_kind"), "place_key", type_="check")
    op.create_check_constraint(op.f("ck_place_key_kind"), "place_key", f"kind IN ({KINDS})")
    op.drop_index("ix_place_key_key", table_name="place_key")
    op.create_index("ix_place_key_key", "place_key", ["key", "kind", "place_name_id"])


def downgrade() -> None:
    op.drop_index("ix_place_key_key", table_name="place_key")
    op.create_index("ix_place_key_key", "place_key", ["key"])
    op.drop_constraint(op.f("ck_place_key_kind"), "place_key", type_="check")
    op.create_check_constraint(op.f("ck_place_key_kind"), "place_key", f"kind IN ({KINDS}, 'deletion')")
    op.execute(
        "INSERT INTO place_key (place_name_id, key, kind) SELECT DISTINCT k.place_name_id, d.deletion, 'deletion'"
        " FROM place_key k JOIN place_core_deletion d ON d.core = k.key WHERE k.kind = 'core' OR k.kind = 'exact'"
        " AND NOT EXISTS (SELECT 1 FROM place_key c WHERE c.place_name_id = k.place_name_id AND c.kind = 'core')"
    )
    op.drop_table("place_core_deletion")
