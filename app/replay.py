"""Replaying the audit log: a database restored to the state before entry N reaches the state after the log's last
entry by re-running each archived import and re-applying each logged API write, in log order, in one transaction.

Imports are re-run from their input files in the import archive (core.files.archive_input) with the parameters
their audit row recorded; API writes are written back from their logged row images. An entry without a replay
rule is refused by name, never skipped."""

from __future__ import annotations

import argparse
import tempfile
from collections import Counter
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine
from sqlalchemy.engine import Connection

import boundaries.service  # registers its importers for replay, writes polygon versions back
from app import replay_queries
from core import audit
from core.database import transaction
from core.errors import Conflict, GazError, InvalidInput
from core.files import restore_inputs
from core.imports import REPLAY_IMPORTERS
from core.settings import Settings, with_psycopg_driver
from facilities import service as facilities  # registers its importers for replay, writes its rows back
from gazetteer import service as gazetteer

WRITES = {("facility", "create"), ("facility", "update"), ("facility", "delete"), ("unit_polygon", "create")}
SYNC = ("place_name", "sync")
REPLAYABLE = (
    "imports of divisions, polygons, points, facilities and population (re-run from the import archive); "
    "the sync of unit place names (re-run on its date); API writes facility create/update/delete and "
    "unit_polygon create (written back from the logged rows)"
)
SYNC_COUNTS = ("units", "created", "statistical_name_updated", "unchanged")
DATE_PARAMS = ("valid_from",)
REPORT_FIELDS = ("read", "inserted", "updated", "unchanged", "rejected_count")


def describe(entry: dict[str, Any]) -> str:
    """An entry as messages name it: ``#12 import admin_unit /data/ordos.csv``."""
    return f"#{entry['id']} {entry['action']} {entry['object_type']} {entry['object_id'] or ''}".rstrip()


def refusal(entry: dict[str, Any]) -> str | None:
    """Why the entry cannot be replayed, or None when it can."""
    if entry["action"] == "import":
        replay = (entry["after"] or {}).get("replay")
        if replay is None:
            return "logged before the import archive: its input file was not kept"
        if replay["importer"] not in REPLAY_IMPORTERS:
            return f"imports of {replay['importer']} have no replay rule yet"
        return None
    if (entry["object_type"], entry["action"]) == SYNC:
        return None if "as_of" in entry["after"] else "logged before syncs recorded their date"
    if (entry["object_type"], entry["action"]) not in WRITES:
        return f"{entry['object_type']} {entry['action']} has no replay rule yet"
    if entry["object_type"] == "unit_polygon" and entry["after"].get("repair_note"):
        return "the original geometry of a polygon repaired on entry is not in the log"
    return None


def replay_log(log_engine: Engine, target: Engine, from_id: int, archive_dir: Path | None = None) -> Counter[str]:
    """Re-apply the log of ``log_engine`` from entry ``from_id`` on to ``target``, a database restored to the state
    before that entry; answers how many entries of each kind were replayed.

    Refused before anything is written when an entry has no replay rule, an archived input is missing or no
    longer matches its checksum, or the target's log does not end where the log before ``from_id`` ends; an
    import whose re-run counts differ from the logged ones, or a write whose logged 'before' the target does not
    hold, rolls the whole replay back.
    """
    with log_engine.connect() as conn:
        entries = audit.entries_from(conn, from_id)
        previous = audit.last_id(conn, before=from_id)
    if not entries:
        raise InvalidInput(f"the audit log has no entry from id {from_id} on")
    refused = [f"{describe(e)}: {reason}" for e in entries if (reason := refusal(e)) is not None]
    if refused:
        raise InvalidInput(
            f"cannot replay {len(refused)} of {len(entries)} log entries, nothing was replayed:\n  "
            + "\n  ".join(refused)
            + f"\nreplay covers {REPLAYABLE}"
        )
    done: Counter[str] = Counter()
    with tempfile.TemporaryDirectory(prefix="gaz-replay-") as folder:
        inputs: dict[int, list[Path]] = {}
        for entry in entries:
            if entry["action"] == "import":
                workdir = Path(folder) / str(entry["id"])
                workdir.mkdir()
                try:
                    inputs[entry["id"]] = restore_inputs(entry["after"]["replay"], workdir, archive_dir)
                except InvalidInput as exc:
                    raise InvalidInput(f"cannot replay {describe(entry)}: {exc.detail}; nothing was replayed") from None
        with transaction(target) as conn:
            last = audit.last_id(conn)
            if last != previous:
                raise Conflict(
                    f"the target database's audit log ends at entry {last}, the log before entry {from_id} at entry "
                    f"{previous}: replay from {from_id} needs a database restored to the state before entry {from_id}"
                )
            stamped = replay_queries.timestamp_columns(conn)
            for entry in entries:
                try:
                    if entry["action"] == "import":
                        _rerun_import(conn, entry, inputs[entry["id"]][0])
                    elif (entry["object_type"], entry["action"]) == SYNC:
                        _rerun_sync(conn, entry)
                    else:
                        _rewrite(conn, entry)
                except GazError as exc:
                    raise type(exc)(f"cannot replay {describe(entry)}: {exc.detail}; nothing was replayed") from None
                replay_queries.restamp(conn, stamped, entry["at"])
                replay_queries.drop_temporary_tables(conn)
                done[f"{entry['action']} {entry['object_type']}"] += 1
    return done


