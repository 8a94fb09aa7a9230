"""SQL of the facilities context (the only place it lives)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Connection, RowMapping

from core import audit
from facilities.models import VERSIONED

# Columns written from a validated facility record (lon/lat become the point).
WRITE_COLUMNS = (
    "name",
    "kind",
    "cemetery_type",
    "ownership",
    "beds",
    "nursing_beds",
    "capacity",
    "infirmary",
    "medical_contract",
    "address",
    "operator",
    "status",
    "opened_on",
    "closed_on",
    "unit_code",
    "unit_method",
    "source",
    "external_id",
    "illustrative",
)
READ_COLUMNS = "id, " + ", ".join(WRITE_COLUMNS) + ", ST_X(geom) AS lon, ST_Y(geom) AS lat, version, updated_at"
POINT = "ST_SetSRID(ST_MakePoint(:lon, :lat), 4490)"


def insert_facility(conn: Connection, row: dict[str, Any]) -> RowMapping:
    """Insert one facility and return it as stored."""
    columns = ", ".join(WRITE_COLUMNS)
    values = ", ".join(f":{c}" for c in WRITE_COLUMNS)
    return (
        conn.execute(
            text(f"INSERT INTO facility ({columns}, geom) VALUES ({values}, {POINT}) RETURNING {READ_COLUMNS}"), row
        )
        .mappings()
        .one()
    )


def get_facility(conn: Connection, facility_id: int, *, lock: bool = False) -> RowMapping | None:
    """One facility by id (row-locked for an update when ``lock``)."""
    suffix = " FOR UPDATE" if lock else ""
    return (
        conn.execute(text(f"SELECT {READ_COLUMNS} FROM facility WHERE id = :id{suffix}"), {"id": facility_id})
        .mappings()
        .first()
    )


# The facilities as on the day :on: each open facility with the attributes of its version covering that day (its
# dated fields replace the present ones), plus the version's period. Used as ``FROM ({DATED}) AS f``.
DATED = (
    "SELECT f.id, v.name, f.kind, v.cemetery_type, v.ownership, v.beds, v.nursing_beds, v.capacity, v.infirmary,"
    " v.medical_contract, f.address, f.operator, v.status, f.opened_on, f.closed_on, f.unit_code, f.unit_method,"
    " f.source, f.external_id, f.illustrative, f.geom, f.version, f.updated_at, v.valid_from, v.valid_to"
    " FROM facility f JOIN facility_version v ON v.facility_id = f.id AND v.period @> CAST(:on AS date)"
)


def list_facilities(
    conn: Connection,
    *,
    kind: str | None,
    prefix: str,
    status: str | None,
    cemetery_type: str | None = None,
    on: date | None = None,
) -> list[RowMapping]:
    """Facilities filtered by kind, unit code prefix, status and cemetery type, ordered by id: the register as it
    stands (``on`` None), or the facilities open on the day ``on`` with that day's attributes and version period."""
    source = f"({DATED}) AS facility" if on is not None else "facility"
    period = ", valid_from, valid_to" if on is not None else ""
    return list(
        conn.execute(
            text(
                f"SELECT {READ_COLUMNS}{period} FROM {source} WHERE unit_code LIKE :prefix || '%'"
                " AND (CAST(:kind AS text) IS NULL OR kind = :kind)"
                " AND (CAST(:status AS text) IS NULL OR status = :status)"
                " AND (CAST(:cemetery_type AS text) IS NULL OR cemetery_type = :cemetery_type) ORDER BY id"
            ),
            {"prefix": prefix, "kind": kind, "status": status, "cemetery_type": cemetery_type, "on": on},
        ).mappings()
    )


# --- dated versions ----------------------------------------------------------------------------------
VERSION_COLUMNS = ("valid_from", "valid_to", *VERSIONED)


