"""place names: proposals to lower a record's secrecy (two-person rule: one proposes, another approves)

Revision ID: 0013
Revises: 0011
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "place_secrecy_proposal",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("place_name_id", sa.BigInteger(), nullable=False),
        sa.Column("from_secrecy", sa.Text(), nullable=False),
        sa.Column("to_secrecy", sa.Text(), nullable=False),
        sa.Column("record_version", sa.Integer(), nullable=False),
        sa.Column("status", sa.Text(), server_default=sa.text("'pending'"), nullable=False),
        sa.Column("proposed_by", sa.Text(), nullable=False),
        sa.Column("proposed_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("decided_by", sa.Text(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "status IN ('pending', 'approved', 'rejected')", name=op.f("ck_place_secrecy_proposal_status")
        ),
        sa.CheckConstraint(
            "from_secrecy IN ('public', 'internal', 'secret')", name=op.f("ck_place_secrecy_proposal_from_secrecy")
        ),
        sa.CheckConstraint(
            "to_secrecy IN ('public', 'internal', 'secret')", name=op.f("ck_place_secrecy_proposal_to_secrecy")
        ),
        sa.CheckConstraint(
            "(status = 'pending') = (decided_by IS NULL AND decided_at IS NULL)",
            name=op.f("ck_place_secrecy_proposal_decided"),
        ),
        sa.CheckConstraint(
            "decided_by IS NULL OR decided_by <> proposed_by", name=op.f("ck_place_secrecy_proposal_two_persons")
        ),
        sa.ForeignKeyConstraint(
            ["place_name_id"], ["place_name.id"], name=op.f("fk_place_secrecy_proposal_place_name_id_place_name")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_place_secrecy_proposal")),
    )
    op.create_index(
        op.f("ix_place_secrecy_proposal_place_name_id"), "place_secrecy_proposal", ["place_name_id"], unique=False
    )
    op.create_index(
        "uq_place_secrecy_proposal_pending",
        "place_secrecy_proposal",
        ["place_name_id"],
        unique=True,
        postgresql_where=sa.text("status = 'pending'"),
    )


def downgrade() -> None:
    op.drop_index(
        "uq_place_secrecy_proposal_pending",
        table_name="place_secrecy_proposal",
        postgresql_where=sa.text("status = 'pending'"),
    )
    op.drop_index(op.f("ix_place_secrecy_proposal_place_name_id"), table_name="place_secrecy_proposal")
    op.drop_table("place_secrecy_proposal")
