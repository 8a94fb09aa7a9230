"""SQL of the place-name signs (地名标志); every public location goes through queries.public_location.

The statements are composed from this module's constants (column lists, the sign view) and that function's
expression only; every value is bound (hence the ``noqa: S608``, which the project's lint waives for queries.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Connection, RowMapping

from gazetteer.places.models import public_location_rule
from gazetteer.places.queries import public_location

# A sign with the secrecy, place and codes of the record it names, and its public location (the sign's point
# under the secrecy rule of the record): the alias ``sg`` public_location works on.
SIGNS = (
    "(SELECT s.*, p.secrecy, p.place_id, p.unit_code AS place_unit_code, p.admin_code AS place_admin_code,"  # noqa: S608
    " p.name AS place_name, " + public_location_rule("s.geom", "p.secrecy") + " AS public_geom"
    " FROM place_sign s JOIN place_name p ON p.id = s.place_name_id) sg"
)
SIGN_COLUMNS = (
    "sg.id, sg.inventory_no, sg.place_name_id, sg.place_id, sg.place_name, sg.printed_name, sg.printed_romanization,"
    " sg.condition, sg.installed_on, sg.source_crs, sg.notes, sg.photo_sha256, sg.photo_media_type,"
    " sg.photo_size_bytes, sg.photo_name, sg.version, sg.updated_at, sg.secrecy, sg.place_unit_code,"
    " sg.place_admin_code, ST_X(" + public_location("sg") + ") AS lon, ST_Y(" + public_location("sg") + ") AS lat"
)
WRITABLE = (
    "inventory_no",
    "place_name_id",
    "printed_name",
    "printed_romanization",
    "condition",
    "installed_on",
    "source_crs",
    "notes",
)
PHOTO_FIELDS = ("photo_sha256", "photo_media_type", "photo_size_bytes", "photo_path", "photo_name")
STORED_COLUMNS = "s.*, ST_X(s.geom) AS lon, ST_Y(s.geom) AS lat"


def _scope(unit_prefix: str | None, place_name_id: int | None, condition: str | None) -> str:
    clauses = ["TRUE"]
    if unit_prefix:
        clauses.append("(sg.place_unit_code LIKE :unit_prefix OR sg.place_admin_code LIKE :unit_prefix)")
    if place_name_id is not None:
        clauses.append("sg.place_name_id = :place_name_id")
    if condition:
        clauses.append("sg.condition = :condition")
    return " AND ".join(clauses)


def list_signs(
    conn: Connection,
    *,
    unit_prefix: str | None = None,
    place_name_id: int | None = None,
    condition: str | None = None,
    limit: int | None = None,
    offset: int = 0,
) -> list[RowMapping]:
    """Signs (public locations) in inventory order, optionally within a unit, of one place, in one condition."""
    sql = (  # noqa: S608
        "SELECT " + SIGN_COLUMNS + " FROM " + SIGNS + " WHERE " + _scope(unit_prefix, place_name_id, condition)
    ) + " ORDER BY sg.inventory_no, sg.id LIMIT :limit OFFSET :offset"
    params = {
        "unit_prefix": (unit_prefix or "") + "%",
        "place_name_id": place_name_id,
        "condition": condition,
        "limit": limit,
        "offset": offset,
    }
    return list(conn.execute(text(sql), params).mappings())


def sign_by_id(conn: Connection, sign_id: int) -> RowMapping | None:
    """One sign (public location)."""
    return (
        conn.execute(text("SELECT " + SIGN_COLUMNS + " FROM " + SIGNS + " WHERE sg.id = :id"), {"id": sign_id})  # noqa: S608
        .mappings()
        .first()
    )


def sign_for_update(conn: Connection, sign_id: int) -> RowMapping | None:
    """The stored sign with its true location (lon, lat), locked for the transaction."""
    return (
        conn.execute(
            text("SELECT " + STORED_COLUMNS + " FROM place_sign s WHERE s.id = :id FOR UPDATE"),  # noqa: S608
            {"id": sign_id},
        )
        .mappings()
        .first()
    )


def signs_by_inventory(conn: Connection, inventory_nos: Sequence[str]) -> dict[str, RowMapping]:
    """Stored signs (true location) by inventory number, locked for the transaction."""
    rows = conn.execute(
        text(
            "SELECT " + STORED_COLUMNS + " FROM place_sign s WHERE s.inventory_no = ANY(:nos) ORDER BY s.id FOR UPDATE"  # noqa: S608
        ),
        {"nos": list(inventory_nos)},
    ).mappings()
    return {row["inventory_no"]: row for row in rows}


def insert_sign(conn: Connection, values: dict[str, Any], geom_ewkt: str) -> int:
    """A new sign; its id."""
    columns = [c for c in WRITABLE if c in values]
    return int(
        conn.execute(
            text(
                "INSERT INTO place_sign ("  # noqa: S608
                + ", ".join(columns)
                + ", geom) VALUES ("
                + ", ".join(":" + c for c in columns)
                + ", ST_GeomFromEWKT(:geom_ewkt)) RETURNING id"
            ),
            {**{c: values[c] for c in columns}, "geom_ewkt": geom_ewkt},
        ).scalar_one()
    )


def insert_signs(conn: Connection, rows: Sequence[tuple[dict[str, Any], str]]) -> None:
    """Many new signs (values with every WRITABLE field, location as EWKT) in one batch (executemany)."""
    if not rows:
        return
    conn.execute(
        text(
            "INSERT INTO place_sign ("  # noqa: S608
            + ", ".join(WRITABLE)
            + ", geom) VALUES ("
            + ", ".join(":" + c for c in WRITABLE)
            + ", ST_GeomFromEWKT(:geom_ewkt))"
        ),
        [{**{c: values[c] for c in WRITABLE}, "geom_ewkt": geom_ewkt} for values, geom_ewkt in rows],
    )


def update_sign(
    conn: Connection, sign_id: int, version: int, values: dict[str, Any], geom_ewkt: str | None = None
) -> bool:
    """Write ``values`` (and the location when given) if the stored version is ``version``; bumps the version.
    False when the version is stale (nothing written)."""
    columns = [c for c in values if c in (*WRITABLE, *PHOTO_FIELDS)]
    sets = [f"{c} = :{c}" for c in columns] + ["version = version + 1", "updated_at = now()"]
    if geom_ewkt is not None:
        sets.append("geom = ST_GeomFromEWKT(:geom_ewkt)")
    done = conn.execute(
        text("UPDATE place_sign SET " + ", ".join(sets) + " WHERE id = :id AND version = :version"),  # noqa: S608
        {**{c: values[c] for c in columns}, "id": sign_id, "version": version, "geom_ewkt": geom_ewkt},
    )
    return done.rowcount == 1


def photo_of(conn: Connection, sign_id: int) -> RowMapping | None:
    """The photo fields of a sign and the secrecy of the place it names."""
    return (
        conn.execute(
            text(
                "SELECT sg.id, sg.secrecy, "  # noqa: S608
                + ", ".join("sg." + f for f in PHOTO_FIELDS)
                + " FROM "
                + SIGNS
                + " WHERE sg.id = :id"
            ),
            {"id": sign_id},
        )
        .mappings()
        .first()
    )


def signs_to_check(conn: Connection, unit_prefix: str | None) -> list[RowMapping]:
    """Every sign within a unit with the current standard record of the place it names (none when the place has
    no current standard name: retired, or a proposal never approved)."""
    sql = (
        "SELECT " + SIGN_COLUMNS + ", cur.id AS standard_id, cur.name AS standard_name,"  # noqa: S608
        " cur.admin_code AS standard_admin_code FROM " + SIGNS + " LEFT JOIN LATERAL"
        " (SELECT c.id, c.name, c.admin_code FROM place_name c"
        " WHERE c.place_id = sg.place_id AND c.status = 'standard' AND c.valid_to IS NULL"
        " ORDER BY c.id DESC LIMIT 1) cur ON TRUE"
        " WHERE " + _scope(unit_prefix, None, None) + " ORDER BY sg.inventory_no, sg.id"
    )
    return list(conn.execute(text(sql), {"unit_prefix": (unit_prefix or "") + "%"}).mappings())


def other_names(conn: Connection, place_ids: Sequence[int]) -> list[RowMapping]:
    """The non-standard names (historic, alias, retired) of places, newest first."""
    if not place_ids:
        return []
    return list(
        conn.execute(
            text(
                "SELECT place_id, name, status, valid_from, valid_to FROM place_name"
                " WHERE place_id = ANY(:ids) AND status IN ('historic', 'alias', 'retired')"
                " ORDER BY place_id, valid_from DESC, id DESC"
            ),
            {"ids": list(place_ids)},
        ).mappings()
    )


def place_record(conn: Connection, place_name_id: int) -> RowMapping | None:
    """The place-name record a sign names (id, name, status, codes)."""
    return (
        conn.execute(
            text("SELECT id, place_id, name, status, unit_code, admin_code FROM place_name WHERE id = :id"),
            {"id": place_name_id},
        )
        .mappings()
        .first()
    )


def existing_place_ids(conn: Connection, ids: Sequence[int]) -> set[int]:
    """Those of ``ids`` that are place-name records."""
    if not ids:
        return set()
    rows = conn.execute(text("SELECT id FROM place_name WHERE id = ANY(:ids)"), {"ids": list(ids)})
    return {int(r.id) for r in rows}


# --- published collection (served by the OGC API through gazetteer.service.published_collections) ---
PUBLISHED_SIGNS = (
    "SELECT sg.id, sg.inventory_no, sg.place_name_id, sg.place_name, sg.printed_name, sg.printed_romanization,"  # noqa: S608
    " sg.condition, sg.installed_on, sg.secrecy, sg.place_unit_code AS unit_code,"
    " " + public_location("sg") + " AS geom FROM " + SIGNS
)