def facility_versions(conn: Connection, facility_ids: Sequence[int]) -> dict[int, list[dict[str, Any]]]:
    """The dated versions of each facility, oldest first (a version without a start first)."""
    rows = conn.execute(
        text(
            f"SELECT facility_id, {', '.join(VERSION_COLUMNS)} FROM facility_version"
            " WHERE facility_id = ANY(:ids) ORDER BY facility_id, valid_from NULLS FIRST"
        ),
        {"ids": list(facility_ids)},
    ).mappings()
    out: dict[int, list[dict[str, Any]]] = {i: [] for i in facility_ids}
    for row in rows:
        out[row["facility_id"]].append({c: row[c] for c in VERSION_COLUMNS})
    return out


def replace_versions(conn: Connection, facility_id: int, versions: Sequence[dict[str, Any]]) -> None:
    """Write a facility's dated versions in place of those it had."""
    conn.execute(text("DELETE FROM facility_version WHERE facility_id = :id"), {"id": facility_id})
    conn.execute(
        text(
            f"INSERT INTO facility_version (facility_id, {', '.join(VERSION_COLUMNS)})"
            f" VALUES (:facility_id, {', '.join(':' + c for c in VERSION_COLUMNS)})"
        ),
        [{**{c: v[c] for c in VERSION_COLUMNS}, "facility_id": facility_id} for v in versions],
    )


def update_facility(conn: Connection, facility_id: int, version: int, row: dict[str, Any]) -> RowMapping | None:
    """Overwrite a facility if its version is still ``version``; bumps the version. None when stale or missing."""
    assignments = ", ".join(f"{c} = :{c}" for c in WRITE_COLUMNS)
    return (
        conn.execute(
            text(
                f"UPDATE facility SET {assignments}, geom = {POINT}, version = version + 1, updated_at = now()"
                f" WHERE id = :id AND version = :version RETURNING {READ_COLUMNS}"
            ),
            {**row, "id": facility_id, "version": version},
        )
        .mappings()
        .first()
    )


def delete_facility(conn: Connection, facility_id: int, version: int) -> bool:
    """Delete a facility if its version is still ``version``."""
    result = conn.execute(
        text("DELETE FROM facility WHERE id = :id AND version = :version"), {"id": facility_id, "version": version}
    )
    return result.rowcount == 1


def facilities_by_external_id(conn: Connection, source: str) -> dict[str, RowMapping]:
    """The facilities of one import source keyed by their external id."""
    rows = conn.execute(
        text(f"SELECT {READ_COLUMNS} FROM facility WHERE source = :source AND external_id IS NOT NULL"),
        {"source": source},
    ).mappings()
    return {row["external_id"]: row for row in rows}


# --- population --------------------------------------------------------------------------------------
def upsert_population(conn: Connection, source: str, rows: Sequence[dict[str, Any]]) -> tuple[int, int, int]:
    """Write population rows keyed by (unit, year); returns (inserted, updated, unchanged)."""
    inserted = updated = unchanged = 0
    for row in rows:
        existing = (
            conn.execute(
                text(
                    "SELECT total, aged_60_plus, source FROM unit_population"
                    " WHERE unit_code = :unit_code AND year = :year"
                ),
                row,
            )
            .mappings()
            .first()
        )
        if existing is not None and (existing["total"], existing["aged_60_plus"], existing["source"]) == (
            row["total"],
            row["aged_60_plus"],
            source,
        ):
            unchanged += 1
            continue
        conn.execute(
            text(
                "INSERT INTO unit_population (unit_code, year, total, aged_60_plus, source)"
                " VALUES (:unit_code, :year, :total, :aged_60_plus, :source)"
                " ON CONFLICT (unit_code, year) DO UPDATE SET total = EXCLUDED.total,"
                " aged_60_plus = EXCLUDED.aged_60_plus, source = EXCLUDED.source"
            ),
            {**row, "source": source},
        )
        if existing is None:
            inserted += 1
        else:
            updated += 1
    return inserted, updated, unchanged


