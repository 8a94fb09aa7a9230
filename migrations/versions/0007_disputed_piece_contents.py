"""the places and facilities found inside each disputed piece, stored with the comparison

Revision ID: 0007
Revises: 0005
Create Date: 2026-11-29
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0007"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("disputed_piece", sa.Column("places", postgresql.JSONB(astext_type=sa.Text()), nullable=True))
    op.add_column("disputed_piece", sa.Column("facilities", postgresql.JSONB(astext_type=sa.Text()), nullable=True))


def downgrade() -> None:
    op.drop_column("disputed_piece", "facilities")
    op.drop_column("disputed_piece", "places")
