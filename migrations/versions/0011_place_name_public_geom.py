"""place names: the published (secrecy-generalised) location as a stored generated column with a GiST index,
so that bbox and spatial filters of public routes use an index instead of computing it for every row

Revision ID: 0011
Revises: 0002
Create Date: 2026-11-29
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from geoalchemy2 import Geometry

revision: str = "0011"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The rule of gazetteer.models.public_location_rule() as it stood when this revision was written.
PUBLIC_LOCATION = "CASE WHEN secrecy = 'public' THEN geom ELSE ST_SnapToGrid(ST_PointOnSurface(geom), 0.1) END"


def upgrade() -> None:
    op.add_column(
        "place_name",
        sa.Column(
            "public_geom",
            Geometry(
                geometry_type="GEOMETRY", srid=4490, spatial_index=False, from_text="ST_GeomFromEWKT", name="geometry"
            ),
            sa.Computed(PUBLIC_LOCATION, persisted=True),
            nullable=True,
        ),
    )
    op.create_index("idx_place_name_public_geom", "place_name", ["public_geom"], unique=False, postgresql_using="gist")


def downgrade() -> None:
    op.drop_index("idx_place_name_public_geom", table_name="place_name", postgresql_using="gist")
    op.drop_column("place_name", "public_geom")
