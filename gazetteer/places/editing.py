"""The editing lifecycle of a place name: proposals, approval, updates, renames and retirements (optimistic concurrency,
audited)."""

from __future__ import annotations

from datetime import date
from typing import Any, NamedTuple

from shapely.geometry.base import BaseGeometry
from sqlalchemy.engine import Connection

from core import audit
from core.errors import Conflict, Forbidden, InvalidInput, NotFound
from core.values import GeoPoint, parse_date
from gazetteer.places import names, queries, secrecy_queries
from gazetteer.places.geometry import located
from gazetteer.places.models import PROPOSAL_STATUSES, SECRECY_LEVELS, lowers_secrecy
from gazetteer.places.service import _record, _write, create_place, get_place
from gazetteer.romanization.service import romanize


def _public_fields(row: Any) -> dict[str, Any]:
    return {k: row[k] for k in queries.PLACE_FIELDS if k in row and k != "geom"}


def propose_place(
    conn: Connection,
    *,
    name: str,
    category: str,
    unit: str,
    point: GeoPoint | None = None,
    geometry: BaseGeometry | None = None,
    meaning: str | None = None,
    origin: str | None = None,
    history_text: str | None = None,
    tags: list[str] | None = None,
    secrecy: str = "public",
    actor: str,
) -> dict[str, Any]:
    """A new name proposal (status ``proposed``) for an approver to approve; romanized and indexed."""
    return create_place(
        conn,
        name=name,
        category=category,
        unit=unit,
        point=point,
        geometry=geometry,
        secrecy=secrecy,
        status="proposed",
        tags=tags,
        texts={"meaning": meaning, "origin": origin, "history": history_text},
        actor=actor,
    )


class Update(NamedTuple):
    """What :func:`update_place` did: wrote the record (``applied``; ``answer`` is the record) or, for a lowering of
    its secrecy, filed a proposal for an approver (``answer`` is the pending proposal; the record is unchanged)."""

    answer: dict[str, Any]
    applied: bool


def update_place(
    conn: Connection,
    place_name_id: int,
    *,
    version: int,
    changes: dict[str, Any],
    point: GeoPoint | None = None,
    geometry: BaseGeometry | None = None,
    actor: str,
) -> Update:
    """Change the descriptive fields of a record (not its name: rename does that) at ``version``.

    Raising the secrecy (密级) is a change like any other. Lowering it (to public, or secret to internal) is not
    written: it becomes a pending proposal that an approver other than ``actor`` must approve (two-person rule,
    :func:`decide_secrecy_proposal`). A lowering travels alone: with other changes it is refused (422), nothing
    written, so a PATCH is applied whole or not at all.
    """
    unknown = set(changes) - set(queries.EDITABLE_FIELDS)
    if unknown:
        raise InvalidInput(
            f"field(s) {', '.join(sorted(unknown))} cannot be changed here; editable: "
            f"{', '.join(queries.EDITABLE_FIELDS)} (the name changes through rename)"
        )
    if not changes and point is None and geometry is None:
        raise InvalidInput("nothing to change")
    if "category" in changes:
        names.check_category(changes["category"])
    if "secrecy" in changes and changes["secrecy"] not in SECRECY_LEVELS:
        raise InvalidInput(f"secrecy {changes['secrecy']!r} is not one of {', '.join(SECRECY_LEVELS)}")
    if "approval_date" in changes:
        changes["approval_date"] = parse_date(changes["approval_date"], "approval_date")
    row = _record(conn, place_name_id, version)
    if row["status"] in ("retired", "historic"):
        raise Conflict(f"place name {place_name_id} is {row['status']}: it is kept as it was")
    if "secrecy" in changes and lowers_secrecy(row["secrecy"], changes["secrecy"]):
        if len(changes) > 1 or point is not None or geometry is not None:
            raise InvalidInput(
                f"lowering the secrecy of place name {place_name_id} ({row['secrecy']} → {changes['secrecy']}) is a "
                "proposal an approver must approve: send it alone, without other changes; nothing was written"
            )
        return Update(_propose_secrecy(conn, row, changes["secrecy"], actor), applied=False)
    geom = located(conn, point, geometry, row["unit_code"] or row["admin_code"])
    _write(conn, row, changes, geom)
    audit.record(
        conn,
        actor=actor,
        action="update",
        object_type="place_name",
        object_id=str(place_name_id),
        before=_public_fields(row),
        after={**changes, "geometry": geom},
    )
    return Update(get_place(conn, place_name_id), applied=True)


