"""``gaz names …``: the place-name registry from the command line (the same service functions as the API)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from core.database import transaction
from core.values import GeoPoint, parse_date
from gazetteer.places import editing, service, unit_names
from gazetteer.places.cli import add_places_commands, run_places
from gazetteer.search import service as name_search
from gazetteer.signs.cli import add_sign_commands, run_signs

CLI_ACTOR = "cli"


def add_gazetteer_commands(sub: Any) -> None:
    """Register ``gaz names`` and its actions on the top-level subparsers."""
    names = sub.add_parser("names", help="the place-name registry").add_subparsers(dest="action", required=True)
    sync = names.add_parser("sync", help="give every current unit its place name (NBS statistical name kept)")
    sync.add_argument("--as-of", help="units valid on this date (YYYY-MM-DD; today by default)")
    replay = names.add_parser("replay-history", help="replay a unit list across releases (as_of,code,name CSV)")
    replay.add_argument("file", type=Path)
    search = names.add_parser("search", help="search place names")
    search.add_argument("q")
    search.add_argument("--unit")
    search.add_argument("--as-of")
    search.add_argument("--limit", type=int, default=10)
    roman = names.add_parser("romanize", help="romanize a name (plain, toned, rules)")
    roman.add_argument("text")
    roman.add_argument("--unit", help="NBS code of the unit the name lies in (readings by place)")
    propose = names.add_parser("propose", help="propose a new name (an approver approves it)")
    propose.add_argument("name")
    propose.add_argument("--category", required=True, help="GB/T 18521 category code, e.g. 32")
    propose.add_argument("--unit", required=True, help="NBS code of the unit it lies in")
    propose.add_argument("--lon", type=float)
    propose.add_argument("--lat", type=float)
    propose.add_argument("--crs", default="EPSG:4326")
    for action, text_ in (
        ("approve", "make a proposal the standard name (命名)"),
        ("rename", "rename a standard name (更名) from --effective-date"),
        ("retire", "retire a standard name (销名) from --effective-date"),
    ):
        decision = names.add_parser(action, help=text_)
        decision.add_argument("id", type=int)
        if action == "rename":
            decision.add_argument("new_name")
        decision.add_argument("--version", type=int, required=True, help="the version you read (stale -> refused)")
        decision.add_argument("--approving-body", required=True)
        decision.add_argument("--document-number", required=True)
        decision.add_argument("--approval-date", required=True)
        decision.add_argument("--effective-date")
    add_places_commands(sub)
    add_sign_commands(sub)


def run_gazetteer(engine: Engine, args: argparse.Namespace) -> Any:
    """Execute ``gaz names <action>`` (and ``gaz places <action>``); returns the report printed by the caller."""
    if args.command == "places":
        return run_places(engine, args)
    if args.command == "signs":
        return run_signs(engine, args)
    if args.action == "romanize":
        return service.romanize_text(args.text, unit=args.unit)
    with transaction(engine) as conn:
        if args.action == "sync":
            return unit_names.sync_unit_names(conn, as_of=parse_date(args.as_of, "--as-of"))
        if args.action == "replay-history":
            return unit_names.replay_unit_history(conn, args.file)
        if args.action == "propose":
            point = None if args.lon is None else GeoPoint.from_input(args.lon, args.lat, args.crs)
            created = editing.propose_place(
                conn, name=args.name, category=args.category, unit=args.unit, point=point, actor=CLI_ACTOR
            )
            return {"id": created["id"], "name": created["name"], "status": created["status"], "version": 1}
        if args.action in ("approve", "rename", "retire"):
            decision = {
                "version": args.version,
                "approving_body": args.approving_body,
                "document_number": args.document_number,
                "approval_date": args.approval_date,
                "effective_date": args.effective_date,
                "actor": CLI_ACTOR,
            }
            if args.action == "rename":
                done = editing.rename_place(conn, args.id, new_name=args.new_name, **decision)
            elif args.action == "approve":
                done = editing.approve_place(conn, args.id, **decision)
            else:
                done = editing.retire_place(conn, args.id, **decision)
            return {k: done[k] for k in ("id", "name", "status", "version", "valid_from", "valid_to")}
        found = name_search.search_places(
            conn, args.q, unit=args.unit, as_of=parse_date(args.as_of, "--as-of"), limit=args.limit
        )
        return [
            f"{h['name']}\t{h['romanization'] or ''}\t{h['unit_path_text']}\t{h['status']}"
            f"\t{h['valid_from']}..{h['valid_to'] or ''}\t{h['match']}"
            for h in found["results"]
        ]


def print_result(result: Any) -> None:
    """Print a command's result: lines as lines, reports by their summary, the rest as JSON."""
    if isinstance(result, list):
        print("\n".join(result) if result else "no match")
    elif hasattr(result, "summary"):
        print(result.summary())
        for note in result.notes:
            print(f"  note: {note}")
        for rejected in result.rejected:
            print(f"  skipped row {rejected.row}: {rejected.reason}")
    else:
        print(json.dumps(result, ensure_ascii=False, default=str))
