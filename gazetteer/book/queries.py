"""SQL of the printable gazetteer (地名志): the current standard names of a banner (public locations)."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.engine import Connection, RowMapping

from gazetteer.places.queries import PLACE_COLUMNS

# Composed from the registry's column list (its location through queries.public_location); values are bound.
BANNER_NAMES = (
    "SELECT " + PLACE_COLUMNS + " FROM place_name p WHERE p.status = 'standard' AND p.valid_to IS NULL"  # noqa: S608
    " AND (p.unit_code LIKE :prefix OR p.admin_code LIKE :prefix)"
    " ORDER BY p.category, p.level_rank, p.admin_code NULLS LAST, p.unit_code, p.name, p.id"
)


def banner_names(conn: Connection, banner_prefix: str) -> list[RowMapping]:
    """The current standard names of the banner (its own, its townships', villages' and other places'), by
    category code, then level and code."""
    return list(conn.execute(text(BANNER_NAMES), {"prefix": banner_prefix + "%"}).mappings())
