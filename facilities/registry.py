"""Domain logic of the facility registry: CRUD, imports, population (no web framework here)."""

from __future__ import annotations

from datetime import date
from typing import Any

import shapely
from pydantic import ValidationError
from sqlalchemy.engine import Connection

from boundaries import service as boundaries
from core import audit
from core.errors import Conflict, InvalidInput, NotFound
from core.values import GeoPoint, normalize_code, significant_code
from facilities import queries, versions
from facilities.models import KIND_LABELS, STATUSES
from facilities.schemas import FacilityIn

CITY_CODE = "150600000000"  # the service area: a facility must lie inside a registered polygon of Ordos
CITY_PREFIX = significant_code(CITY_CODE)
OPTIONAL_FIELDS = (
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
    "valid_from",
    "unit_code",
)


def decode_text(content: bytes, name: str) -> str:
    """UTF-8 text of an uploaded file (a BOM is dropped), or InvalidInput naming the bad byte."""
    try:
        return content.decode("utf-8").lstrip("\ufeff")
    except UnicodeDecodeError as exc:
        raise InvalidInput(f"{name}: not UTF-8 (byte 0x{content[exc.start]:02x} at offset {exc.start})") from None


def _validation_message(exc: ValidationError) -> str:
    return "; ".join(
        f"{'.'.join(str(p) for p in err['loc']) or 'record'}: {err['msg']} (got {err.get('input')!r})"[:200]
        for err in exc.errors()
    )


def parse_facility(data: dict[str, Any]) -> FacilityIn:
    """A validated facility record, or InvalidInput naming each bad field."""
    try:
        return FacilityIn.model_validate(data)
    except ValidationError as exc:
        raise InvalidInput(_validation_message(exc)) from None


def locate(conn: Connection, point: GeoPoint, declared: str | None) -> tuple[str, str]:
    """The facility's unit and how it was found: the deepest registered polygon holding the point, or a deeper
    declared code that lies within it. A point outside Ordos or a declared unit elsewhere is refused."""
    units = [u for u in boundaries.units_at_point(conn, point) if u["code"].startswith(CITY_PREFIX)]
    if not units:
        raise InvalidInput(
            f"point lon {point.lon:.6f}, lat {point.lat:.6f} (EPSG:4490) lies outside Ordos "
            f"(no registered polygon of {CITY_CODE} holds it)"
        )
    deepest = units[0]
    if declared is None or not declared.strip():
        return deepest["code"], "polygon"
    code = normalize_code(declared)
    unit = boundaries.find_unit(conn, code)
    if unit is None:
        raise InvalidInput(f"declared unit_code {code} is not a current unit")
    if code.startswith(significant_code(deepest["code"])):
        return code, "polygon" if code == deepest["code"] else "declared"
    if deepest["code"].startswith(significant_code(code)):
        return deepest["code"], "polygon"
    raise InvalidInput(
        f"declared unit_code {code} ({unit['name']}) does not match the point, which lies in "
        f"{deepest['code']} ({deepest['name']})"
    )


def _record(conn: Connection, facility: FacilityIn, *, source: str | None, external_id: str | None) -> dict[str, Any]:
    point = GeoPoint.from_input(facility.lon, facility.lat, facility.crs)
    unit_code, method = locate(conn, point, facility.unit_code)
    record = facility.model_dump(exclude={"lon", "lat", "crs", "unit_code", "valid_from"})
    record.update(
        unit_code=unit_code, unit_method=method, lon=point.lon, lat=point.lat, source=source, external_id=external_id
    )
    return record


def to_public(row: Any) -> dict[str, Any]:
    """A stored facility as the API shows it."""
    out = dict(row)
    out["kind_label"] = KIND_LABELS[out["kind"]]
    return out


def plan_statement(
    conn: Connection, record: dict[str, Any], valid_from: date | None, old: Any | None
) -> tuple[dict[str, Any], list[versions.Version], bool]:
    """The facility row and dated versions after the statement ``record`` taking effect on ``valid_from`` (see
    facilities.versions), given the stored row ``old`` (None: a new facility), and whether anything changes.
    InvalidInput when it would overlap a recorded version; nothing is written."""
    today = date.today()
    stored = queries.facility_versions(conn, [old["id"]])[old["id"]] if old is not None else []
    history = versions.plan(stored, record, valid_from=valid_from, today=today)
    row = {**record, **versions.present(history, today)}
    return row, history, old is None or history != stored or not _same(old, row)