def _rerun_import(conn: Connection, entry: dict[str, Any], path: Path) -> None:
    replay = entry["after"]["replay"]
    params = {
        key: (date.fromisoformat(value) if key in DATE_PARAMS and value else value)
        for key, value in replay["params"].items()
    }
    importer = REPLAY_IMPORTERS[replay["importer"]]
    if importer.reads == "path":
        report = importer.run(conn, path, actor=entry["actor"], **params).as_dict()
    else:
        report = importer.run(conn, path.read_bytes(), name=path.name, actor=entry["actor"], **params).as_dict()
    differences = [
        f"{field} {report[field]} (logged {entry['after'].get(field)})"
        for field in REPORT_FIELDS
        if report[field] != entry["after"].get(field)
    ]
    if differences:
        raise Conflict(f"re-running it gave {', '.join(differences)}")
    audit.rename_this_transactions_entry(conn, entry["object_id"])


def _rerun_sync(conn: Connection, entry: dict[str, Any]) -> None:
    day = date.fromisoformat(entry["after"]["as_of"])
    counts = gazetteer.sync_unit_names(conn, as_of=day, actor=entry["actor"])
    differences = [
        f"{key} {counts[key]} (logged {entry['after'].get(key)})"
        for key in SYNC_COUNTS
        if counts[key] != entry["after"].get(key)
    ]
    if differences:
        raise Conflict(f"re-running it gave {', '.join(differences)}")


def _rewrite(conn: Connection, entry: dict[str, Any]) -> None:
    """Write back a logged API write from its row images, checking the target holds the logged 'before'."""
    before, after = entry["before"], entry["after"]
    if entry["object_type"] == "facility":
        written = facilities.write_back(conn, entry["action"], before, after)
    else:  # unit_polygon create, closing the registered polygon it replaced
        written = boundaries.service.write_back_polygon(conn, before, after)
    if not written:
        raise Conflict(f"the target does not hold the logged state before it ({before})")
    audit.record(
        conn,
        actor=entry["actor"],
        action=entry["action"],
        object_type=entry["object_type"],
        object_id=entry["object_id"],
        before=before,
        after=after,
    )


# --- gaz audit ----------------------------------------------------------------------------------------
def add_audit_commands(sub: argparse._SubParsersAction) -> None:
    """``gaz audit replay``."""
    commands = sub.add_parser("audit", help="the audit log").add_subparsers(dest="action", required=True)
    replay = commands.add_parser(
        "replay",
        help="re-apply the log of another database from an entry on to this one (GAZ_DATABASE_URL), restored to "
        "the state before that entry: archived imports are re-run, API writes written back",
    )
    replay.add_argument("--from-id", type=int, required=True, help="first log entry to replay")
    replay.add_argument("--log-database", required=True, help="URL of the database whose audit log is replayed")


def run_audit_command(args: argparse.Namespace, settings: Settings) -> None:
    """Run ``gaz audit replay`` and print what was replayed."""
    if args.from_id < 1:
        raise InvalidInput(f"--from-id {args.from_id} must be 1 or more")
    log_engine = create_engine(with_psycopg_driver(args.log_database))
    target = create_engine(settings.database_url)
    try:
        done = replay_log(log_engine, target, args.from_id, settings.imports.import_archive_dir)
    finally:
        log_engine.dispose()
        target.dispose()
    print(f"replayed {sum(done.values())} log entries from #{args.from_id}:")
    for kind, count in sorted(done.items()):
        print(f"  {kind}: {count}")
