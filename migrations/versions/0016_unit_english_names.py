"""place names: English forms of units (Ordos City, Ejin Horo Banner ...), alternate names of kind ``english``

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "unit_english_name",
        sa.Column("admin_code", sa.String(length=12, collation="C"), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("key", sa.String(collation="C"), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.CheckConstraint("admin_code ~ '^[0-9]{12}$'", name=op.f("ck_unit_english_name_admin_code_digits")),
        sa.CheckConstraint("length(btrim(name)) > 0", name=op.f("ck_unit_english_name_name_not_blank")),
        sa.PrimaryKeyConstraint("admin_code", "name", name=op.f("pk_unit_english_name")),
    )
    op.create_index(op.f("ix_unit_english_name_key"), "unit_english_name", ["key"])


def downgrade() -> None:
    op.drop_index(op.f("ix_unit_english_name_key"), table_name="unit_english_name")
    op.drop_table("unit_english_name")
