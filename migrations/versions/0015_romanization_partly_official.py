"""place names: romanization origin ``partly_official`` (only some parts of the name have an official form)

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-04
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_constraint(op.f("ck_place_name_romanization_origin"), "place_name", type_="check")
    op.create_check_constraint(
        op.f("ck_place_name_romanization_origin"),
        "place_name",
        "romanization_origin IN ('official', 'partly_official', 'derived')",
    )


def downgrade() -> None:
    op.execute("UPDATE place_name SET romanization_origin = 'derived' WHERE romanization_origin = 'partly_official'")
    op.drop_constraint(op.f("ck_place_name_romanization_origin"), "place_name", type_="check")
    op.create_check_constraint(
        op.f("ck_place_name_romanization_origin"), "place_name", "romanization_origin IN ('official', 'derived')"
    )
