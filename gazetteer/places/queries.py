"""SQL of the gazetteer context (the only place it lives)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Connection, RowMapping

from gazetteer.places.names import deletions


# --- place names ---------------------------------------------------------------------------------
def public_location(alias: str = "p") -> str:
    """SQL of the location a public route may show: the geometry of a public record, a generalised point
    (on-surface point snapped to a 0.1° grid) of any other. Every public SELECT of a location goes through here.

    It is the column ``public_geom`` of the row ``alias``: stored (and GiST-indexed) on place_name, where
    PostgreSQL computes it by models.public_location_rule, so a spatial filter never sees the true geometry of a
    record that is not public and still uses an index; a row of another table (a sign) computes it by that rule."""
    return f"{alias}.public_geom"


PLACE_COLUMNS = (
    "p.id, p.place_id, p.name, p.statistical_name, p.romanization, p.romanization_toned, p.romanization_origin,"
    " p.category, p.unit_code, p.admin_code, p.level_rank, p.status, p.secrecy, p.tags, p.version,"
    " p.valid_from, p.valid_to, p.meaning, p.origin, p.history, p.approving_body, p.document_number,"
    " p.approval_date, p.geom_source,"
    f" ST_X(ST_PointOnSurface({public_location()})) AS lon, ST_Y(ST_PointOnSurface({public_location()})) AS lat,"
    f" GeometryType({public_location()}) AS geometry_type"
)
PLACE_FIELDS = (
    "id",
    "place_id",
    "name",
    "statistical_name",
    "romanization",
    "romanization_toned",
    "romanization_origin",
    "category",
    "unit_code",
    "admin_code",
    "level_rank",
    "geom",
    "meaning",
    "origin",
    "history",
    "approving_body",
    "document_number",
    "approval_date",
    "status",
    "secrecy",
    "tags",
    "version",
    "valid_from",
    "valid_to",
    "geom_source",
)


def current_unit_names(conn: Connection) -> dict[str, RowMapping]:
    """The open standard name record of every administrative unit, by unit code."""
    rows = conn.execute(
        text(
            "SELECT id, place_id, admin_code, name, statistical_name FROM place_name"
            " WHERE admin_code IS NOT NULL AND status = 'standard' AND valid_to IS NULL"
        )
    ).mappings()
    return {row["admin_code"]: row for row in rows}


def reference_points_by_unit(conn: Connection) -> dict[str, tuple[float, float, str]]:
    """One reference point per matched unit code (lon, lat, source), the lowest id first."""
    rows = conn.execute(
        text(
            "SELECT DISTINCT ON (unit_code) unit_code, ST_X(geom) AS lon, ST_Y(geom) AS lat, source"
            " FROM reference_point WHERE unit_code IS NOT NULL ORDER BY unit_code, id"
        )
    )
    return {r.unit_code: (r.lon, r.lat, r.source) for r in rows}


def allocate_place_ids(conn: Connection, count: int) -> list[int]:
    """``count`` fresh consecutive ids of place_name, reserved from its identity sequence in one step."""
    if count == 0:
        return []
    last = conn.execute(
        text(
            "SELECT setval(pg_get_serial_sequence('place_name', 'id'),"
            " nextval(pg_get_serial_sequence('place_name', 'id')) + :n - 1)"
        ),
        {"n": count},
    ).scalar_one()
    return list(range(last - count + 1, last + 1))


PLACE_NAME_INDEXES = {
    "ix_place_name_place_id": "CREATE INDEX ix_place_name_place_id ON place_name (place_id)",
    "ix_place_name_unit_code": "CREATE INDEX ix_place_name_unit_code ON place_name (unit_code)",
    "ix_place_name_admin_code": "CREATE INDEX ix_place_name_admin_code ON place_name (admin_code)",
    "idx_place_name_geom": "CREATE INDEX idx_place_name_geom ON place_name USING gist (geom)",
    "idx_place_name_public_geom": "CREATE INDEX idx_place_name_public_geom ON place_name USING gist (public_geom)",
}
BULK_RECORDS = 100_000  # from this many records, the secondary indexes are rebuilt after the load


def copy_place_names(conn: Connection, rows: Sequence[dict[str, Any]]) -> None:
    """Bulk-insert place-name records (ids given; geometry as EWKT)."""
    if not rows:
        return
    columns = [c for c in PLACE_FIELDS if c in rows[0]]
    bulk = len(rows) >= BULK_RECORDS
    if bulk:
        for name in PLACE_NAME_INDEXES:
            conn.execute(text(f"DROP INDEX {name}"))
    _copy_text(conn, "place_name", columns, [[r[c] for c in columns] for r in rows])
    if bulk:
        for ddl in PLACE_NAME_INDEXES.values():
            conn.execute(text(ddl))


def _copy_value(value: Any) -> str:
    if value is None:
        return "\\N"
    if isinstance(value, list):
        quoted = ",".join('"' + str(v).replace("\\", "\\\\").replace('"', '\\"') + '"' for v in value)
        return ("{" + quoted + "}").translate(COPY_ESCAPES)
    if isinstance(value, date):
        return value.isoformat()
    return str(value).translate(COPY_ESCAPES)


COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})
KEY_COLUMNS = ("place_name_id", "key", "kind")
BULK_KEYS = 200_000  # from this many keys, the key indexes are rebuilt after the load instead of maintained


def _copy_text(conn: Connection, table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    """COPY rows as text lines written in large chunks (far less per-row work than psycopg's write_row)."""
    raw = conn.connection.driver_connection
    assert raw is not None
    with raw.cursor() as cursor, cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        for start in range(0, len(rows), 50_000):
            chunk = rows[start : start + 50_000]
            copy.write("".join("\t".join(map(_copy_value, row)) + "\n" for row in chunk))


def update_statistical_names(conn: Connection, changes: Sequence[tuple[int, str]]) -> None:
    """Set the statistical name of records (id, statistical name) and bump their versions."""
    if changes:
        conn.execute(
            text("UPDATE place_name SET statistical_name = :statistical_name, version = version + 1 WHERE id = :id"),
            [{"id": i, "statistical_name": s} for i, s in changes],
        )


def replace_keys(conn: Connection, keys: Sequence[tuple[int, str, str]], ids: Sequence[int] = ()) -> None:
    """Write the search keys (id, key, kind) after deleting the keys of ``ids``, and the one-character deletions
    of the records' cores (the core key, else the exact key of a name without a generic term)."""
    if ids:
        conn.execute(text("DELETE FROM place_key WHERE place_name_id = ANY(:ids)"), {"ids": list(ids)})
    record_cores: dict[int, str] = {}
    for place_name_id, key, kind in keys:
        if kind == "core" or (kind == "exact" and place_name_id not in record_cores):
            record_cores[place_name_id] = key
    cores: dict[str, int] = {}  # core -> the lowest record id carrying it
    for place_name_id, core in record_cores.items():
        cores[core] = min(place_name_id, cores.get(core, place_name_id))
    if len(keys) >= BULK_KEYS:
        conn.execute(text("ALTER TABLE place_key DROP CONSTRAINT pk_place_key"))
        conn.execute(text(f"DROP INDEX {', '.join(KEY_INDEXES)}"))
        _copy_text(conn, "place_key", KEY_COLUMNS, keys)  # a trigger fills the scope codes (migration 0025)
        conn.execute(text("ALTER TABLE place_key ADD CONSTRAINT pk_place_key PRIMARY KEY (place_name_id, key, kind)"))
        for index in KEY_INDEXES.values():
            conn.execute(text(index))
        _add_core_deletions(conn, cores)
        for table in ("place_key", "place_core_deletion", "place_name"):
            conn.execute(text(f"ANALYZE {table}"))  # fresh statistics: the planner must see the bulk load
    elif keys:
        _copy_text(conn, "place_key", KEY_COLUMNS, keys)
        _add_core_deletions(conn, cores)


KEY_INDEXES = {  # as the migrations create them (0025, 0026)
    "ix_place_key_key": "CREATE INDEX ix_place_key_key ON place_key (key, kind, place_name_id)"
    " INCLUDE (scope_code, extra_scope_code)",
    "ix_place_key_scope": "CREATE INDEX ix_place_key_scope ON place_key (kind, scope_code, key)"
    " INCLUDE (place_name_id)",
    "ix_place_key_extra_scope": "CREATE INDEX ix_place_key_extra_scope ON place_key (kind, extra_scope_code, key)"
    " INCLUDE (scope_code, place_name_id) WHERE extra_scope_code IS NOT NULL",
}


def _add_core_deletions(conn: Connection, cores: dict[str, int]) -> None:
    """Record the one-character deletions of each core (none for a core of one character) with the lowest record
    id carrying it; a row already there keeps its own, older id. In bulk: COPY, then the primary key rebuilt."""
    rows: dict[tuple[str, str], int] = {}
    for core, first_id in cores.items():
        for deleted in deletions(core):
            rows[(deleted, core)] = first_id
    if len(rows) < BULK_KEYS:
        conn.execute(
            text(
                "INSERT INTO place_core_deletion (deletion, core, first_id) SELECT * FROM"
                " unnest(CAST(:deletions AS text[]), CAST(:cores AS text[]), CAST(:ids AS bigint[]))"
                " ON CONFLICT DO NOTHING"
            ),
            {"deletions": [d for d, _ in rows], "cores": [c for _, c in rows], "ids": list(rows.values())},
        )
        return
    conn.execute(text("DROP TABLE IF EXISTS stage_core_deletion"))
    conn.execute(
        text(
            'CREATE TEMP TABLE stage_core_deletion (deletion text COLLATE "C", core text COLLATE "C", first_id bigint)'
            " ON COMMIT DROP"
        )
    )
    _copy_text(conn, "stage_core_deletion", ("deletion", "core", "first_id"), [(*k, i) for k, i in rows.items()])
    conn.execute(
        text(
            "DELETE FROM stage_core_deletion s USING place_core_deletion d"
            " WHERE d.deletion = s.deletion AND d.core = s.core"
        )
    )
    conn.execute(text("ALTER TABLE place_core_deletion DROP CONSTRAINT pk_place_core_deletion"))
    conn.execute(text("INSERT INTO place_core_deletion SELECT deletion, core, first_id FROM stage_core_deletion"))
    conn.execute(
        text("ALTER TABLE place_core_deletion ADD CONSTRAINT pk_place_core_deletion PRIMARY KEY (deletion, core)")
    )


def insert_events(conn: Connection, events: Sequence[dict[str, Any]]) -> None:
    """Append name events."""
    if events:
        conn.execute(
            text(
                "INSERT INTO name_event (place_id, kind, old_name, new_name, old_code, new_code, approving_body,"
                " document_number, approval_date, effective_date, source, note) VALUES (:place_id, :kind, :old_name,"
                " :new_name, :old_code, :new_code, :approving_body, :document_number, :approval_date,"
                " :effective_date, :source, :note)"
            ),
            [
                {
                    "old_name": None,
                    "new_name": None,
                    "old_code": None,
                    "new_code": None,
                    "approving_body": None,
                    "document_number": None,
                    "approval_date": None,
                    "source": None,
                    "note": None,
                    **e,
                }
                for e in events
            ],
        )


def place_by_id(conn: Connection, place_name_id: int) -> RowMapping | None:
    """One place-name record (public location)."""
    return (
        conn.execute(text(f"SELECT {PLACE_COLUMNS} FROM place_name p WHERE p.id = :id"), {"id": place_name_id})
        .mappings()
        .first()
    )


def names_of_place(conn: Connection, place_id: int) -> list[RowMapping]:
    """Every name record of a place, oldest first (public location)."""
    return list(
        conn.execute(
            text(f"SELECT {PLACE_COLUMNS} FROM place_name p WHERE p.place_id = :pid ORDER BY p.valid_from, p.id"),
            {"pid": place_id},
        ).mappings()
    )


def events_of_place(conn: Connection, place_id: int) -> list[RowMapping]:
    """The name events of a place in date order."""
    return list(
        conn.execute(
            text(
                "SELECT kind, old_name, new_name, old_code, new_code, approving_body, document_number,"
                " approval_date, effective_date, source, note FROM name_event WHERE place_id = :pid"
                " ORDER BY effective_date, id"
            ),
            {"pid": place_id},
        ).mappings()
    )


def _filters(unit_prefix: str | None, category: str | None, statuses: Sequence[str], as_of: date | None) -> str:
    clauses = ["p.status = ANY(:statuses)"]
    if unit_prefix:
        clauses.append("(p.unit_code LIKE :unit_prefix OR p.admin_code LIKE :unit_prefix)")
    if category:
        clauses.append("p.category LIKE :category_prefix")
    if as_of:
        clauses.append(
            "p.valid_from <= CAST(:as_of AS date) AND (p.valid_to IS NULL OR p.valid_to > CAST(:as_of AS date))"
        )
    return " AND ".join(clauses)


def count_place_names(conn: Connection) -> int:
    """Number of place-name records."""
    return int(conn.execute(text("SELECT count(*) FROM place_name")).scalar_one())


# --- published collections (served by the OGC API through gazetteer.service.published_collections) ---
PUBLISHED_POINTS = "SELECT id, source, external_id, name, category, unit_code, unit_level, geom FROM reference_point"
PUBLISHED_PLACE_NAMES = (
    "SELECT p.id, p.place_id, p.name, p.statistical_name, p.romanization, p.romanization_origin, p.category,"
    " p.unit_code, p.admin_code, p.status, p.secrecy, p.approval_date, p.valid_from, p.valid_to,"
    f" {public_location('p')} AS geom FROM place_name p"
)


def published_units_parts(with_polygon_sql: str, without_polygon_sql: str) -> list[str]:
    """Wrap the boundaries' published unit SELECTs (the versions with a registered polygon, those without): the
    registered polygon, else the unit's first reference point. Each part yields its geometry straight from a
    table, so that a spatial filter uses the GiST index of unit_polygon or of reference_point."""
    columns = "u.id, u.code, u.name, u.kind, u.parent_code, u.valid_from, u.valid_to, u.polygon_source"
    return [
        f"SELECT {columns}, 'polygon'::text AS geometry_kind, u.polygon_geom AS geom FROM ({with_polygon_sql}) u",
        f"SELECT {columns}, CASE WHEN pt.geom IS NOT NULL THEN 'point' END AS geometry_kind, pt.geom AS geom"
        f" FROM ({without_polygon_sql}) u LEFT JOIN reference_point pt ON pt.unit_code = u.code"
        " AND NOT EXISTS (SELECT 1 FROM reference_point e WHERE e.unit_code = pt.unit_code AND e.id < pt.id)",
    ]


def create_trigram_index(conn: Connection) -> None:
    """The GIN trigram index on place names that the pg_trgm baseline of the benchmark needs."""
    conn.execute(text("CREATE INDEX IF NOT EXISTS ix_place_name_name_trgm ON place_name USING gin (name gin_trgm_ops)"))


def events_from_source(conn: Connection, source: str) -> int:
    """Number of name events recorded from ``source``."""
    return int(
        conn.execute(text("SELECT count(*) FROM name_event WHERE source = :source"), {"source": source}).scalar_one()
    )


def move_valid_from(conn: Connection, changes: Sequence[tuple[int, date]]) -> None:
    """Set an earlier start of validity on records (id, date): the date their name took effect."""
    if changes:
        conn.execute(
            text("UPDATE place_name SET valid_from = :day WHERE id = :id AND valid_from > :day"),
            [{"id": i, "day": d} for i, d in changes],
        )


EDITABLE_FIELDS = (
    "category",
    "meaning",
    "origin",
    "history",
    "tags",
    "secrecy",
    "approving_body",
    "document_number",
    "approval_date",
)


def record_for_update(conn: Connection, place_name_id: int) -> RowMapping | None:
    """The full stored record (true geometry as EWKT), locked for the transaction."""
    return (
        conn.execute(
            text("SELECT p.*, ST_AsEWKT(p.geom) AS geom_ewkt FROM place_name p WHERE p.id = :id FOR UPDATE"),
            {"id": place_name_id},
        )
        .mappings()
        .first()
    )


def update_record(
    conn: Connection, place_name_id: int, version: int, values: dict[str, Any], geom_ewkt: str | None = None
) -> bool:
    """Write ``values`` (and the geometry when given) if the stored version is ``version``; bumps the version.
    False when the version is stale (nothing written)."""
    columns = [c for c in values if c in (*EDITABLE_FIELDS, "status", "valid_to", "name")]
    sets = [f"{c} = :{c}" for c in columns] + ["version = version + 1"]
    if geom_ewkt is not None:
        sets.append("geom = ST_GeomFromEWKT(:geom_ewkt)")
    done = conn.execute(
        text(f"UPDATE place_name SET {', '.join(sets)} WHERE id = :id AND version = :version"),
        {**{c: values[c] for c in columns}, "id": place_name_id, "version": version, "geom_ewkt": geom_ewkt},
    )
    return done.rowcount == 1


def places_by_tag(
    conn: Connection, tag: str, *, unit_prefix: str | None, statuses: Sequence[str], limit: int
) -> list[RowMapping]:
    """Place names carrying ``tag``, higher level first, then by name (public location)."""
    sql = (
        f"SELECT {PLACE_COLUMNS} FROM place_name p WHERE :tag = ANY(p.tags)"
        f" AND {_filters(unit_prefix, None, statuses, None)} ORDER BY p.level_rank, p.name, p.id LIMIT :limit"
    )
    params = {"tag": tag, "unit_prefix": (unit_prefix or "") + "%", "statuses": list(statuses), "limit": limit}
    return list(conn.execute(text(sql), params).mappings())


def open_places_named(conn: Connection, names: Sequence[str]) -> list[RowMapping]:
    """The open records that are not administrative units with one of ``names`` (true geometry as WKB), for the
    bulk import to find the records a file names again."""
    if not names:
        return []
    sql = (
        "SELECT p.id, p.name, p.unit_code, p.category, p.status, p.version, p.secrecy, p.tags, p.meaning, p.origin,"
        " p.history, p.approving_body, p.document_number, p.approval_date, ST_AsBinary(p.geom) AS wkb"
        " FROM place_name p WHERE p.id IN (SELECT place_name_id FROM place_key WHERE key = ANY(:names)"
        " AND kind = 'exact') AND p.admin_code IS NULL AND p.valid_to IS NULL"
    )
    return list(conn.execute(text(sql), {"names": list(names)}).mappings())


def standard_places_located(conn: Connection, unit_prefix: str, as_of: date) -> list[RowMapping]:
    """The standard names valid on ``as_of`` within ``unit_prefix`` that have a location, by category then id
    (public location: generalised for records that are not public)."""
    sql = (
        f"SELECT {PLACE_COLUMNS} FROM place_name p WHERE p.geom IS NOT NULL"
        f" AND {_filters(unit_prefix, None, ('standard',), as_of)} ORDER BY p.category, p.id"
    )
    params = {"unit_prefix": unit_prefix + "%", "statuses": ["standard"], "as_of": as_of}
    return list(conn.execute(text(sql), params).mappings())


def public_geometries(conn: Connection, ids: Sequence[int]) -> dict[int, dict[str, Any]]:
    """GeoJSON geometry of the location a public route may show (see public_location) of records, by id."""
    if not ids:
        return {}
    rows = conn.execute(
        text(
            f"SELECT p.id, ST_AsGeoJSON({public_location()}) AS geojson FROM place_name p"
            " WHERE p.id = ANY(:ids) AND p.geom IS NOT NULL"
        ),
        {"ids": list(ids)},
    )
    return {r.id: json.loads(r.geojson) for r in rows}


def exchange_records(conn: Connection, unit_prefix: str, statuses: Sequence[str]) -> list[RowMapping]:
    """Every record of ``statuses`` in or of the units under ``unit_prefix``, with its public location (point
    on it as lon/lat, whole as WKT), in unit, category and name order: the national exchange file."""
    sql = (
        f"SELECT {PLACE_COLUMNS}, ST_AsText({public_location()}, 9) AS wkt FROM place_name p"
        f" WHERE {_filters(unit_prefix, None, statuses, None)}"
        " ORDER BY coalesce(p.admin_code, p.unit_code), p.level_rank, p.category, p.name, p.valid_from, p.id"
    )
    return list(conn.execute(text(sql), {"unit_prefix": unit_prefix + "%", "statuses": list(statuses)}).mappings())


def unit_standard_names(conn: Connection, codes: Sequence[str], as_of: date) -> dict[str, RowMapping]:
    """The standard name record (name, plain romanization) of each unit of ``codes`` valid on ``as_of``."""
    rows = conn.execute(
        text(
            "SELECT admin_code, name, romanization FROM place_name p WHERE p.admin_code = ANY(:codes)"
            f" AND {_filters(None, None, ('standard',), as_of)} ORDER BY p.id"
        ),
        {"codes": list(codes), "statuses": ["standard"], "as_of": as_of},
    ).mappings()
    return {row["admin_code"]: row for row in rows}
