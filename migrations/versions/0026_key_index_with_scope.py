"""the key index carries the keys' scope codes (issue 14): a search within a unit tests a common key's scope in the
index (wlc: 1,381 keys nationally) instead of reading each key's row

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-05
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0026"
down_revision: str | None = "0025"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_index("ix_place_key_key", table_name="place_key")
    op.create_index(
        "ix_place_key_key",
        "place_key",
        ["key", "kind", "place_name_id"],
        postgresql_include=["scope_code", "extra_scope_code"],
    )


def downgrade() -> None:
    op.drop_index("ix_place_key_key", table_name="place_key")
    op.create_index("ix_place_key_key", "place_key", ["key", "kind", "place_name_id"])
