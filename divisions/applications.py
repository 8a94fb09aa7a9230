"""Division-change applications: the draft and its validation (units touched, proposed units and codes, villages,
territory), reading, listing and the workflow draft → submitted → approved (→ applied, see apply.py), withdrawn or
sent back to draft while not applied; optimistic versions, audited (domain logic; no web framework here)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any

import shapely
from shapely.geometry import mapping
from shapely.geometry.base import BaseGeometry
from sqlalchemy.engine import Connection

from boundaries import service as boundaries
from core import audit
from core.errors import Conflict, InvalidInput, NotFound
from core.imports import has_control_characters
from core.values import level_of_code, normalize_code
from divisions import queries, rules
from divisions.models import STATUSES

EARLIEST_EFFECTIVE = date(1949, 10, 1)  # the division records start with the People's Republic


def _clean(name: str, value: str, maximum: int) -> str:
    cleaned = value.strip()
    if not cleaned or len(cleaned) > maximum or has_control_characters(cleaned):
        raise InvalidInput(f"{name} {value[:60]!r} must be 1–{maximum} characters on one line")
    return cleaned


def touched_units(conn: Connection, touched: Sequence[str], day: date) -> dict[str, dict[str, Any]]:
    """The township-level units ``touched`` valid on ``day`` (the day before the change), by code: 422 for a code
    that is not a township code, 404 for one not valid then."""
    found: dict[str, dict[str, Any]] = {}
    for raw in touched:
        code = normalize_code(raw)
        if level_of_code(code) != "township":
            raise InvalidInput(
                f"code {code} is a {level_of_code(code)} code: an application touches township-level units"
            )
        if code in found:
            raise InvalidInput(f"unit {code} is named twice in touched")
        unit = boundaries.find_unit(conn, code, as_of=day)
        if unit is None:
            raise NotFound(f"no township-level unit {code} valid on {day} (the day before the change)")
        found[code] = unit
    if len({code[:6] for code in found}) > 1:
        raise InvalidInput("the touched units lie in different counties: one application changes one county's units")
    return found


def villages_of(conn: Connection, codes: Sequence[str], day: date) -> dict[str, list[str]]:
    """The village codes of each unit on ``day``."""
    return {
        code: [v["code"] for v in boundaries.get_children(conn, code, as_of=day) if v["level"] == "village"]
        for code in codes
    }


def territory_plan(
    kind: str,
    touched: Sequence[str],
    units: Sequence[dict[str, Any]],
    villages: dict[str, list[str]],
    unit_polygons: dict[str, BaseGeometry],
    village_polygons: dict[str, BaseGeometry],
) -> list[tuple[str, BaseGeometry | None]]:
    """Where each proposed unit's new registered polygon comes from, and that polygon: ``drawn`` (its own),
    ``villages`` (the union of its villages' polygons), ``units`` (the union of the whole touched units whose
    villages it gets), ``unchanged`` (a rename: territory as it was) or ``none`` (the touched units have no
    polygon either). 422 when a polygon is needed and none can be built."""
    plan: list[tuple[str, BaseGeometry | None]] = []
    for unit in units:
        own = set(unit["villages"])
        whole = [c for c in touched if villages[c] and set(villages[c]) <= own]
        whole_villages = {v for c in whole for v in villages[c]}
        if kind == "rename":
            plan.append(("unchanged", None))
        elif unit["geom"] is not None:
            plan.append(("drawn", unit["geom"]))
        elif own and all(v in village_polygons for v in own):
            plan.append(("villages", shapely.union_all([village_polygons[v] for v in sorted(own)])))
        elif len(units) == 1 and all(c in unit_polygons for c in touched):
            plan.append(("units", shapely.union_all([unit_polygons[c] for c in touched])))
        elif whole and whole_villages == own and all(c in unit_polygons for c in whole):
            plan.append(("units", shapely.union_all([unit_polygons[c] for c in whole])))
        elif not unit_polygons:
            plan.append(("none", None))
        else:
            raise InvalidInput(
                f"proposed unit {unit['name']}: give its polygon (geometry) or allocate villages with registered "
                "polygons (or whole touched units) to it, so that its new registered polygon can be built"
            )
    return plan


def _check_shape(kind: str, touched: dict[str, dict[str, Any]], units: list[dict[str, Any]]) -> None:
    """The numbers of touched and proposed units and the codes each kind of change needs."""
    kept = [u for u in units if u["code_kept"]]
    new = [u for u in units if not u["code_kept"]]
    n_touched, n_units = len(touched), len(units)
    single = next(iter(touched.values()))
    problems = {
        "rename": n_touched != 1 or n_units != 1 or len(kept) != 1 or units[0]["name"] == single["name"],
        "upgrade": n_touched != 1 or n_units != 1 or (single["kind"], units[0]["kind"]) not in rules.UPGRADES,
        "merge": n_touched < 2 or n_units != 1,
        "split": n_touched != 1 or n_units < 2,
        "set_up": not new,
        "abolish": bool(new) or len(kept) == n_touched,
    }
    needs = {
        "rename": "one touched unit, one proposed unit keeping its code under a new name",
        "upgrade": "one touched unit and one proposed unit, kinds "
        + ", ".join(f"{a}→{b}" for a, b in sorted(rules.UPGRADES)),
        "merge": "two or more touched units and one proposed unit",
        "split": "one touched unit and two or more proposed units",
        "set_up": "at least one proposed unit with a new code (no code given)",
        "abolish": "proposed units that all keep touched codes, at least one touched unit left out (abolished)",
    }
    if problems[kind]:
        raise InvalidInput(f"a {kind} application needs {needs[kind]}")


def _allocate(units: list[dict[str, Any]], villages: dict[str, list[str]], day: date) -> None:
    """Fill or check each proposed unit's villages: every village of the touched units goes to exactly one."""
    every = [v for code in villages for v in villages[code]]
    if not any(u["villages"] for u in units):
        if len(units) == 1:
            units[0]["villages"] = sorted(every)
            return
        if every:
            raise InvalidInput(f"allocate the {len(every)} villages of the touched units between the proposed units")
        return
    seen: dict[str, str] = {}
    for unit in units:
        unit["villages"] = [normalize_code(v) for v in unit["villages"]]
        for village in unit["villages"]:
            if village not in every:
                raise InvalidInput(f"{village} is not a village of the touched units on {day}")
            if village in seen:
                raise InvalidInput(f"village {village} is allocated twice ({seen[village]} and {unit['name']})")
            seen[village] = unit["name"]
    missing = [v for v in every if v not in seen]
    if missing:
        raise InvalidInput(
            f"{len(missing)} village(s) of the touched units are not allocated: {', '.join(missing[:5])}"
        )


