"""dispute cases: the disputed pieces of the linked comparison a case is about

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "dispute_case",
        sa.Column("piece_ids", postgresql.ARRAY(sa.BigInteger()), server_default="{}", nullable=False),
    )


def downgrade() -> None:
    op.drop_column("dispute_case", "piece_ids")
