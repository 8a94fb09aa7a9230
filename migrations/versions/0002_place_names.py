"""place names: the registry (place_name), its events (name_event) and search keys (place_key)

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from geoalchemy2 import Geometry
from sqlalchemy.dialects import postgresql

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

C_TEXT = sa.String(length=12, collation="C")


def upgrade() -> None:
    # pg_trgm is the baseline the search benchmark compares against; left in place by downgrade.
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    op.create_geospatial_table(
        "place_name",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("place_id", sa.BigInteger(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("statistical_name", sa.Text(), nullable=True),
        sa.Column("romanization", sa.Text(), nullable=True),
        sa.Column("romanization_toned", sa.Text(), nullable=True),
        sa.Column("romanization_origin", sa.Text(), server_default=sa.text("'derived'"), nullable=False),
        sa.Column("category", sa.Text(), nullable=False),
        sa.Column("unit_code", C_TEXT, nullable=True),
        sa.Column("admin_code", C_TEXT, nullable=True),
        sa.Column("level_rank", sa.SmallInteger(), server_default=sa.text("9"), nullable=False),
        sa.Column(
            "geom",
            Geometry(
                geometry_type="GEOMETRY",
                srid=4490,
                dimension=2,
                spatial_index=False,
                from_text="ST_GeomFromEWKT",
                name="geometry",
            ),
            nullable=True,
        ),
        sa.Column("meaning", sa.Text(), nullable=True),
        sa.Column("origin", sa.Text(), nullable=True),
        sa.Column("history", sa.Text(), nullable=True),
        sa.Column("approving_body", sa.Text(), nullable=True),
        sa.Column("document_number", sa.Text(), nullable=True),
        sa.Column("approval_date", sa.Date(), nullable=True),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("secrecy", sa.Text(), server_default=sa.text("'public'"), nullable=False),
        sa.Column("tags", postgresql.ARRAY(sa.Text()), server_default=sa.text("'{}'"), nullable=False),
        sa.Column("version", sa.Integer(), server_default=sa.text("1"), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_to", sa.Date(), nullable=True),
        sa.Column("geom_source", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "status IN ('proposed', 'standard', 'alias', 'historic', 'retired')", name=op.f("ck_place_name_status")
        ),
        sa.CheckConstraint("secrecy IN ('public', 'internal', 'secret')", name=op.f("ck_place_name_secrecy")),
        sa.CheckConstraint(
            "romanization_origin IN ('official', 'derived')", name=op.f("ck_place_name_romanization_origin")
        ),
        sa.CheckConstraint("length(btrim(name)) > 0", name=op.f("ck_place_name_name_not_blank")),
        sa.CheckConstraint(
            "unit_code IS NULL OR unit_code ~ '^[0-9]{12}$'", name=op.f("ck_place_name_unit_code_digits")
        ),
        sa.CheckConstraint(
            "admin_code IS NULL OR admin_code ~ '^[0-9]{12}$'", name=op.f("ck_place_name_admin_code_digits")
        ),
        sa.CheckConstraint("category ~ '^[0-9]{1,4}$'", name=op.f("ck_place_name_category_code")),
        sa.CheckConstraint("valid_to IS NULL OR valid_to > valid_from", name=op.f("ck_place_name_period_order")),
        sa.CheckConstraint("version > 0", name=op.f("ck_place_name_version_positive")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_place_name")),
    )
    op.create_geospatial_index(
        "idx_place_name_geom", "place_name", ["geom"], unique=False, postgresql_using="gist", postgresql_ops={}
    )
    op.create_index(op.f("ix_place_name_place_id"), "place_name", ["place_id"], unique=False)
    op.create_index(op.f("ix_place_name_unit_code"), "place_name", ["unit_code"], unique=False)
    op.create_index(op.f("ix_place_name_admin_code"), "place_name", ["admin_code"], unique=False)
    op.create_table(
        "name_event",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("place_id", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("old_name", sa.Text(), nullable=True),
        sa.Column("new_name", sa.Text(), nullable=True),
        sa.Column("old_code", C_TEXT, nullable=True),
        sa.Column("new_code", C_TEXT, nullable=True),
        sa.Column("approving_body", sa.Text(), nullable=True),
        sa.Column("document_number", sa.Text(), nullable=True),
        sa.Column("approval_date", sa.Date(), nullable=True),
        sa.Column("effective_date", sa.Date(), nullable=False),
        sa.Column("source", sa.Text(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.CheckConstraint("kind IN ('naming', 'renaming', 'retirement', 'recode')", name=op.f("ck_name_event_kind")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_name_event")),
    )
    op.create_index(op.f("ix_name_event_place_id"), "name_event", ["place_id"], unique=False)
    op.create_table(
        "place_key",
        sa.Column("place_name_id", sa.BigInteger(), nullable=False),
        sa.Column("key", sa.String(collation="C"), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.CheckConstraint(
            "kind IN ('exact', 'core', 'statistical', 'traditional', 'pinyin', 'pinyin_core', 'initials',"
            " 'official', 'official_core', 'deletion')",
            name=op.f("ck_place_key_kind"),
        ),
        sa.PrimaryKeyConstraint("place_name_id", "key", "kind", name=op.f("pk_place_key")),
    )
    op.create_index("ix_place_key_key", "place_key", ["key"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_place_key_key", table_name="place_key")
    op.drop_table("place_key")
    op.drop_index(op.f("ix_name_event_place_id"), table_name="name_event")
    op.drop_table("name_event")
    op.drop_index(op.f("ix_place_name_admin_code"), table_name="place_name")
    op.drop_index(op.f("ix_place_name_unit_code"), table_name="place_name")
    op.drop_index(op.f("ix_place_name_place_id"), table_name="place_name")
    op.drop_geospatial_index(
        "idx_place_name_geom", table_name="place_name", postgresql_using="gist", column_name="geom"
    )
    op.drop_geospatial_table("place_name")
