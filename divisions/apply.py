"""Applying an approved division change, in the caller's one transaction: dated unit versions (valid from the
effective date), the old versions closed, villages re-parented, new registered polygons (drawn, or the union of
the villages or whole units allocated), the changed boundary lines derived again, and the place names' events
(命名/更名/销名) citing the approval through the gazetteer; audited as one change."""

from __future__ import annotations

import json
from datetime import date, timedelta
from typing import Any

import shapely
from sqlalchemy.engine import Connection

from boundaries import service as boundaries
from core import audit
from core.errors import Conflict, NotFound
from core.geodesy import geodesic_area_m2
from divisions import queries
from divisions.applications import get_application, require_application, territory_plan, touched_units, villages_of
from gazetteer import service as gazetteer


def _statistical_name(current: dict[str, Any] | None, name: str, kind: str) -> str:
    """The unit's name in the code list: a kept unit whose statistical name is the proposed name with a longer
    generic (…街道办事处 for …街道) and the same kind keeps it; otherwise the proposed name."""
    if current is not None and current["kind"] == kind and current["name"].startswith(name):
        return str(current["name"])
    return name


def apply_application(conn: Connection, application_id: int, *, version: int, actor: str) -> dict[str, Any]:
    """approved → applied: write the change (module docstring) from the effective date; 409 when the application
    is stale or not approved, takes effect after today, or the units changed since it was drawn up (nothing written
    then). An approved change waits for its day: the place names' events change their status when written, so a
    change applied ahead of time would show today's names as historic."""
    row = require_application(conn, application_id, lock=True)
    if row["version"] != version:
        raise Conflict(
            f"application {application_id} is at version {row['version']}, not {version}: reload it and try again",
            extra={"current_version": row["version"]},
        )
    if row["status"] != "approved":
        raise Conflict(f"application {application_id} is {row['status']}: only an approved application is applied")
    effective = row["effective_date"]
    if effective > date.today():
        raise Conflict(
            f"application {application_id} takes effect on {effective}: it is applied on or after that day "
            "(approved, it waits; the place names would otherwise read as historic before the change)"
        )
    day = effective - timedelta(days=1)
    codes = list(row["touched_codes"])
    county = row["county_code"]
    try:
        found = touched_units(conn, codes, day)
    except NotFound as exc:
        raise Conflict(f"the units changed since the application: {exc.detail}") from None
    units = [
        {**dict(u), "geom": shapely.from_wkb(u["wkb"]) if u["wkb"] else None}
        for u in queries.proposed_units(conn, application_id)
    ]
    villages = villages_of(conn, codes, day)
    every = {v for c in codes for v in villages[c]}
    allocated = {v for u in units for v in u["villages"]}
    if allocated != every:
        raise Conflict(
            f"the villages of the touched units changed since the application ({len(every)} now, {len(allocated)} "
            "allocated): withdraw it and draw up a new one"
        )
    used = boundaries.codes_ever_used(conn, county[:6], "township")
    taken = [u["code"] for u in units if not u["code_kept"] and u["code"] in used]
    if taken:
        raise Conflict(f"new code(s) {', '.join(taken)} were given meanwhile: withdraw and draw up again")
    plan = territory_plan(
        row["kind"],
        codes,
        units,
        villages,
        boundaries.registered_polygons(conn, codes, day),
        boundaries.registered_polygons(conn, sorted(every), day),
    )
    kept = {u["code"] for u in units if u["code_kept"]}
    abolished = [c for c in codes if c not in kept]
    closed = boundaries.close_units(conn, abolished, effective)
    parent_now = {v: c for c in codes for v in villages[c]}
    village_rows = {v["code"]: v for c in codes for v in boundaries.get_children(conn, c, as_of=day)}
    moved = [(v, u["code"]) for u in units for v in u["villages"] if parent_now[v] != u["code"]]
    township_rows = [
        {
            "code": u["code"],
            "name": _statistical_name(found.get(u["code"]), u["name"], u["kind"]),
            "level": "township",
            "kind": u["kind"],
            "parent_code": county,
        }
        for u in units
    ]
    moved_rows = [{**village_rows[v], "level": "village", "parent_code": parent} for v, parent in moved]
    versions = boundaries.write_unit_versions(conn, township_rows + moved_rows, effective)
    source = f"application-{application_id}"
    polygons = []
    for unit, (how, geom) in zip(units, plan, strict=True):
        if geom is not None:
            written = boundaries.replace_registered_polygon(
                conn, unit["code"], geom, source=source, valid_from=effective
            )
            polygons.append(
                {"code": unit["code"], "from": how, "id": written["id"], "area_km2": geodesic_area_m2(geom) / 1e6}
            )
    closed_polygons = boundaries.close_registered_polygons(conn, abolished, effective)
    lines = None
    if polygons:
        lines = boundaries.rederive_lines(
            conn, parent=county, level="township", as_of=effective, abolished=abolished, actor=actor
        )
    approval = {k: row[k] for k in ("approving_body", "document_number", "approval_date")}
    if row["kind"] == "upgrade":  # the place continues under its new kind and code: 更名 with a recode
        renamed, retired, named = [(codes[0], units[0]["code"], units[0]["name"])], [], []
    else:
        renamed = [(u["code"], u["code"], u["name"]) for u in units if u["code_kept"]]
        retired, named = abolished, [u["code"] for u in units if not u["code_kept"]]
    events = gazetteer.record_unit_changes(
        conn,
        effective=effective,
        approval=approval,
        renamed=renamed,
        named=named,
        retired=retired,
        moved=moved,
        source=f"division-application-{application_id}",
        actor=actor,
    )
    result = {
        "effective_date": effective,
        "units_closed": [r["code"] for r in closed],
        "unit_versions": versions,
        "villages_moved": len(moved),
        "polygons": polygons,
        "polygons_closed": [c["id"] for c in closed_polygons],
        "lines": None
        if lines is None
        else {k: lines[k] for k in ("lines", "inserted", "updated", "deleted", "kept_with_markers")},
        "name_events": events,
    }
    stored = json.loads(json.dumps(result, ensure_ascii=False, default=str))
    if not queries.update_state(
        conn, application_id, version, {"status": "applied", "applied_by": actor, "result": json.dumps(stored)}
    ):
        raise Conflict(f"application {application_id} changed meanwhile: reload it")
    audit.record(
        conn,
        actor=actor,
        action="apply",
        object_type="division_application",
        object_id=str(application_id),
        before={"status": "approved", "version": version, "touched": codes},
        after=stored,
    )
    return get_application(conn, application_id)