def _same(old: Any, record: dict[str, Any]) -> bool:
    for key, value in record.items():
        if key in ("lon", "lat"):
            if abs(float(old[key]) - float(value)) > 1e-9:
                return False
        elif old[key] != value:
            return False
    return True


def write_statement(
    conn: Connection, row: dict[str, Any], history: list[versions.Version], old: Any | None
) -> dict[str, Any]:
    """Write a planned statement (``plan_statement``): the facility inserted or its row replaced (version bumped),
    and its dated versions; returns the stored facility with its versions."""
    stored = (
        queries.insert_facility(conn, row)
        if old is None
        else queries.update_facility(conn, old["id"], old["version"], row)
    )
    if stored is None:  # cannot happen under the caller's row lock; kept as the guard of the rule
        raise Conflict("the facility changed meanwhile: read it again")
    queries.replace_versions(conn, stored["id"], history)
    return {**to_public(stored), "versions": history}


def create_facility(conn: Connection, data: FacilityIn, *, actor: str) -> dict[str, Any]:
    """Register a facility (unit found from its point or declared and checked) with its first dated version."""
    record = _record(conn, data, source=None, external_id=None)
    row, history, _ = plan_statement(conn, record, data.valid_from, None)
    after = write_statement(conn, row, history, None)
    audit.record(conn, actor=actor, action="create", object_type="facility", object_id=str(after["id"]), after=after)
    return after


def get_facility(conn: Connection, facility_id: int) -> dict[str, Any]:
    """One facility with its dated versions (oldest first), or NotFound."""
    row = queries.get_facility(conn, facility_id)
    if row is None:
        raise NotFound(f"no facility with id {facility_id}")
    return {**to_public(row), "versions": queries.facility_versions(conn, [facility_id])[facility_id]}


def list_facilities(
    conn: Connection,
    *,
    kind: str | None = None,
    unit: str | None = None,
    status: str | None = None,
    cemetery_type: str | None = None,
    as_of: date | None = None,
) -> list[dict[str, Any]]:
    """Facilities filtered by kind, unit (any level: the facilities within it), status and cemetery type: the
    register as it stands, or with ``as_of`` the facilities open on that day with that day's attributes (the
    version covering it, its ``valid_from``/``valid_to`` given)."""
    if kind is not None and kind not in KIND_LABELS:
        raise InvalidInput(f"kind {kind!r} is not one of {', '.join(KIND_LABELS)}")
    if status is not None and status not in STATUSES:
        raise InvalidInput(f"status {status!r} is not one of {', '.join(STATUSES)}")
    prefix = ""
    if unit:
        prefix = significant_code(boundaries.require_unit(conn, unit)["code"])
    day = None if as_of is None else versions.as_of_day(as_of)
    rows = queries.list_facilities(conn, kind=kind, prefix=prefix, status=status, cemetery_type=cemetery_type, on=day)
    return [to_public(r) for r in rows]


def update_facility(
    conn: Connection, facility_id: int, data: FacilityIn, version: int, *, actor: str
) -> dict[str, Any]:
    """Restate a facility read at ``version``: its attributes from ``valid_from`` (today when omitted) start a new
    dated version, or correct the one starting that day (facilities.versions); a stale version is refused (409)
    and nothing changes."""
    before = queries.get_facility(conn, facility_id, lock=True)
    if before is None:
        raise NotFound(f"no facility with id {facility_id}")
    if before["version"] != version:
        raise Conflict(f"facility {facility_id} is at version {before['version']}, not {version}: read it again")
    record = _record(conn, data, source=before["source"], external_id=before["external_id"])
    row, history, _ = plan_statement(conn, record, data.valid_from, before)
    old_versions = queries.facility_versions(conn, [facility_id])[facility_id]
    after = write_statement(conn, row, history, before)
    audit.record(
        conn,
        actor=actor,
        action="update",
        object_type="facility",
        object_id=str(facility_id),
        before={**dict(before), "versions": old_versions},
        after=after,
    )
    return after