def create_application(
    conn: Connection,
    *,
    kind: str,
    title: str,
    touched: Sequence[str],
    proposed: Sequence[dict[str, Any]],
    effective_date: date,
    documents: Sequence[dict[str, Any]] = (),
    relaxation_ground: str | None = None,
    note: str = "",
    actor: str,
) -> dict[str, Any]:
    """A draft application, checked: touched township units valid the day before ``effective_date`` (404), kept
    codes among them and in their kind's range, new codes given by the coding rule, villages allocated once, a way
    to build each new polygon; 422 naming the first problem, nothing written."""
    if effective_date < EARLIEST_EFFECTIVE:
        raise InvalidInput(f"effective_date {effective_date} is before {EARLIEST_EFFECTIVE}")
    day = effective_date - timedelta(days=1)
    found = touched_units(conn, touched, day)
    codes = list(found)
    county = codes[0][:6] + "000000"
    boundaries.require_unit(conn, county, day)
    used = boundaries.codes_ever_used(conn, county[:6], "township") | queries.proposed_new_codes(conn, county[:6])
    units: list[dict[str, Any]] = []
    for position, raw in enumerate(proposed):
        name = _clean("name", raw["name"], 50)
        kind_p = raw["kind"]
        low, high = rules.code_range(kind_p)
        if raw.get("code"):
            code = normalize_code(raw["code"])
            if code not in found:
                raise InvalidInput(f"code {code} is not a touched unit's: a kept code is one of {', '.join(codes)}")
            if any(u["code"] == code for u in units):
                raise InvalidInput(f"code {code} is kept by two proposed units")
            if not rules.code_fits(code, kind_p):
                raise InvalidInput(
                    f"code {code} is outside the {kind_p} range {low:03d}-{high:03d} ({rules.CODE_SOURCE}): "
                    "leave code out to get a new one"
                )
        else:
            code = rules.next_code(county, kind_p, used)
            used.add(code)
        geom = None
        if raw.get("geometry") is not None:
            if not raw.get("crs"):
                raise InvalidInput(f"proposed unit {name}: the polygon states no CRS: give crs (e.g. EPSG:4490)")
            geom = boundaries.polygon_from_geojson(code, raw["geometry"], raw["crs"])
        units.append(
            {
                "position": position,
                "code": code,
                "code_kept": bool(raw.get("code")),
                "name": name,
                "kind": kind_p,
                "seat": _clean("seat", raw["seat"], 200) if raw.get("seat") else None,
                "figures": {k: v for k, v in (raw.get("figures") or {}).items() if v is not None},
                "villages": list(raw.get("villages") or []),
                "geom": geom,
            }
        )
    _check_shape(kind, found, units)
    villages = villages_of(conn, codes, day)
    _allocate(units, villages, day)
    every = [v for c in codes for v in villages[c]]
    territory_plan(
        kind,
        codes,
        units,
        villages,
        boundaries.registered_polygons(conn, codes, day),
        boundaries.registered_polygons(conn, every, day),
    )
    if relaxation_ground is not None and relaxation_ground not in rules.RELAXATION_GROUNDS:
        raise InvalidInput(
            f"relaxation_ground {relaxation_ground!r} is not a ground of the 1984 report (三): "
            + ", ".join(rules.RELAXATION_GROUNDS)
        )
    values = {
        "kind": kind,
        "title": _clean("title", title, 300),
        "county_code": county,
        "touched_codes": codes,
        "effective_date": effective_date,
        "documents": json.dumps(list(documents), ensure_ascii=False, default=str),
        "relaxation_ground": relaxation_ground,
        "note": note.strip(),
        "created_by": actor,
    }
    stored = [{**u, "figures": json.dumps(u["figures"], ensure_ascii=False)} for u in units]
    application_id = queries.insert_application(conn, values, stored)
    after = {
        **values,
        "documents": list(documents),
        "proposed": [{k: v for k, v in u.items() if k != "geom"} for u in units],
    }
    audit.record(
        conn,
        actor=actor,
        action="create",
        object_type="division_application",
        object_id=str(application_id),
        after=after,
    )
    return get_application(conn, application_id)


