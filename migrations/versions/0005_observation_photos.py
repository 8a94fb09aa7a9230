"""photos of inspection observations (files outside the database, SHA-256 recorded)

Revision ID: 0005
Revises: 0003
Create Date: 2026-11-29
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "observation_photo",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("observation_id", sa.BigInteger(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("media_type", sa.Text(), nullable=False),
        sa.Column("size_bytes", sa.BigInteger(), nullable=False),
        sa.Column("sha256", sa.Text(), nullable=False),
        sa.Column("path", sa.Text(), nullable=False),
        sa.Column("original_name", sa.Text(), server_default="", nullable=False),
        sa.Column("uploaded_by", sa.Text(), nullable=False),
        sa.Column("uploaded_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("media_type IN ('image/jpeg', 'image/png')", name=op.f("ck_observation_photo_media_type")),
        sa.CheckConstraint("seq BETWEEN 1 AND 20", name=op.f("ck_observation_photo_seq_range")),
        sa.ForeignKeyConstraint(
            ["observation_id"],
            ["inspection_observation.id"],
            name=op.f("fk_observation_photo_observation_id_inspection_observation"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_observation_photo")),
        sa.UniqueConstraint("observation_id", "seq", name=op.f("uq_observation_photo_observation_id_seq")),
    )
    op.create_index(op.f("ix_observation_photo_observation_id"), "observation_photo", ["observation_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_observation_photo_observation_id"), table_name="observation_photo")
    op.drop_table("observation_photo")