def delete_facility(conn: Connection, facility_id: int, version: int, *, actor: str) -> None:
    """Delete a facility read at ``version``; a stale version is refused (409)."""
    before = queries.get_facility(conn, facility_id, lock=True)
    if before is None:
        raise NotFound(f"no facility with id {facility_id}")
    if before["version"] != version or not queries.delete_facility(conn, facility_id, version):
        raise Conflict(f"facility {facility_id} is at version {before['version']}, not {version}: read it again")
    audit.record(
        conn, actor=actor, action="delete", object_type="facility", object_id=str(facility_id), before=dict(before)
    )


def population(conn: Connection, *, unit: str = CITY_CODE, year: int | None = None) -> list[dict[str, Any]]:
    """The latest population figure of each unit within ``unit`` (not after ``year``)."""
    prefix = significant_code(boundaries.require_unit(conn, unit)["code"])
    return [dict(r) for r in queries.latest_population(conn, prefix, year)]


def published_collections(conn: Connection) -> list[dict[str, Any]]:
    """The collections this context publishes (see ogc.collections): the facility registry."""
    return [
        {
            "id": "facilities",
            "title": "Civil-affairs facilities",
            "description": "Funeral homes, cemeteries, eldercare institutions, community eldercare sites, child "
            "welfare institutions and individual graves (散埋乱葬, kind grave) with their unit; illustrative marks "
            "made-up records (demo, fixtures).",
            "sql": queries.PUBLISHED_FACILITIES,
            "properties": {
                "name": "string",
                "kind": "string",
                "cemetery_type": "string",
                "ownership": "string",
                "beds": "integer",
                "nursing_beds": "integer",
                "capacity": "integer",
                "infirmary": "boolean",
                "medical_contract": "boolean",
                "address": "string",
                "operator": "string",
                "status": "string",
                "opened_on": "date",
                "closed_on": "date",
                "unit_code": "string",
                "unit_method": "string",
                "illustrative": "boolean",
            },
            "geometry_type": "point",
        }
    ]


def node_id(lon: float, lat: float) -> int:
    """The network node of a vertex: its coordinates on a 1e-6 degree grid packed into one integer."""
    return round(lon * 1e6) * 1_000_000_000 + round(lat * 1e6)


def road_edges(features: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Road lines cut into vertex-to-vertex edges between grid nodes (shared vertices join lines)."""
    edges = []
    for feature in features:
        geom = shapely.from_wkb(feature["wkb"])
        lines = geom.geoms if geom.geom_type == "MultiLineString" else [geom]
        seq = 0
        for line in lines:
            coords = list(line.coords)
            for (x1, y1, *_), (x2, y2, *_) in zip(coords, coords[1:], strict=False):
                source, target = node_id(x1, y1), node_id(x2, y2)
                if source == target:
                    continue
                seq += 1
                segment = shapely.LineString([(x1, y1), (x2, y2)])
                edges.append(
                    {
                        "feature_id": feature["feature_id"],
                        "seq": seq,
                        "source": source,
                        "target": target,
                        "wkb": shapely.to_wkb(segment),
                    }
                )
    return edges


def write_back(conn: Connection, action: str, before: dict[str, Any] | None, after: dict[str, Any] | None) -> bool:
    """Write a logged facility create/update/delete back as logged (the audit-log replay): the row of ``after``
    with its id and version; False when the target does not hold the logged state ``before``."""
    if action == "create" and after is not None:
        queries.insert_logged_facility(conn, after)
        _write_back_versions(conn, after)
        return True
    if before is None:
        return False
    if action == "update" and after is not None:
        written = queries.overwrite_logged_facility(conn, after, before["version"])
        if written:
            _write_back_versions(conn, after)
        return written
    return action == "delete" and queries.delete_facility(conn, int(before["id"]), before["version"])


def _write_back_versions(conn: Connection, after: dict[str, Any]) -> None:
    """The logged dated versions (entries logged before they existed carry none: one version from the opening)."""
    logged = after.get("versions")
    if logged is None:
        logged = [{"valid_from": after.get("opened_on"), "valid_to": after.get("closed_on"), **after}]
    queries.replace_versions(conn, int(after["id"]), logged)