def open_cases(conn: Connection, codes: Sequence[str]) -> list[dict[str, Any]]:
    """The dispute cases not yet resolved that name one of ``codes`` (an application touching them is flagged)."""
    cases: dict[int, dict[str, Any]] = {}
    for code in codes:
        for case in boundaries.list_cases(conn, unit=code):
            if case["status"] in boundaries.OPEN_DISPUTE_STATUSES:
                cases[case["id"]] = {
                    "kind": "open_dispute",
                    "case_id": case["id"],
                    "status": case["status"],
                    "title": case["title"],
                    "units": case["units"],
                }
    return [cases[k] for k in sorted(cases)]


def _proposed_out(row: Any) -> dict[str, Any]:
    return {
        "position": row["position"],
        "code": row["code"],
        "code_kept": row["code_kept"],
        "name": row["name"],
        "kind": row["kind"],
        "seat": row["seat"],
        "figures": row["figures"],
        "villages": list(row["villages"]),
        "geometry": mapping(shapely.from_wkb(row["wkb"])) if row["wkb"] else None,
    }


def application_out(conn: Connection, row: Any) -> dict[str, Any]:
    """An application as answered: its touched units (as they were the day before), proposed units, state,
    approval and flags (open dispute cases on a touched unit)."""
    day = row["effective_date"] - timedelta(days=1)
    names = boundaries.find_units(conn, list(row["touched_codes"]), as_of=day)
    return {
        "id": row["id"],
        "kind": row["kind"],
        "title": row["title"],
        "county_code": row["county_code"],
        "touched": [names.get(code, {"code": code}) for code in row["touched_codes"]],
        "proposed": [_proposed_out(p) for p in queries.proposed_units(conn, row["id"])],
        "effective_date": row["effective_date"],
        "status": row["status"],
        "documents": row["documents"],
        "relaxation_ground": row["relaxation_ground"],
        "note": row["note"],
        "approval": None
        if row["approved_by"] is None
        else {k: row[k] for k in ("approved_by", "approving_body", "document_number", "approval_date")},
        "applied_by": row["applied_by"],
        "applied_at": row["applied_at"],
        "result": row["result"],
        "created_by": row["created_by"],
        "created_at": row["created_at"],
        "version": row["version"],
        "flags": open_cases(conn, list(row["touched_codes"])),
    }


