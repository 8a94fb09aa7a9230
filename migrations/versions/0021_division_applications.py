"""division-change applications (issue 17, point 1): applications and the units they propose, with their
data_version triggers (context divisions)

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import geoalchemy2
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0021"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("division_application", "division_proposed_unit")


def upgrade() -> None:
    op.create_table(
        "division_application",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("county_code", sa.String(length=12, collation="C"), nullable=False),
        sa.Column("touched_codes", postgresql.ARRAY(sa.Text()), nullable=False),
        sa.Column("effective_date", sa.Date(), nullable=False),
        sa.Column("status", sa.Text(), server_default="draft", nullable=False),
        sa.Column("documents", postgresql.JSONB(astext_type=sa.Text()), server_default="[]", nullable=False),
        sa.Column("relaxation_ground", sa.Text(), nullable=True),
        sa.Column("note", sa.Text(), server_default="", nullable=False),
        sa.Column("approved_by", sa.Text(), nullable=True),
        sa.Column("approving_body", sa.Text(), nullable=True),
        sa.Column("document_number", sa.Text(), nullable=True),
        sa.Column("approval_date", sa.Date(), nullable=True),
        sa.Column("applied_by", sa.Text(), nullable=True),
        sa.Column("applied_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("result", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("created_by", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("version", sa.BigInteger(), server_default="1", nullable=False),
        sa.CheckConstraint(
            "kind IN ('set_up', 'rename', 'merge', 'split', 'upgrade', 'abolish')",
            name=op.f("ck_division_application_kind"),
        ),
        sa.CheckConstraint(
            "status IN ('draft', 'submitted', 'approved', 'applied', 'withdrawn')",
            name=op.f("ck_division_application_status"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_division_application")),
    )
    op.create_index(op.f("ix_division_application_county_code"), "division_application", ["county_code"])
    op.create_table(
        "division_proposed_unit",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("application_id", sa.BigInteger(), nullable=False),
        sa.Column("position", sa.SmallInteger(), nullable=False),
        sa.Column("code", sa.String(length=12, collation="C"), nullable=False),
        sa.Column("code_kept", sa.Boolean(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("seat", sa.Text(), nullable=True),
        sa.Column("figures", postgresql.JSONB(astext_type=sa.Text()), server_default="{}", nullable=False),
        sa.Column("villages", postgresql.ARRAY(sa.Text()), server_default="{}", nullable=False),
        sa.Column(
            "geom",
            geoalchemy2.types.Geometry(geometry_type="MULTIPOLYGON", srid=4490, spatial_index=False),
            nullable=True,
        ),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["division_application.id"],
            name=op.f("fk_division_proposed_unit_application_id_division_application"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_division_proposed_unit")),
        sa.UniqueConstraint(
            "application_id", "position", name=op.f("uq_division_proposed_unit_application_id_position")
        ),
    )
    # The data version of the new context (migration 0019's pattern): a row, and a trigger per table.
    op.execute("INSERT INTO data_version (context) VALUES ('divisions')")
    for table in TABLES:
        op.execute(
            f"CREATE TRIGGER data_version_{table} AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {table}"
            " FOR EACH STATEMENT EXECUTE FUNCTION note_data_change('divisions')"
        )


def downgrade() -> None:
    for table in TABLES:
        op.execute(f"DROP TRIGGER data_version_{table} ON {table}")
    op.execute("DELETE FROM data_version WHERE context = 'divisions'")
    op.drop_table("division_proposed_unit")
    op.drop_index(op.f("ix_division_application_county_code"), table_name="division_application")
    op.drop_table("division_application")
