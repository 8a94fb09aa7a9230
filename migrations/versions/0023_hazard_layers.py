"""imported hazard layers (issue 17, point 2): named polygon layers with a kind and their polygons, with their
data_version triggers (context boundaries)

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import geoalchemy2
import sqlalchemy as sa
from alembic import op

revision: str = "0023"
down_revision: str | None = "0022"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("hazard_layer", "hazard_area")


def upgrade() -> None:
    op.create_table(
        "hazard_layer",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("file_name", sa.Text(), nullable=False),
        sa.Column("checksum", sa.Text(), nullable=False),
        sa.Column("source_crs", sa.Text(), nullable=False),
        sa.Column("imported_by", sa.Text(), nullable=False),
        sa.Column("imported_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("kind IN ('mining', 'construction_permit', 'other')", name=op.f("ck_hazard_layer_kind")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_hazard_layer")),
        sa.UniqueConstraint("name", name=op.f("uq_hazard_layer_name")),
    )
    op.create_table(
        "hazard_area",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("layer_id", sa.BigInteger(), nullable=False),
        sa.Column("feature", sa.Integer(), nullable=False),
        sa.Column("label", sa.Text(), nullable=False),
        sa.Column("area_m2", sa.Float(), nullable=False),
        sa.Column(
            "geom",
            geoalchemy2.types.Geometry(geometry_type="MULTIPOLYGON", srid=4490, spatial_index=False),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["layer_id"], ["hazard_layer.id"], name=op.f("fk_hazard_area_layer_id_hazard_layer"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_hazard_area")),
    )
    op.create_index(op.f("ix_hazard_area_layer_id"), "hazard_area", ["layer_id"])
    op.create_index("idx_hazard_area_geom", "hazard_area", ["geom"], postgresql_using="gist")
    # Both tables belong to the boundaries context (migration 0019's pattern): a trigger per table.
    for table in TABLES:
        op.execute(
            f"CREATE TRIGGER data_version_{table} AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {table}"
            " FOR EACH STATEMENT EXECUTE FUNCTION note_data_change('boundaries')"
        )


def downgrade() -> None:
    for table in TABLES:
        op.execute(f"DROP TRIGGER data_version_{table} ON {table}")
    op.drop_index("idx_hazard_area_geom", table_name="hazard_area", postgresql_using="gist")
    op.drop_index(op.f("ix_hazard_area_layer_id"), table_name="hazard_area")
    op.drop_table("hazard_area")
    op.drop_table("hazard_layer")
