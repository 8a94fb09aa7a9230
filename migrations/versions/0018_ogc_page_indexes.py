"""boundaries: indexes in the key order of the OGC collections' pages (units of a level, polygons of a source by id),
so that a first page is read from an index instead of sorting the whole level

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_admin_unit_level_id", "admin_unit", ["level", "id"], postgresql_where=sa.text("NOT is_grouping")
    )
    op.create_index("ix_unit_polygon_source_id", "unit_polygon", ["source", "id"])


def downgrade() -> None:
    op.drop_index("ix_unit_polygon_source_id", table_name="unit_polygon")
    op.drop_index("ix_admin_unit_level_id", table_name="admin_unit")