def _propose_secrecy(conn: Connection, row: Any, secrecy: str, actor: str) -> dict[str, Any]:
    """File the proposal to lower the record's secrecy to ``secrecy`` (at most one pending per record); audited."""
    pending = secrecy_queries.proposals(conn, place_name_id=row["id"], status="pending")
    if pending:
        raise Conflict(
            f"proposal {pending[0]['id']} by {pending[0]['proposed_by']} to lower the secrecy of place name "
            f"{row['id']} to {pending[0]['to_secrecy']} is pending: an approver approves or rejects it first",
            extra={"proposal_id": pending[0]["id"]},
        )
    proposal_id = secrecy_queries.insert_proposal(conn, row["id"], row["secrecy"], secrecy, row["version"], actor)
    audit.record(
        conn,
        actor=actor,
        action="propose_secrecy",
        object_type="place_name",
        object_id=str(row["id"]),
        before={"secrecy": row["secrecy"], "version": row["version"]},
        after={"secrecy": secrecy, "proposal_id": proposal_id, "proposed_by": actor},
    )
    return secrecy_queries.proposals(conn, place_name_id=row["id"], status="pending")[0]


def secrecy_proposals(
    conn: Connection, place_name_id: int | None = None, *, status: str | None = None
) -> list[dict[str, Any]]:
    """The proposals to lower secrecy of a record (of every record when None), newest first, optionally only
    those of one status (pending, approved, rejected)."""
    if status is not None and status not in PROPOSAL_STATUSES:
        raise InvalidInput(f"status {status!r} is not one of {', '.join(PROPOSAL_STATUSES)}")
    if place_name_id is not None and queries.place_by_id(conn, place_name_id) is None:
        raise NotFound(f"no place name with id {place_name_id}")
    return secrecy_queries.proposals(conn, place_name_id=place_name_id, status=status)


def decide_secrecy_proposal(conn: Connection, proposal_id: int, *, approve: bool, actor: str) -> dict[str, Any]:
    """Approve (the record's secrecy is lowered) or reject a pending proposal; answers the decided proposal.

    The proposer may not decide their own proposal (403: two persons). An approval applies to the record as it
    was proposed: when the record changed since (another version), it is refused (409) — reject the proposal and
    propose again. The audit row names both the proposer and the approver.
    """
    found = secrecy_queries.proposal_for_update(conn, proposal_id)
    if found is None:
        raise NotFound(f"no secrecy proposal {proposal_id}")
    place_name_id = found["place_name_id"]
    if found["status"] != "pending":
        raise Conflict(f"secrecy proposal {proposal_id} was already {found['status']} by {found['decided_by']}")
    if found["proposed_by"] == actor:
        raise Forbidden(
            f"secrecy proposal {proposal_id} was made by {actor}: another approver must decide it (two-person rule)"
        )
    decision = "approved" if approve else "rejected"
    if approve:
        try:
            row = _record(conn, place_name_id, found["record_version"])
        except Conflict as exc:
            raise Conflict(
                f"place name {place_name_id} changed since the proposal (version {found['record_version']} → "
                f"{exc.extra['current_version']}): reject proposal {proposal_id} and propose again"
            ) from None
        _write(conn, row, {"secrecy": found["to_secrecy"]})
    decided_at = secrecy_queries.decide(conn, proposal_id, decision, actor)
    audit.record(
        conn,
        actor=actor,
        action="approve_secrecy" if approve else "reject_secrecy",
        object_type="place_name",
        object_id=str(place_name_id),
        before={"secrecy": found["from_secrecy"], "version": found["record_version"]},
        after={
            "secrecy": found["to_secrecy"] if approve else found["from_secrecy"],
            "proposal_id": proposal_id,
            "proposed_by": found["proposed_by"],
            f"{decision}_by": actor,
        },
    )
    return {**found, "status": decision, "decided_by": actor, "decided_at": decided_at}


def _approval(approving_body: str | None, document_number: str | None, approval_date: Any) -> dict[str, Any]:
    if not (approving_body or "").strip() or not (document_number or "").strip():
        raise InvalidInput("approving_body and document_number are required (the approval that decided this)")
    return {
        "approving_body": approving_body.strip() if approving_body else None,
        "document_number": document_number.strip() if document_number else None,
        "approval_date": parse_date(approval_date, "approval_date"),
    }


def approve_place(
    conn: Connection,
    place_name_id: int,
    *,
    version: int,
    approving_body: str | None,
    document_number: str | None,
    approval_date: Any,
    effective_date: Any = None,
    actor: str,
) -> dict[str, Any]:
    """A proposal becomes a standard name (命名), with its approval."""
    approval = _approval(approving_body, document_number, approval_date)
    effective = parse_date(effective_date, "effective_date") or approval["approval_date"] or date.today()
    row = _record(conn, place_name_id, version)
    if row["status"] != "proposed":
        raise Conflict(f"place name {place_name_id} is {row['status']}, not a proposal")
    _write(conn, row, {"status": "standard", **approval})
    queries.insert_events(
        conn,
        [
            {
                "place_id": row["place_id"],
                "kind": "naming",
                "new_name": row["name"],
                "effective_date": effective,
                **approval,
            }
        ],
    )
    audit.record(
        conn,
        actor=actor,
        action="approve",
        object_type="place_name",
        object_id=str(place_name_id),
        before={"status": "proposed"},
        after={"status": "standard", **approval},
    )
    return get_place(conn, place_name_id)