def require_application(conn: Connection, application_id: int, *, lock: bool = False) -> Any:
    """The stored application, or NotFound."""
    row = queries.application(conn, application_id, lock=lock)
    if row is None:
        raise NotFound(f"no division-change application {application_id}")
    return row


def get_application(conn: Connection, application_id: int) -> dict[str, Any]:
    """One application."""
    return application_out(conn, require_application(conn, application_id))


def list_applications(
    conn: Connection, *, status: str | None = None, unit: str | None = None, limit: int = 50
) -> list[dict[str, Any]]:
    """Applications by status and by unit (touched, proposed, or their county), newest first; a unit that never had
    a version and that no application names is unknown (404)."""
    if status is not None and status not in STATUSES:
        raise InvalidInput(f"status {status!r} is not one of {', '.join(STATUSES)}")
    code = normalize_code(unit) if unit else None
    rows = queries.applications(conn, status, code, limit)
    if code and not rows and code not in boundaries.codes_ever_used(conn, code, level_of_code(code)):
        raise NotFound(f"no unit with code {code}")  # as every list filtered by unit answers
    return [application_out(conn, row) for row in rows]


def transition(
    conn: Connection,
    application_id: int,
    *,
    version: int,
    allowed: Sequence[str],
    status: str,
    values: dict[str, Any] | None = None,
    action: str,
    actor: str,
) -> dict[str, Any]:
    """Move an application from one of ``allowed`` to ``status`` at ``version`` (409 when stale or in another
    state), writing ``values``; audited."""
    row = require_application(conn, application_id, lock=True)
    if row["version"] != version:
        raise Conflict(
            f"application {application_id} is at version {row['version']}, not {version}: reload it and try again",
            extra={"current_version": row["version"]},
        )
    if row["status"] not in allowed:
        raise Conflict(f"application {application_id} is {row['status']}: {action} needs it {' or '.join(allowed)}")
    written = {"status": status, **(values or {})}
    if not queries.update_state(conn, application_id, version, written):
        raise Conflict(f"application {application_id} changed meanwhile: reload it")
    audit.record(
        conn,
        actor=actor,
        action=action,
        object_type="division_application",
        object_id=str(application_id),
        before={"status": row["status"], "version": row["version"]},
        after={k: v for k, v in written.items() if k != "result"},
    )
    return get_application(conn, application_id)


def submit(conn: Connection, application_id: int, *, version: int, actor: str) -> dict[str, Any]:
    """draft → submitted."""
    return transition(
        conn, application_id, version=version, allowed=("draft",), status="submitted", action="submit", actor=actor
    )


def approve(
    conn: Connection,
    application_id: int,
    *,
    version: int,
    approving_body: str,
    document_number: str,
    approval_date: date,
    actor: str,
) -> dict[str, Any]:
    """submitted → approved, with the approving body, the 批准文号 and the date (not in the future)."""
    if approval_date > date.today():
        raise InvalidInput(f"approval_date {approval_date} is in the future")
    values = {
        "approved_by": actor,
        "approving_body": _clean("approving_body", approving_body, 200),
        "document_number": _clean("document_number", document_number, 100),
        "approval_date": approval_date,
    }
    return transition(
        conn,
        application_id,
        version=version,
        allowed=("submitted",),
        status="approved",
        values=values,
        action="approve",
        actor=actor,
    )


def withdraw(conn: Connection, application_id: int, *, version: int, actor: str) -> dict[str, Any]:
    """Any state before applied → withdrawn (kept, its new codes freed)."""
    return transition(
        conn,
        application_id,
        version=version,
        allowed=("draft", "submitted", "approved"),
        status="withdrawn",
        action="withdraw",
        actor=actor,
    )


def revert(conn: Connection, application_id: int, *, version: int, actor: str) -> dict[str, Any]:
    """submitted or approved → draft again (the approval is cleared)."""
    cleared = {"approved_by": None, "approving_body": None, "document_number": None, "approval_date": None}
    return transition(
        conn,
        application_id,
        version=version,
        allowed=("submitted", "approved"),
        status="draft",
        values=cleared,
        action="revert",
        actor=actor,
    )
