"""The register of boundary dispute cases (平安边界): units, disputed ground, status, documents, a dated timeline,
links to the checks and comparisons that found them (domain logic; no web framework here)."""

from __future__ import annotations

from datetime import date
from typing import Any

import shapely
from shapely.geometry import mapping
from sqlalchemy.engine import Connection

from boundaries.disputes import queries
from boundaries.disputes.models import DISPUTE_STATUSES
from boundaries.polygons.reading import check_polygon, parse_geojson_geometry
from boundaries.units.service import require_known_unit, require_unit
from core import audit
from core.crs import parse_crs
from core.errors import Conflict, InvalidInput, NotFound
from core.imports import has_control_characters


def _text(name: str, value: str, maximum: int) -> str:
    cleaned = value.strip()
    if not cleaned or len(cleaned) > maximum:
        raise InvalidInput(f"{name} {value!r} must be 1–{maximum} characters")
    return cleaned


def _documents(documents: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for document in documents:
        title = _text("document title", str(document.get("title", "")), 300)
        reference = str(document.get("reference") or "").strip()
        if has_control_characters(title) or has_control_characters(reference):
            raise InvalidInput(f"document {title!r}: title and reference must be single lines")
        out.append({"title": title, "reference": reference or None, "issued_on": document.get("issued_on")})
    return out


def create_case(
    conn: Connection,
    *,
    title: str,
    units: list[str],
    opened_on: date,
    geometry: dict[str, Any] | None = None,
    crs: str | None = None,
    documents: list[dict[str, Any]] | None = None,
    check_id: int | None = None,
    comparison_id: int | None = None,
    piece_ids: list[int] | None = None,
    note: str = "",
    actor: str,
) -> dict[str, Any]:
    """Open a case; its first timeline entry is the opening. ``piece_ids`` name the disputed pieces of the linked
    comparison the case is about."""
    title = _text("title", title, 300)
    if not units:
        raise InvalidInput("a dispute case names at least one unit")
    codes = sorted({require_unit(conn, code, opened_on)["code"] for code in units})
    wkb = None
    if geometry is not None:
        if not crs:
            raise InvalidInput("the disputed ground states no CRS: give crs (e.g. EPSG:4490 or GCJ-02)")
        source_geom, geom = parse_geojson_geometry(geometry, crs)
        wkb = shapely.to_wkb(check_polygon(codes[0], source_geom, geom, "refuse", parse_crs(crs)).geom)
    for table, row_id in (("boundary_check", check_id), ("boundary_comparison", comparison_id)):
        if row_id is not None and not queries.exists(conn, table, row_id):
            raise InvalidInput(f"no {table.replace('_', ' ')} {row_id} to link the case to")
    pieces = sorted(set(piece_ids or []))
    if pieces and comparison_id is None:
        raise InvalidInput("piece_ids name disputed pieces of a comparison: give its comparison_id too")
    if pieces and comparison_id is not None and (strangers := queries.pieces_outside(conn, comparison_id, pieces)):
        raise InvalidInput(f"piece(s) {', '.join(map(str, strangers))} are not pieces of comparison {comparison_id}")
    values = {
        "title": title,
        "unit_codes": codes,
        "status": "open",
        "documents": _documents(documents or []),
        "check_id": check_id,
        "comparison_id": comparison_id,
        "piece_ids": pieces,
        "wkb": wkb,
        "created_by": actor,
    }
    case_id = queries.insert_case(conn, values)
    queries.add_event(conn, case_id, opened_on, "opened", note.strip() or title, actor)
    after = {k: v for k, v in values.items() if k != "wkb"} | {"has_geometry": wkb is not None}
    audit.record(conn, actor=actor, action="create", object_type="dispute_case", object_id=str(case_id), after=after)
    return get_case(conn, case_id)


def update_case(
    conn: Connection,
    case_id: int,
    *,
    version: int,
    on_date: date,
    status: str | None = None,
    add_documents: list[dict[str, Any]] | None = None,
    note: str = "",
    actor: str,
) -> dict[str, Any]:
    """Change a case's status, add documents or a note; each change is a dated timeline entry."""
    row = queries.case(conn, case_id)
    if row is None:
        raise NotFound(f"no dispute case {case_id}")
    if status is not None and status not in DISPUTE_STATUSES:
        raise InvalidInput(f"status {status!r} is not one of {', '.join(DISPUTE_STATUSES)}")
    if status == row["status"]:
        raise InvalidInput(f"case {case_id} is already {status}")
    new_documents = _documents(add_documents or [])
    if status is None and not new_documents and not note.strip():
        raise InvalidInput("nothing to change: give a status, documents or a note")
    if on_date > date.today():
        raise InvalidInput(f"date {on_date} is in the future")
    opened_on = queries.opened_on(conn, case_id)
    if opened_on is not None and on_date < opened_on:
        raise InvalidInput(f"date {on_date} is before the case was opened ({opened_on}): a timeline runs forward")
    if not queries.update_case(conn, case_id, version, status or row["status"], list(row["documents"]) + new_documents):
        raise Conflict(f"case {case_id} changed since version {version} (now {row['version']}): reload and retry")
    if status is not None:
        queries.add_event(conn, case_id, on_date, "status", f"{row['status']} → {status}. {note}".strip(), actor)
    for document in new_documents:
        queries.add_event(conn, case_id, on_date, "document", document["title"], actor)
    if note.strip() and status is None:
        queries.add_event(conn, case_id, on_date, "note", note.strip(), actor)
    audit.record(
        conn,
        actor=actor,
        action="update",
        object_type="dispute_case",
        object_id=str(case_id),
        before={"status": row["status"], "documents": row["documents"], "version": row["version"]},
        after={"status": status or row["status"], "added_documents": new_documents, "note": note},
    )
    return get_case(conn, case_id)


def _case_out(conn: Connection, row: Any, with_timeline: bool) -> dict[str, Any]:
    out = {
        "id": row["id"],
        "title": row["title"],
        "units": list(row["unit_codes"]),
        "status": row["status"],
        "documents": row["documents"],
        "check_id": row["check_id"],
        "comparison_id": row["comparison_id"],
        "piece_ids": list(row["piece_ids"]),
        "created_by": row["created_by"],
        "created_at": row["created_at"],
        "version": row["version"],
        "geometry": mapping(shapely.from_wkb(row["wkb"])) if row["wkb"] else None,
    }
    if with_timeline:
        out["timeline"] = [dict(e) for e in queries.events(conn, row["id"])]
    return out


def get_case(conn: Connection, case_id: int) -> dict[str, Any]:
    """One case with its timeline."""
    row = queries.case(conn, case_id)
    if row is None:
        raise NotFound(f"no dispute case {case_id}")
    return _case_out(conn, row, True)


def list_cases(conn: Connection, *, status: str | None = None, unit: str | None = None) -> list[dict[str, Any]]:
    """Cases by status and unit, newest first (without timelines)."""
    if status is not None and status not in DISPUTE_STATUSES:
        raise InvalidInput(f"status {status!r} is not one of {', '.join(DISPUTE_STATUSES)}")
    code = require_known_unit(conn, unit) if unit else None
    return [_case_out(conn, row, False) for row in queries.cases(conn, status, code)]


def open_cases_on(conn: Connection, day: date) -> list[dict[str, Any]]:
    """The cases open on ``day``: opened on or before it and not resolved by then (a case resolved since counts
    as open on the days before its resolution), with their units and status that day."""
    return [
        {"id": row["id"], "title": row["title"], "units": list(row["unit_codes"]), "status_now": row["status"]}
        for row in queries.dispute_cases(conn, day)
        if row["resolved_on"] is None or row["resolved_on"] > day
    ]
