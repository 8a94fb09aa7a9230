"""facilities: facility registry, population per unit, prohibited-zone layers, road edges (pgRouting)

Revision ID: 0004
Revises: 0001
Create Date: 2026-11-29
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from geoalchemy2 import Geometry

revision: str = "0004"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # pgRouting computes network distances over road_edge; like PostGIS it is left in place by downgrade.
    op.execute("CREATE EXTENSION IF NOT EXISTS pgrouting")
    op.create_geospatial_table(
        "facility",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("cemetery_type", sa.Text(), nullable=True),
        sa.Column("ownership", sa.Text(), nullable=True),
        sa.Column("beds", sa.Integer(), nullable=True),
        sa.Column("nursing_beds", sa.Integer(), nullable=True),
        sa.Column("capacity", sa.Integer(), nullable=True),
        sa.Column("address", sa.Text(), nullable=True),
        sa.Column("operator", sa.Text(), nullable=True),
        sa.Column("status", sa.Text(), server_default=sa.text("'operating'"), nullable=False),
        sa.Column("opened_on", sa.Date(), nullable=True),
        sa.Column("unit_code", sa.String(length=12, collation="C"), nullable=False),
        sa.Column("unit_method", sa.Text(), nullable=False),
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
        sa.Column("source", sa.Text(), nullable=True),
        sa.Column("external_id", sa.Text(), nullable=True),
        sa.Column("illustrative", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("version", sa.Integer(), server_default=sa.text("1"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint(
            "(kind = 'cemetery') = (cemetery_type IS NOT NULL) AND "
            "(cemetery_type IS NULL OR cemetery_type IN ('public_welfare', 'commercial'))",
            name=op.f("ck_facility_cemetery_type"),
        ),
        sa.CheckConstraint(
            "kind IN ('funeral_home', 'cemetery', 'eldercare_institution', "
            "'community_eldercare_site', 'child_welfare')",
            name=op.f("ck_facility_kind"),
        ),
        sa.CheckConstraint(
            "ownership IS NULL OR ownership IN ('public', 'private')", name=op.f("ck_facility_ownership")
        ),
        sa.CheckConstraint(
            "status IN ('planned', 'operating', 'suspended', 'closed')", name=op.f("ck_facility_status")
        ),
        sa.CheckConstraint("unit_code ~ '^[0-9]{12}$'", name=op.f("ck_facility_unit_code_digits")),
        sa.CheckConstraint("unit_method IN ('polygon', 'declared')", name=op.f("ck_facility_unit_method")),
        sa.CheckConstraint("beds IS NULL OR beds >= 0", name=op.f("ck_facility_beds_not_negative")),
        sa.CheckConstraint("capacity IS NULL OR capacity >= 0", name=op.f("ck_facility_capacity_not_negative")),
        sa.CheckConstraint("length(btrim(name)) > 0", name=op.f("ck_facility_name_not_blank")),
        sa.CheckConstraint(
            "nursing_beds IS NULL OR (nursing_beds >= 0 AND nursing_beds <= beds)",
            name=op.f("ck_facility_nursing_beds"),
        ),
        sa.CheckConstraint("version >= 1", name=op.f("ck_facility_version_positive")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_facility")),
        sa.UniqueConstraint("source", "external_id", name=op.f("uq_facility_source_external_id")),
    )
    op.create_geospatial_index(
        "idx_facility_geom", "facility", ["geom"], unique=False, postgresql_using="gist", postgresql_ops={}
    )
    op.create_index(op.f("ix_facility_kind"), "facility", ["kind"], unique=False)
    op.create_index(op.f("ix_facility_unit_code"), "facility", ["unit_code"], unique=False)
    op.create_geospatial_table(
        "prohibited_layer",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("layer", sa.Text(), nullable=False),
        sa.Column("layer_kind", sa.Text(), nullable=False),
        sa.Column("feature_id", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), nullable=True),
        sa.Column("buffer_m", sa.Double(), nullable=False),
        sa.Column(
            "geom",
            Geometry(
                srid=4490,
                dimension=2,
                spatial_index=False,
                from_text="ST_GeomFromEWKT",
                name="geometry",
                nullable=False,
            ),
            nullable=False,
        ),
        sa.CheckConstraint(
            "layer_kind IN ('road', 'railway', 'river', 'reservoir', 'water_source', 'farmland', 'scenic_area')",
            name=op.f("ck_prohibited_layer_layer_kind"),
        ),
        sa.CheckConstraint("ST_IsValid(geom) AND NOT ST_IsEmpty(geom)", name=op.f("ck_prohibited_layer_geom_valid")),
        sa.CheckConstraint("buffer_m >= 0", name=op.f("ck_prohibited_layer_buffer_not_negative")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_prohibited_layer")),
        sa.UniqueConstraint("layer", "feature_id", name=op.f("uq_prohibited_layer_layer_feature_id")),
    )
    op.create_geospatial_index(
        "idx_prohibited_layer_geom",
        "prohibited_layer",
        ["geom"],
        unique=False,
        postgresql_using="gist",
        postgresql_ops={},
    )
    op.create_table(
        "unit_population",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("unit_code", sa.String(length=12, collation="C"), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("total", sa.BigInteger(), nullable=False),
        sa.Column("aged_60_plus", sa.BigInteger(), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.CheckConstraint("unit_code ~ '^[0-9]{12}$'", name=op.f("ck_unit_population_unit_code_digits")),
        sa.CheckConstraint(
            "total >= 0 AND aged_60_plus >= 0 AND aged_60_plus <= total", name=op.f("ck_unit_population_counts")
        ),
        sa.CheckConstraint("year BETWEEN 1949 AND 2100", name=op.f("ck_unit_population_year")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_unit_population")),
        sa.UniqueConstraint("unit_code", "year", name=op.f("uq_unit_population_unit_code_year")),
    )
    op.create_geospatial_table(
        "road_edge",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("layer", sa.Text(), nullable=False),
        sa.Column("feature_id", sa.Text(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("source", sa.BigInteger(), nullable=False),
        sa.Column("target", sa.BigInteger(), nullable=False),
        sa.Column("cost_m", sa.Double(), nullable=False),
        sa.Column(
            "geom",
            Geometry(
                geometry_type="LINESTRING",
                srid=4490,
                dimension=2,
                spatial_index=False,
                from_text="ST_GeomFromEWKT",
                name="geometry",
                nullable=False,
            ),
            nullable=False,
        ),
        sa.CheckConstraint("cost_m >= 0", name=op.f("ck_road_edge_cost_not_negative")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_road_edge")),
        sa.UniqueConstraint("layer", "feature_id", "seq", name=op.f("uq_road_edge_layer_feature_id_seq")),
    )
    op.create_geospatial_index(
        "idx_road_edge_geom", "road_edge", ["geom"], unique=False, postgresql_using="gist", postgresql_ops={}
    )


def downgrade() -> None:
    op.drop_geospatial_index("idx_road_edge_geom", table_name="road_edge", postgresql_using="gist", column_name="geom")
    op.drop_geospatial_table("road_edge")
    op.drop_table("unit_population")
    op.drop_geospatial_index(
        "idx_prohibited_layer_geom", table_name="prohibited_layer", postgresql_using="gist", column_name="geom"
    )
    op.drop_geospatial_table("prohibited_layer")
    op.drop_index(op.f("ix_facility_unit_code"), table_name="facility")
    op.drop_index(op.f("ix_facility_kind"), table_name="facility")
    op.drop_geospatial_index("idx_facility_geom", table_name="facility", postgresql_using="gist", column_name="geom")
    op.drop_geospatial_table("facility")
