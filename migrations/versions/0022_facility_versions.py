"""facilities: dated versions (facility_version, like admin_unit's valid_from/valid_to) and the closing date; each
facility's present attributes become its first version, from its opening date

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0022"
down_revision: str | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

VERSIONED = "name, cemetery_type, ownership, beds, nursing_beds, capacity, infirmary, medical_contract, status"


def upgrade() -> None:
    op.add_column("facility", sa.Column("closed_on", sa.Date(), nullable=True))
    op.create_check_constraint(
        op.f("ck_facility_closed_after_opened"),
        "facility",
        "closed_on IS NULL OR opened_on IS NULL OR closed_on > opened_on",
    )
    op.create_table(
        "facility_version",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("facility_id", sa.BigInteger(), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=True),
        sa.Column("valid_to", sa.Date(), nullable=True),
        sa.Column(
            "period",
            postgresql.DATERANGE(),
            sa.Computed("daterange(valid_from, valid_to, '[)')", persisted=True),
            nullable=True,
        ),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("cemetery_type", sa.Text(), nullable=True),
        sa.Column("ownership", sa.Text(), nullable=True),
        sa.Column("beds", sa.Integer(), nullable=True),
        sa.Column("nursing_beds", sa.Integer(), nullable=True),
        sa.Column("capacity", sa.Integer(), nullable=True),
        sa.Column("infirmary", sa.Boolean(), nullable=True),
        sa.Column("medical_contract", sa.Boolean(), nullable=True),
        sa.Column("status", sa.Text(), nullable=False),
        postgresql.ExcludeConstraint(
            (sa.column("facility_id"), "="),
            (sa.column("period"), "&&"),
            using="gist",
            name="ex_facility_version_period",
        ),
        sa.CheckConstraint(
            "status IN ('planned', 'operating', 'suspended', 'closed')", name=op.f("ck_facility_version_status")
        ),
        sa.CheckConstraint(
            "valid_to IS NULL OR valid_from IS NULL OR valid_to > valid_from",
            name=op.f("ck_facility_version_period_order"),
        ),
        sa.CheckConstraint("beds IS NULL OR beds >= 0", name=op.f("ck_facility_version_beds_not_negative")),
        sa.CheckConstraint(
            "nursing_beds IS NULL OR (nursing_beds >= 0 AND nursing_beds <= beds)",
            name=op.f("ck_facility_version_nursing_beds"),
        ),
        sa.CheckConstraint("capacity IS NULL OR capacity >= 0", name=op.f("ck_facility_version_capacity_not_negative")),
        sa.CheckConstraint("length(btrim(name)) > 0", name=op.f("ck_facility_version_name_not_blank")),
        sa.ForeignKeyConstraint(
            ["facility_id"],
            ["facility.id"],
            name=op.f("fk_facility_version_facility_id_facility"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_facility_version")),
        sa.UniqueConstraint("facility_id", "valid_from", name=op.f("uq_facility_version_facility_id_valid_from")),
    )
    op.create_index(op.f("ix_facility_version_facility_id"), "facility_version", ["facility_id"], unique=False)
    op.execute(
        f"INSERT INTO facility_version (facility_id, valid_from, {VERSIONED})"  # noqa: S608 (constant columns)
        f" SELECT id, opened_on, {VERSIONED} FROM facility"
    )
    # Every context table bumps its context's data version (migration 0019).
    op.execute(
        "CREATE TRIGGER data_version_facility_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE"
        " ON facility_version FOR EACH STATEMENT EXECUTE FUNCTION note_data_change('facilities')"
    )


def downgrade() -> None:
    op.execute("DROP TRIGGER data_version_facility_version ON facility_version")
    op.drop_index(op.f("ix_facility_version_facility_id"), table_name="facility_version")
    op.drop_table("facility_version")
    op.drop_constraint(op.f("ck_facility_closed_after_opened"), "facility", type_="check")
    op.drop_column("facility", "closed_on")