def _required_effective_date(raw: Any) -> date:
    effective = parse_date(raw, "effective_date")
    if effective is None:
        raise InvalidInput("effective_date is required (YYYY-MM-DD)")
    return effective


def rename_place(
    conn: Connection,
    place_name_id: int,
    *,
    version: int,
    new_name: str,
    approving_body: str | None,
    document_number: str | None,
    approval_date: Any,
    effective_date: Any,
    actor: str,
) -> dict[str, Any]:
    """更名: the current name becomes historic on the effective date, the new one standard from it."""
    approval = _approval(approving_body, document_number, approval_date)
    effective = _required_effective_date(effective_date)
    clean = names.normalize_query(new_name).replace(" ", "")
    row = _record(conn, place_name_id, version)
    if row["status"] != "standard":
        raise Conflict(f"place name {place_name_id} is {row['status']}: only a standard name is renamed")
    if clean == row["name"]:
        raise InvalidInput(f"the new name {clean!r} is the current name")
    if effective <= row["valid_from"]:
        raise InvalidInput(f"effective_date {effective} must be after the current name's start {row['valid_from']}")
    result = romanize(clean, unit_code=row["admin_code"] or row["unit_code"])
    _write(conn, row, {"status": "historic", "valid_to": effective})
    (new_id,) = queries.allocate_place_ids(conn, 1)
    new_row = {
        "id": new_id,
        "place_id": row["place_id"],
        "name": clean,
        "statistical_name": None,
        "romanization": result.plain,
        "romanization_toned": result.toned,
        "romanization_origin": result.origin,
        "category": row["category"],
        "unit_code": row["unit_code"],
        "admin_code": row["admin_code"],
        "level_rank": row["level_rank"],
        "geom": row["geom_ewkt"],
        "meaning": row["meaning"],
        "origin": row["origin"],
        "history": row["history"],
        "status": "standard",
        "secrecy": row["secrecy"],
        "tags": row["tags"],
        "valid_from": effective,
        "geom_source": row["geom_source"],
        **approval,
    }
    queries.copy_place_names(conn, [new_row])
    keys = names.search_keys(clean, None, result.plain, result.origin)
    queries.replace_keys(conn, [(new_id, k, kind) for k, kind in keys])
    queries.insert_events(
        conn,
        [
            {
                "place_id": row["place_id"],
                "kind": "renaming",
                "old_name": row["name"],
                "new_name": clean,
                "effective_date": effective,
                **approval,
            }
        ],
    )
    audit.record(
        conn,
        actor=actor,
        action="rename",
        object_type="place_name",
        object_id=str(place_name_id),
        before=_public_fields(row),
        after={"id": new_id, "name": clean, "valid_from": effective, **approval},
    )
    return get_place(conn, new_id)


def retire_place(
    conn: Connection,
    place_name_id: int,
    *,
    version: int,
    approving_body: str | None,
    document_number: str | None,
    approval_date: Any,
    effective_date: Any,
    actor: str,
) -> dict[str, Any]:
    """销名: the name is retired from the effective date (kept, searchable as retired)."""
    approval = _approval(approving_body, document_number, approval_date)
    effective = _required_effective_date(effective_date)
    row = _record(conn, place_name_id, version)
    if row["status"] == "retired":
        raise Conflict(f"place name {place_name_id} was already retired on {row['valid_to']}")
    if row["status"] != "standard":
        raise Conflict(f"place name {place_name_id} is {row['status']}: only a standard name is retired")
    if effective <= row["valid_from"]:
        raise InvalidInput(f"effective_date {effective} must be after the name's start {row['valid_from']}")
    _write(conn, row, {"status": "retired", "valid_to": effective})
    queries.insert_events(
        conn,
        [
            {
                "place_id": row["place_id"],
                "kind": "retirement",
                "old_name": row["name"],
                "effective_date": effective,
                **approval,
            }
        ],
    )
    audit.record(
        conn,
        actor=actor,
        action="retire",
        object_type="place_name",
        object_id=str(place_name_id),
        before=_public_fields(row),
        after={"status": "retired", "valid_to": effective, **approval},
    )
    return get_place(conn, place_name_id)
