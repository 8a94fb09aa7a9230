"""Domain logic of the gazetteer: reference points, reverse lookup, the place-name registry and its search
(no web framework here)."""

from __future__ import annotations

from datetime import date
from typing import Any

from shapely.geometry.base import BaseGeometry
from sqlalchemy.engine import Connection

from boundaries import service as boundaries
from core import audit
from core.errors import Conflict, InvalidInput, NotFound
from core.imports import (
    has_control_characters,
)
from core.values import GeoPoint, normalize_code
from gazetteer.places import english, names, queries
from gazetteer.places.geometry import located
from gazetteer.places.models import PLACE_STATUSES, SECRECY_LEVELS
from gazetteer.romanization.service import romanize
from gazetteer.search.service import _add_unit_paths, _hit, _statuses, _unit_prefix


def get_place(conn: Connection, place_name_id: int, *, as_of: date | None = None) -> dict[str, Any]:
    """The whole record of a place name with the other names of its place and its events."""
    row = queries.place_by_id(conn, place_name_id)
    if row is None:
        raise NotFound(f"no place name with id {place_name_id}")
    record = _hit(row, "id", 100)
    del record["match"], record["score"]
    for field in ("meaning", "origin", "history", "approving_body", "document_number", "approval_date", "tags"):
        record[field] = row[field]
    record.update(
        romanization_toned=row["romanization_toned"],
        secrecy=row["secrecy"],
        version=row["version"],
        geometry_type=row["geometry_type"],
        geom_source=row["geom_source"],
        geometry=queries.public_geometries(conn, [place_name_id]).get(place_name_id),
    )
    _add_unit_paths(conn, [record], as_of)
    record["names"] = [
        {k: r[k] for k in ("id", "name", "status", "valid_from", "valid_to")}
        for r in queries.names_of_place(conn, row["place_id"])
    ]
    record["events"] = [dict(e) for e in queries.events_of_place(conn, row["place_id"])]
    record["english_names"] = english.english_names_of(conn, row["admin_code"])
    return record


def romanize_text(text_: str, *, village: bool = False, unit: str | None = None) -> dict[str, Any]:
    """Plain and toned romanization of a name, its specific/generic split and the rule deciding each part;
    ``village`` writes a village's name as one word (1984 rules, rule 3); ``unit`` (an NBS code) is where the name
    lies, for the readings by place."""
    return romanize(names.normalize_query(text_), village=True if village else None, unit_code=unit).as_dict()


def place_name_count(conn: Connection) -> int:
    """Number of place-name records."""
    return queries.count_place_names(conn)


def create_place(
    conn: Connection,
    *,
    name: str,
    category: str,
    unit: str,
    point: GeoPoint | None = None,
    geometry: BaseGeometry | None = None,
    secrecy: str = "public",
    status: str = "standard",
    valid_from: date | None = None,
    tags: list[str] | None = None,
    texts: dict[str, str | None] | None = None,
    actor: str,
) -> dict[str, Any]:
    """Register a place name (not an administrative unit) in ``unit``, romanized and indexed; audited.
    ``texts`` may carry meaning, origin and history; the location is a point or a geometry (line, polygon…)."""
    clean = names.normalize_query(name)
    if status not in PLACE_STATUSES or secrecy not in SECRECY_LEVELS:
        raise InvalidInput(f"status {status!r} or secrecy {secrecy!r} is not known")
    code = normalize_code(unit)
    if boundaries.find_unit(conn, code) is None:
        raise InvalidInput(f"unit {unit!r} is not a current unit code")
    result = romanize(clean, unit_code=code)
    (place_name_id,) = queries.allocate_place_ids(conn, 1)
    row = {
        "id": place_name_id,
        "place_id": place_name_id,
        "name": clean,
        "romanization": result.plain,
        "romanization_toned": result.toned,
        "romanization_origin": result.origin,
        "category": names.check_category(category),
        "unit_code": code,
        "level_rank": names.NON_UNIT_RANK,
        "geom": located(conn, point, geometry, code),
        "status": status,
        "secrecy": secrecy,
        "tags": tags or [],
        "valid_from": valid_from or date.today(),
        **{k: (texts or {}).get(k) for k in ("meaning", "origin", "history")},
    }
    queries.copy_place_names(conn, [row])
    keys = names.search_keys(clean, None, result.plain, result.origin)
    queries.replace_keys(conn, [(place_name_id, k, kind) for k, kind in keys])
    audit.record(conn, actor=actor, action="create", object_type="place_name", object_id=str(place_name_id), after=row)
    return get_place(conn, place_name_id)


# --- editing: proposals, approval, updates, renames, retirements (optimistic concurrency, audited) ----------
def _record(conn: Connection, place_name_id: int, version: int) -> Any:
    row = queries.record_for_update(conn, place_name_id)
    if row is None:
        raise NotFound(f"no place name with id {place_name_id}")
    if row["version"] != version:
        raise Conflict(
            f"place name {place_name_id} is at version {row['version']}, not {version}: reload it and apply the change"
            " again",
            extra={"current_version": row["version"]},
        )
    return row


def _write(conn: Connection, row: Any, values: dict[str, Any], geom_ewkt: str | None = None) -> None:
    if not queries.update_record(conn, row["id"], row["version"], values, geom_ewkt):
        raise Conflict(f"place name {row['id']} changed meanwhile: reload it")


# --- lists and exports ---------------------------------------------------------------------------
def list_by_tag(
    conn: Connection, tag: str, *, unit: str | None = None, status: str | None = None, limit: int = 1000
) -> dict[str, Any]:
    """A thematic list: the place names carrying ``tag`` (e.g. 红色地名), with unit paths."""
    clean = tag.strip()
    if not clean or has_control_characters(clean) or len(clean) > 50:
        raise InvalidInput(f"tag {tag!r} is empty, too long or has control characters")
    rows = queries.places_by_tag(
        conn, clean, unit_prefix=_unit_prefix(conn, unit), statuses=_statuses(status), limit=limit
    )
    hits = []
    for row in rows:
        hit = _hit(row, "tag", 0)
        del hit["match"], hit["score"]
        hits.append(hit)
    _add_unit_paths(conn, hits, None)
    return {"tag": clean, "count": len(hits), "results": hits}


def located_standard_places(conn: Connection, *, unit: str, as_of: date | None = None) -> list[dict[str, Any]]:
    """The standard place names valid on the date (today) within ``unit`` that have a location, for maps: each
    with name, romanization, category, unit path, secrecy and its public point (generalised unless public)."""
    prefix = _unit_prefix(conn, unit) or ""
    hits = []
    for row in queries.standard_places_located(conn, prefix, as_of or date.today()):
        hit = _hit(row, "map", 0)
        del hit["match"], hit["score"]
        hit["secrecy"] = row["secrecy"]
        hits.append(hit)
    _add_unit_paths(conn, hits, as_of)
    return hits


def unit_standard_names(conn: Connection, codes: list[str], *, as_of: date | None = None) -> dict[str, dict[str, Any]]:
    """The standard place name and its plain romanization (the form signs and maps carry) of each unit of
    ``codes`` on the date (today), by unit code; units without a record are absent."""
    found = queries.unit_standard_names(conn, codes, as_of or date.today())
    return {code: {"name": row["name"], "romanization": row["romanization"]} for code, row in found.items()}
