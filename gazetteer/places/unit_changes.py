"""The place-name side of an applied division change (divisions/): 更名, 销名 and 命名 of the units' names through
the editing lifecycle, each event citing the approval, and the moved villages' records re-pointed at their new
township. Runs inside the caller's transaction."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy.engine import Connection

from core import audit
from core.errors import Conflict
from core.values import parent_of_code
from gazetteer.places import queries, unit_change_queries
from gazetteer.places.editing import rename_place, retire_place
from gazetteer.places.service import _write
from gazetteer.places.unit_names import sync_unit_names


def _record(conn: Connection, code: str) -> Any:
    found = queries.current_unit_names(conn).get(code)
    if found is None:
        raise Conflict(f"unit {code} has no standard place-name record to change: run the name sync first")
    return queries.record_for_update(conn, found["id"])


def record_unit_changes(
    conn: Connection,
    *,
    effective: date,
    approval: dict[str, Any],
    renamed: list[tuple[str, str, str]],
    named: list[str],
    retired: list[str],
    moved: list[tuple[str, str]],
    source: str,
    actor: str,
) -> list[dict[str, Any]]:
    """Write the name events of a division change effective ``effective`` and return them.

    ``renamed`` (old code, new code, new name): 更名 when the name changes (rename_place), and a ``recode`` event
    when the code changes (the record follows the new code); ``retired`` codes: 销名 (retire_place); ``named`` new
    codes: their records are made by the unit-name sync, then approved with a 命名 event; ``moved`` (village code,
    new township code): the village's record names its new township. ``approval`` holds approving_body,
    document_number and approval_date.
    """
    events: list[dict[str, Any]] = []
    for old_code, new_code, new_name in renamed:
        row = _record(conn, old_code)
        if new_name != row["name"]:
            renamed_record = rename_place(
                conn,
                row["id"],
                version=row["version"],
                new_name=new_name,
                effective_date=effective,
                **approval,
                actor=actor,
            )
            events.append({"kind": "renaming", "code": old_code, "old_name": row["name"], "new_name": new_name})
            row = queries.record_for_update(conn, renamed_record["id"])
        if new_code != old_code:
            unit_change_queries.set_unit_codes(conn, row["id"], new_code, parent_of_code(new_code))
            event = {"kind": "recode", "old_code": old_code, "new_code": new_code, "old_name": row["name"]}
            queries.insert_events(
                conn,
                [
                    {
                        "place_id": row["place_id"],
                        "new_name": row["name"],
                        "effective_date": effective,
                        "source": source,
                        **event,
                        **approval,
                    }
                ],
            )
            events.append({**event, "code": old_code})
    for code in retired:
        row = _record(conn, code)
        retire_place(conn, row["id"], version=row["version"], effective_date=effective, **approval, actor=actor)
        events.append({"kind": "retirement", "code": code, "old_name": row["name"]})
    if named:
        sync_unit_names(conn, as_of=effective, actor=actor)
    for code in named:
        row = _record(conn, code)
        _write(conn, row, approval)
        queries.insert_events(
            conn,
            [
                {
                    "place_id": row["place_id"],
                    "kind": "naming",
                    "new_name": row["name"],
                    "new_code": code,
                    "effective_date": effective,
                    "source": source,
                    **approval,
                }
            ],
        )
        events.append({"kind": "naming", "code": code, "new_name": row["name"]})
    current = queries.current_unit_names(conn)
    for village, township in moved:
        if village in current:
            unit_change_queries.set_unit_codes(conn, current[village]["id"], village, township)
    audit.record(
        conn,
        actor=actor,
        action="division_change",
        object_type="place_name",
        object_id=source,
        after={"effective_date": effective, "events": events, "moved_villages": len(moved), **approval},
    )
    return events
