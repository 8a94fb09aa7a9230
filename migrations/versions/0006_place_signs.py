"""place-name signs (地名标志): inventory, printed text, photo (file outside the database), condition

Revision ID: 0006
Revises: 0002
Create Date: 2026-11-29
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from geoalchemy2 import Geometry

revision: str = "0006"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_geospatial_table(
        "place_sign",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("inventory_no", sa.Text(), nullable=False),
        sa.Column("place_name_id", sa.BigInteger(), nullable=False),
        sa.Column("printed_name", sa.Text(), nullable=False),
        sa.Column("printed_romanization", sa.Text(), nullable=True),
        sa.Column("condition", sa.Text(), nullable=False),
        sa.Column("installed_on", sa.Date(), nullable=True),
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
        sa.Column("source_crs", sa.Text(), nullable=False),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("photo_sha256", sa.Text(), nullable=True),
        sa.Column("photo_media_type", sa.Text(), nullable=True),
        sa.Column("photo_size_bytes", sa.BigInteger(), nullable=True),
        sa.Column("photo_path", sa.Text(), nullable=True),
        sa.Column("photo_name", sa.Text(), nullable=True),
        sa.Column("version", sa.Integer(), server_default=sa.text("1"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint(
            "condition IN ('good', 'faded', 'damaged', 'missing')", name=op.f("ck_place_sign_condition")
        ),
        sa.CheckConstraint("length(btrim(inventory_no)) > 0", name=op.f("ck_place_sign_inventory_no_not_blank")),
        sa.CheckConstraint("length(btrim(printed_name)) > 0", name=op.f("ck_place_sign_printed_name_not_blank")),
        sa.CheckConstraint("(photo_sha256 IS NULL) = (photo_path IS NULL)", name=op.f("ck_place_sign_photo_complete")),
        sa.CheckConstraint("version > 0", name=op.f("ck_place_sign_version_positive")),
        sa.ForeignKeyConstraint(
            ["place_name_id"], ["place_name.id"], name=op.f("fk_place_sign_place_name_id_place_name")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_place_sign")),
        sa.UniqueConstraint("inventory_no", name=op.f("uq_place_sign_inventory_no")),
    )
    op.create_geospatial_index(
        "idx_place_sign_geom", "place_sign", ["geom"], unique=False, postgresql_using="gist", postgresql_ops={}
    )
    op.create_index(op.f("ix_place_sign_place_name_id"), "place_sign", ["place_name_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_place_sign_place_name_id"), table_name="place_sign")
    op.drop_geospatial_index(
        "idx_place_sign_geom", table_name="place_sign", postgresql_using="gist", column_name="geom"
    )
    op.drop_geospatial_table("place_sign")