def latest_population(conn: Connection, prefix: str, year: int | None) -> list[RowMapping]:
    """Per unit under ``prefix``: the latest population row (not after ``year`` when given)."""
    return list(
        conn.execute(
            text(
                "SELECT DISTINCT ON (unit_code) unit_code, year, total, aged_60_plus, source FROM unit_population"
                " WHERE unit_code LIKE :prefix || '%' AND (CAST(:year AS int) IS NULL OR year <= :year)"
                " ORDER BY unit_code, year DESC"
            ),
            {"prefix": prefix, "year": year},
        ).mappings()
    )


# --- distances and zones -----------------------------------------------------------------------------
def nearest_sites(
    conn: Connection,
    points: Sequence[tuple[str, float, float]],
    kind: str,
    status: str,
    on: date,
) -> dict[str, RowMapping]:
    """For each (key, lon, lat): the nearest facility of ``kind`` with ``status`` on the day ``on`` and its
    geodesic distance in metres."""
    if not points:
        return {}
    rows = conn.execute(
        text(
            "SELECT p.key, f.id AS facility_id, f.name AS facility_name, f.distance_m"
            " FROM unnest(CAST(:keys AS text[]), CAST(:lons AS float8[]), CAST(:lats AS float8[])) AS p(key, lon, lat)"
            " LEFT JOIN LATERAL ("
            "  SELECT id, name, ST_Distance(geom::geography, ST_SetSRID(ST_MakePoint(p.lon, p.lat), 4490)::geography)"
            f"   AS distance_m FROM ({DATED}) AS f WHERE kind = :kind AND status = :status"
            "  ORDER BY geom::geography <-> ST_SetSRID(ST_MakePoint(p.lon, p.lat), 4490)::geography LIMIT 1"
            " ) f ON true"
        ),
        {
            "keys": [p[0] for p in points],
            "lons": [p[1] for p in points],
            "lats": [p[2] for p in points],
            "kind": kind,
            "status": status,
            "on": on,
        },
    ).mappings()
    return {row["key"]: row for row in rows}


def upsert_layer_features(
    conn: Connection, layer: str, layer_kind: str, buffer_m: float, features: Sequence[dict[str, Any]]
) -> tuple[int, int, int]:
    """Write the features of one prohibited-zone layer keyed by feature id; returns (inserted, updated, unchanged)."""
    inserted = updated = unchanged = 0
    for feature in features:
        params = {**feature, "layer": layer, "layer_kind": layer_kind, "buffer_m": buffer_m}
        existing = (
            conn.execute(
                text(
                    "SELECT layer_kind, name, buffer_m, ST_Equals(geom, ST_GeomFromWKB(:wkb, 4490)) AS same"
                    " FROM prohibited_layer WHERE layer = :layer AND feature_id = :feature_id"
                ),
                params,
            )
            .mappings()
            .first()
        )
        if (
            existing is not None
            and existing["same"]
            and (
                existing["layer_kind"],
                existing["name"],
                existing["buffer_m"],
            )
            == (layer_kind, feature["name"], buffer_m)
        ):
            unchanged += 1
            continue
        conn.execute(
            text(
                "INSERT INTO prohibited_layer (layer, layer_kind, feature_id, name, buffer_m, geom)"
                " VALUES (:layer, :layer_kind, :feature_id, :name, :buffer_m, ST_GeomFromWKB(:wkb, 4490))"
                " ON CONFLICT (layer, feature_id) DO UPDATE SET layer_kind = EXCLUDED.layer_kind,"
                " name = EXCLUDED.name, buffer_m = EXCLUDED.buffer_m, geom = EXCLUDED.geom"
            ),
            params,
        )
        if existing is None:
            inserted += 1
        else:
            updated += 1
    return inserted, updated, unchanged


def layer_summary(conn: Connection) -> list[RowMapping]:
    """The imported layers with their kind, buffer width and feature count."""
    return list(
        conn.execute(
            text(
                "SELECT layer, layer_kind, min(buffer_m) AS buffer_m, count(*) AS features FROM prohibited_layer"
                " GROUP BY layer, layer_kind ORDER BY layer"
            )
        ).mappings()
    )


