"""foundation schema

Revision ID: 0001
Revises:
Create Date: 2026-11-29
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from geoalchemy2 import Geometry
from sqlalchemy.dialects import postgresql

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Extensions are left in place by downgrade: other databases objects may depend on them.
    op.execute("CREATE EXTENSION IF NOT EXISTS postgis")
    op.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")
    op.create_table(
        "admin_unit",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("code", sa.String(length=12, collation="C"), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("level", sa.Text(), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("is_grouping", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("parent_code", sa.String(length=12, collation="C"), nullable=True),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_to", sa.Date(), nullable=True),
        sa.Column(
            "period",
            postgresql.DATERANGE(),
            sa.Computed("daterange(valid_from, valid_to, '[)')", persisted=True),
            nullable=True,
        ),
        postgresql.ExcludeConstraint(
            (sa.cast(sa.column("code"), sa.BigInteger()), "="),
            (sa.column("period"), "&&"),
            using="gist",
            name="ex_admin_unit_code_period",
        ),
        sa.CheckConstraint("code ~ '^[0-9]{12}$'", name=op.f("ck_admin_unit_code_digits")),
        sa.CheckConstraint(
            "level IN ('province', 'city', 'county', 'township', 'village')", name=op.f("ck_admin_unit_level")
        ),
        sa.CheckConstraint(
            "parent_code IS NULL OR parent_code ~ '^[0-9]{12}$'",
            name=op.f("ck_admin_unit_parent_code_digits"),
        ),
        sa.CheckConstraint("length(btrim(name)) > 0", name=op.f("ck_admin_unit_name_not_blank")),
        sa.CheckConstraint("valid_to IS NULL OR valid_to > valid_from", name=op.f("ck_admin_unit_period_order")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_admin_unit")),
        sa.UniqueConstraint("code", "valid_from", name=op.f("uq_admin_unit_code_valid_from")),
    )
    op.create_index(op.f("ix_admin_unit_parent_code"), "admin_unit", ["parent_code"], unique=False)
    op.create_table(
        "api_user",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("role", sa.Text(), nullable=False),
        sa.Column("key_hash", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("role IN ('editor', 'approver', 'inspector', 'admin')", name=op.f("ck_api_user_role")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_user")),
        sa.UniqueConstraint("key_hash", name=op.f("uq_api_user_key_hash")),
        sa.UniqueConstraint("name", name=op.f("uq_api_user_name")),
    )
    op.create_table(
        "audit_log",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("actor", sa.Text(), nullable=False),
        sa.Column("action", sa.Text(), nullable=False),
        sa.Column("object_type", sa.Text(), nullable=False),
        sa.Column("object_id", sa.Text(), nullable=True),
        sa.Column("before", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("after", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log")),
    )
    op.create_index(op.f("ix_audit_log_at"), "audit_log", ["at"], unique=False)
    op.create_geospatial_table(
        "reference_point",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("external_id", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("category", sa.Text(), nullable=True),
        sa.Column("unit_code", sa.String(length=12, collation="C"), nullable=True),
        sa.Column("unit_level", sa.Text(), nullable=True),
        sa.Column(
            "geom",
            Geometry(
                geometry_type="POINT",
                srid=4490,
                dimension=2,
                spatial_index=False,
                from_text="ST_GeomFromEWKT",
                name="geometry",
                nullable=False,
            ),
            nullable=False,
        ),
        sa.Column("properties", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.CheckConstraint(
            "unit_code IS NULL OR unit_code ~ '^[0-9]{12}$'", name=op.f("ck_reference_point_unit_code_digits")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reference_point")),
        sa.UniqueConstraint("source", "external_id", name=op.f("uq_reference_point_source_external_id")),
    )
    op.create_geospatial_index(
        "idx_reference_point_geom",
        "reference_point",
        ["geom"],
        unique=False,
        postgresql_using="gist",
        postgresql_ops={},
    )
    op.create_index(op.f("ix_reference_point_name"), "reference_point", ["name"], unique=False)
    op.create_index(op.f("ix_reference_point_unit_code"), "reference_point", ["unit_code"], unique=False)
    op.create_geospatial_table(
        "unit_polygon",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("unit_code", sa.String(length=12, collation="C"), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column(
            "geom",
            Geometry(
                geometry_type="MULTIPOLYGON",
                srid=4490,
                dimension=2,
                spatial_index=False,
                from_text="ST_GeomFromEWKT",
                name="geometry",
                nullable=False,
            ),
            nullable=False,
        ),
        sa.Column(
            "original_geom",
            Geometry(srid=4490, dimension=2, spatial_index=False, from_text="ST_GeomFromEWKT", name="geometry"),
            nullable=True,
        ),
        sa.Column("repair_note", sa.Text(), nullable=True),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_to", sa.Date(), nullable=True),
        sa.Column(
            "period",
            postgresql.DATERANGE(),
            sa.Computed("daterange(valid_from, valid_to, '[)')", persisted=True),
            nullable=True,
        ),
        sa.Column("imported_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        postgresql.ExcludeConstraint(
            (sa.cast(sa.column("unit_code"), sa.BigInteger()), "="),
            (sa.column("period"), "&&"),
            where=sa.text("status = 'registered'"),
            using="gist",
            name="ex_unit_polygon_registered_period",
        ),
        sa.CheckConstraint(
            "status IN ('registered', 'reference', 'claimed', 'draft')", name=op.f("ck_unit_polygon_status")
        ),
        sa.CheckConstraint("unit_code ~ '^[0-9]{12}$'", name=op.f("ck_unit_polygon_unit_code_digits")),
        sa.CheckConstraint("ST_IsValid(geom) AND NOT ST_IsEmpty(geom)", name=op.f("ck_unit_polygon_geom_valid")),
        sa.CheckConstraint("valid_to IS NULL OR valid_to > valid_from", name=op.f("ck_unit_polygon_period_order")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_unit_polygon")),
        sa.UniqueConstraint(
            "unit_code", "source", "valid_from", name=op.f("uq_unit_polygon_unit_code_source_valid_from")
        ),
    )
    op.create_geospatial_index(
        "idx_unit_polygon_geom",
        "unit_polygon",
        ["geom"],
        unique=False,
        postgresql_using="gist",
        postgresql_ops={},
    )
    op.create_index(op.f("ix_unit_polygon_unit_code"), "unit_polygon", ["unit_code"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_unit_polygon_unit_code"), table_name="unit_polygon")
    op.drop_geospatial_index(
        "idx_unit_polygon_geom", table_name="unit_polygon", postgresql_using="gist", column_name="geom"
    )
    op.drop_geospatial_table("unit_polygon")
    op.drop_index(op.f("ix_reference_point_unit_code"), table_name="reference_point")
    op.drop_index(op.f("ix_reference_point_name"), table_name="reference_point")
    op.drop_geospatial_index(
        "idx_reference_point_geom", table_name="reference_point", postgresql_using="gist", column_name="geom"
    )
    op.drop_geospatial_table("reference_point")
    op.drop_index(op.f("ix_audit_log_at"), table_name="audit_log")
    op.drop_table("audit_log")
    op.drop_table("api_user")
    op.drop_index(op.f("ix_admin_unit_parent_code"), table_name="admin_unit")
    op.drop_table("admin_unit")
