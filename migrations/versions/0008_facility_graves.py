"""facilities: individual graves (散埋乱葬) as a facility kind, for the prohibited-zone check

Revision ID: 0008
Revises: 0004
Create Date: 2026-11-29
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0008"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

KINDS_BEFORE = "'funeral_home', 'cemetery', 'eldercare_institution', 'community_eldercare_site', 'child_welfare'"


def upgrade() -> None:
    op.drop_constraint(op.f("ck_facility_kind"), "facility", type_="check")
    op.create_check_constraint(op.f("ck_facility_kind"), "facility", f"kind IN ({KINDS_BEFORE}, 'grave')")


def downgrade() -> None:
    # graves cannot be kept without their kind: they are removed with it
    op.execute("DELETE FROM facility WHERE kind = 'grave'")
    op.drop_constraint(op.f("ck_facility_kind"), "facility", type_="check")
    op.create_check_constraint(op.f("ck_facility_kind"), "facility", f"kind IN ({KINDS_BEFORE})")