def facilities_in_zones(conn: Connection, kinds: Sequence[str], widths: dict[str, float], on: date) -> list[RowMapping]:
    """Facilities of ``kinds`` there on the day ``on`` (any status) within each layer feature's buffer (width
    overridden per layer kind by ``widths``), with their point (EPSG:4490)."""
    return list(
        conn.execute(
            text(
                "WITH zone AS (SELECT z.*,"
                " COALESCE(CAST(CAST(:widths AS jsonb) ->> z.layer_kind AS float8), z.buffer_m) AS width_m"
                " FROM prohibited_layer z)"
                " SELECT f.id AS facility_id, f.name AS facility_name, f.kind AS facility_kind, f.cemetery_type,"
                " f.unit_code, f.illustrative, ST_X(f.geom) AS lon, ST_Y(f.geom) AS lat,"
                " z.layer, z.layer_kind, z.feature_id, z.name AS feature_name, z.width_m,"
                " ST_Distance(f.geom::geography, z.geom::geography) AS distance_m"
                f" FROM ({DATED}) AS f JOIN zone z ON ST_DWithin(f.geom::geography, z.geom::geography, z.width_m)"
                " WHERE f.kind = ANY(:kinds) ORDER BY f.id, z.layer, z.feature_id"
            ),
            {"kinds": list(kinds), "widths": json.dumps(widths), "on": on},
        ).mappings()
    )


def zone_buffers(conn: Connection, widths: dict[str, float]) -> list[RowMapping]:
    """Every prohibited-zone feature with its buffer width (overridden per layer kind by ``widths``) and its
    buffer for display as WKB (EPSG:4490; PostGIS's geography buffer, the feature itself for a width of 0)."""
    return list(
        conn.execute(
            text(
                "SELECT layer, layer_kind, feature_id, name, width_m, ST_AsBinary(CASE WHEN width_m > 0"
                " THEN ST_Buffer(geom::geography, width_m)::geometry ELSE geom END) AS wkb FROM ("
                " SELECT z.*, COALESCE(CAST(CAST(:widths AS jsonb) ->> z.layer_kind AS float8), z.buffer_m) AS width_m"
                " FROM prohibited_layer z) AS zone ORDER BY layer, feature_id"
            ),
            {"widths": json.dumps(widths)},
        ).mappings()
    )


# --- published collections (served by the OGC API through facilities.service.published_collections) ---
PUBLISHED_FACILITIES = (
    "SELECT id, name, kind, cemetery_type, ownership, beds, nursing_beds, capacity, infirmary, medical_contract,"
    " address, operator, status,"
    " opened_on, closed_on, unit_code, unit_method, illustrative, geom FROM facility"
)


# --- road network (pgRouting) ------------------------------------------------------------------------
def replace_road_edges(conn: Connection, layer: str, edges: Sequence[dict[str, Any]]) -> None:
    """Replace the road edges of one layer; each edge's cost is its length on the ellipsoid."""
    conn.execute(text("DELETE FROM road_edge WHERE layer = :layer"), {"layer": layer})
    if edges:
        conn.execute(
            text(
                "INSERT INTO road_edge (layer, feature_id, seq, source, target, cost_m, geom)"
                " SELECT :layer, :feature_id, :seq, :source, :target, ST_Length(g::geography), g"
                " FROM (SELECT ST_GeomFromWKB(:wkb, 4490) AS g) AS edge"
            ),
            [{**edge, "layer": layer} for edge in edges],
        )


def road_edge_count(conn: Connection) -> int:
    """Number of road edges (0: no road network imported)."""
    return int(conn.execute(text("SELECT count(*) FROM road_edge")).scalar_one())


