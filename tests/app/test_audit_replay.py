"""Every change is reconstructible from the audit log: writes through the API, then the state at the start
plus the log's before/after, replayed in order, must equal the tables. Facilities and polygons are hand-made
fixtures (illustrative)."""

from __future__ import annotations

import json
from typing import Any

import httpx
import shapely
from shapely.geometry import shape
from sqlalchemy import Engine, text

from core import auth
from core.database import transaction
from facilities import registry as facilities

SQUARE = [[109.77, 39.60], [109.79, 39.60], [109.79, 39.62], [109.77, 39.62], [109.77, 39.60]]
FACILITY = {"kind": "eldercare_institution", "beds": 40, "lon": 109.78, "lat": 39.61, "crs": "EPSG:4490"}


def plain(value: Any) -> Any:
    """The value as the audit stores it (JSON, dates and times as text)."""
    return json.loads(json.dumps(value, ensure_ascii=False, default=str))


def facility_table(engine: Engine) -> dict[str, dict[str, Any]]:
    with engine.connect() as conn:
        # each facility with its dated versions (facility_version), as create/update log them
        return {
            str(row["id"]): plain(facilities.get_facility(conn, row["id"])) for row in facilities.list_facilities(conn)
        }


def polygon_table(engine: Engine) -> dict[str, dict[str, Any]]:
    with engine.connect() as conn:
        query = text(
            "SELECT id, unit_code, source, status, valid_from, valid_to, ST_AsBinary(geom) AS wkb FROM unit_polygon"
        )
        rows = conn.execute(query).mappings()
        return {
            str(row["id"]): plain({k: v for k, v in row.items() if k != "wkb"})
            | {"geometry": comparable(shapely.from_wkb(row["wkb"]))}
            for row in rows
        }


def comparable(geometry: Any) -> str:
    """A geometry as normalised WKT, so the stored and the logged forms compare equal."""
    return str(shapely.to_wkt(shapely.normalize(geometry), rounding_precision=9))


def audit_since(engine: Engine, last_id: int) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        rows = conn.execute(
            text("SELECT action, object_type, object_id, before, after FROM audit_log WHERE id > :id ORDER BY id"),
            {"id": last_id},
        ).mappings()
        return [dict(r) for r in rows]


def replay(
    log: list[dict[str, Any]], facility_state: dict[str, dict[str, Any]], polygon_state: dict[str, dict[str, Any]]
) -> None:
    """Apply the log's entries, in order, to the states taken at the start."""
    for entry in log:
        if entry["object_type"] == "facility":
            if entry["action"] in ("create", "update"):
                facility_state[entry["object_id"]] = entry["after"]
            elif entry["action"] == "delete":
                assert facility_state.pop(entry["object_id"])["version"] == entry["before"]["version"]
            else:
                raise AssertionError(f"facility write {entry['action']!r} cannot be replayed")
        elif entry["object_type"] == "unit_polygon" and entry["action"] == "create":
            after = entry["after"]
            if entry["before"] is not None:  # the registered polygon this one closed on its start date
                polygon_state[str(entry["before"]["id"])]["valid_to"] = after["valid_from"]
            polygon_state[entry["object_id"]] = {
                key: after[key] for key in ("id", "unit_code", "source", "status", "valid_from")
            } | {"valid_to": None, "geometry": comparable(shape(after["geometry"]))}
        else:
            raise AssertionError(f"no replay rule for {entry['object_type']} {entry['action']}")


def test_replaying_the_audit_log_rebuilds_the_tables(api: httpx.Client, ordos_engine: Engine) -> None:
    with transaction(ordos_engine) as conn:
        editor = {"X-API-Key": auth.create_user(conn, "ed", "editor")}
        approver = {"X-API-Key": auth.create_user(conn, "appr", "approver")}
    with ordos_engine.connect() as conn:
        last_id = conn.execute(text("SELECT coalesce(max(id), 0) FROM audit_log")).scalar_one()
    start_facilities, start_polygons = facility_table(ordos_engine), polygon_table(ordos_engine)

    ids = []
    for number in range(3):
        created = api.post("/api/v1/facilities", headers=editor, json={**FACILITY, "name": f"回放养老院{number}"})
        assert created.status_code == 201, created.text
        ids.append(created.json()["id"])
    for version, beds in ((1, 60), (2, 80)):
        body = {**FACILITY, "name": "回放养老院0", "beds": beds, "version": version}
        assert api.put(f"/api/v1/facilities/{ids[0]}", headers=editor, json=body).status_code == 200
    moved = {**FACILITY, "name": "回放养老院1(迁址)", "lon": 109.785, "lat": 39.615, "version": 1}
    assert api.put(f"/api/v1/facilities/{ids[1]}", headers=editor, json=moved).status_code == 200
    assert api.delete(f"/api/v1/facilities/{ids[2]}", headers=editor, params={"version": 1}).status_code == 204
    stale = api.put(f"/api/v1/facilities/{ids[0]}", headers=editor, json={**FACILITY, "name": "x", "version": 1})
    assert stale.status_code == 409  # refused: leaves no audit row and nothing to replay
    for status, source, day, key in (
        ("draft", "replay-draft", "2026-01-01", editor),
        ("registered", "replay-survey-1", "2026-03-01", approver),
        ("registered", "replay-survey-2", "2026-09-01", approver),
    ):
        body = {"geometry": {"type": "Polygon", "coordinates": [SQUARE]}, "crs": "EPSG:4490"}
        body |= {"source": source, "status": status, "valid_from": day}
        answer = api.post("/api/v1/units/150603/polygons", headers=key, json=body)
        assert answer.status_code == 201, answer.text

    log = audit_since(ordos_engine, last_id)
    assert [(e["object_type"], e["action"]) for e in log] == [("facility", "create")] * 3 + [
        ("facility", "update")
    ] * 3 + [("facility", "delete")] + [("unit_polygon", "create")] * 3
    facility_state, polygon_state = dict(start_facilities), {k: dict(v) for k, v in start_polygons.items()}
    replay(log, facility_state, polygon_state)
    assert facility_state == facility_table(ordos_engine)
    assert polygon_state == polygon_table(ordos_engine)
    assert polygon_state != start_polygons and facility_state != start_facilities
