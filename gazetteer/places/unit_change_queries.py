"""SQL of the place-name side of a division change (gazetteer.places.unit_changes)."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.engine import Connection


def set_unit_codes(conn: Connection, place_name_id: int, admin_code: str, unit_code: str | None) -> None:
    """Point a unit's name record at its (new) code and parent, bumping its version (a division change)."""
    conn.execute(
        text(
            "UPDATE place_name SET admin_code = :admin_code, unit_code = :unit_code, version = version + 1"
            " WHERE id = :id"
        ),
        {"id": place_name_id, "admin_code": admin_code, "unit_code": unit_code},
    )