# The network node nearest a point: the nearer end of the nearest road segment, and the straight walk to it.
_SNAP = (
    "SELECT CASE WHEN ST_Distance(ST_StartPoint(e.geom)::geography, {pt}::geography)"
    " <= ST_Distance(ST_EndPoint(e.geom)::geography, {pt}::geography) THEN e.source ELSE e.target END AS node,"
    " LEAST(ST_Distance(ST_StartPoint(e.geom)::geography, {pt}::geography),"
    " ST_Distance(ST_EndPoint(e.geom)::geography, {pt}::geography)) AS snap_m"
    " FROM road_edge e ORDER BY e.geom <-> {pt} LIMIT 1"
)


def network_nearest_sites(
    conn: Connection,
    points: Sequence[tuple[str, float, float]],
    kind: str,
    status: str,
    on: date,
) -> dict[str, RowMapping]:
    """For each (key, lon, lat): the facility of ``kind`` with ``status`` on the day ``on`` nearest along the road
    network (pgRouting, undirected), the distance being walk to the network + path + walk from it. Keys with no path
    are absent."""
    if not points:
        return {}
    point_snap = _SNAP.format(pt="ST_SetSRID(ST_MakePoint(p.lon, p.lat), 4490)")
    site_snap = _SNAP.format(pt="f.geom")
    rows = conn.execute(
        text(
            "WITH p AS (SELECT * FROM unnest(CAST(:keys AS text[]), CAST(:lons AS float8[]), CAST(:lats AS float8[]))"
            "  AS t(key, lon, lat)),"
            f" ps AS (SELECT p.key, n.node, n.snap_m FROM p CROSS JOIN LATERAL ({point_snap}) n),"
            f" ss AS (SELECT f.id, f.name, n.node, n.snap_m FROM ({DATED}) AS f CROSS JOIN LATERAL ({site_snap}) n"
            "  WHERE f.kind = :kind AND f.status = :status),"
            " cost AS (SELECT start_vid, end_vid, agg_cost FROM pgr_dijkstraCost("
            "  'SELECT id, source, target, cost_m AS cost, cost_m AS reverse_cost FROM road_edge',"
            "  (SELECT array_agg(DISTINCT node) FROM ss), (SELECT array_agg(DISTINCT node) FROM ps), directed => false)"
            "  UNION ALL SELECT node, node, 0 FROM ss)"
            " SELECT DISTINCT ON (ps.key) ps.key, ss.id AS facility_id, ss.name AS facility_name,"
            " ss.snap_m + c.agg_cost + ps.snap_m AS distance_m"
            " FROM ps JOIN cost c ON c.end_vid = ps.node JOIN ss ON ss.node = c.start_vid"
            " ORDER BY ps.key, distance_m"
        ),
        {
            "keys": [p[0] for p in points],
            "lons": [p[1] for p in points],
            "lats": [p[2] for p in points],
            "kind": kind,
            "status": status,
            "on": on,
        },
    ).mappings()
    return {row["key"]: row for row in rows}


# --- logged rows written back by the audit-log replay (ids, versions and stamps as logged) -----------------
def insert_logged_facility(conn: Connection, row: dict[str, Any]) -> None:
    """Insert a facility exactly as logged (its id, version and time stamp included)."""
    columns = sorted(audit.table_columns(conn, "facility") & set(row))
    conn.execute(
        text(
            f"INSERT INTO facility ({', '.join(columns)}, geom) OVERRIDING SYSTEM VALUE"  # noqa: S608
            f" VALUES ({', '.join(':' + c for c in columns)}, {POINT})"
        ),
        row,
    )
    audit.advance_identity(conn, "facility", int(row["id"]))


def overwrite_logged_facility(conn: Connection, row: dict[str, Any], version: int) -> bool:
    """Overwrite a facility found at ``version`` with the logged row; False when it is missing or elsewhere."""
    columns = sorted(audit.table_columns(conn, "facility") & set(row) - {"id"})
    assignments = ", ".join(f"{c} = :{c}" for c in columns)
    result = conn.execute(
        text(
            f"UPDATE facility SET {assignments}, geom = {POINT}"  # noqa: S608
            " WHERE id = :id AND version = :old_version"
        ),
        {**row, "old_version": version},
    )
    return result.rowcount == 1
