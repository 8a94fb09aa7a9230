"""The ``gaz`` command: database, imports, manifests, users, server. Calls the same services as the API."""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from app import backup, schema
from app.boundary_compare_cli import add_compare_command, run_compare_command
from app.boundary_hazards_cli import add_hazards_commands, run_hazards_command
from app.manifest import load_manifest
from app.replay import add_audit_commands, run_audit_command
from boundaries import service as boundaries
from boundaries.cli import COMMANDS as BOUNDARY_COMMANDS
from boundaries.cli import add_boundaries_commands, run_boundaries_command
from core import auth
from core.database import make_engine, transaction
from core.errors import GazError, InvalidInput
from core.imports import ImportReport
from core.models import ROLES
from core.settings import Settings, install, proxy_options
from core.values import parse_date
from divisions.cli import add_divisions_commands, run_divisions_command
from facilities.cli import add_facilities_commands, run_facilities_command
from gazetteer import service as gazetteer
from gazetteer.cli import add_gazetteer_commands, print_result, run_gazetteer
from maps.cli import add_maps_commands, run_maps_command
from ogc.cli import add_ogc_commands, run_export


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every subcommand."""
    parser = argparse.ArgumentParser(prog="gaz", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    db = sub.add_parser("db", help="create and migrate the database").add_subparsers(dest="action", required=True)
    db.add_parser("create", help="create the database named in GAZ_DATABASE_URL if it does not exist")
    db.add_parser("upgrade", help="migrate to the latest schema")
    down = db.add_parser("downgrade", help="migrate down (to base by default)")
    down.add_argument("revision", nargs="?", default="base")
    dump = db.add_parser("backup", help="dump the whole database to a file (pg_dump custom format)")
    dump.add_argument("file", type=Path)
    load_dump = db.add_parser("restore", help="restore a dump into the (empty) database of GAZ_DATABASE_URL")
    load_dump.add_argument("file", type=Path)

    imp = sub.add_parser("import", help="import one file").add_subparsers(dest="kind", required=True)
    div = imp.add_parser("divisions", help="NBS division codes (Ordos or national layout, .csv or .csv.gz)")
    div.add_argument("file", type=Path)
    div.add_argument("--valid-from", required=True, help="date the listed units are valid from (YYYY-MM-DD)")
    div.add_argument("--encoding", help="file encoding when not UTF-8 (e.g. gbk)")
    pol = imp.add_parser("polygons", help="unit polygons from GeoJSON, GeoPackage or Shapefile")
    pol.add_argument("file", type=Path)
    pol.add_argument("--source", required=True, help="name of the dataset, e.g. amap-2020")
    pol.add_argument("--status", required=True, choices=("registered", "reference", "claimed", "draft"))
    pol.add_argument("--valid-from", required=True)
    pol.add_argument("--crs", help="source CRS; overrides the file's (required when the file states none)")
    pol.add_argument("--code-field", default="adcode", help="attribute holding the NBS code (default adcode)")
    pol.add_argument("--on-invalid", default="refuse", choices=("refuse", "repair"))
    pol.add_argument("--layer", help="layer name in a multi-layer file")
    pts = imp.add_parser("points", help="named points from CSV with lon/lat columns")
    pts.add_argument("file", type=Path)
    pts.add_argument("--source", required=True)
    pts.add_argument("--crs", required=True)
    pts.add_argument("--lon-column", required=True)
    pts.add_argument("--lat-column", required=True)
    pts.add_argument("--name-column", required=True)
    pts.add_argument("--id-column", required=True)
    pts.add_argument("--category-column")
    pts.add_argument("--code-column", help="column with a current unit code the file vouches for")
    pts.add_argument("--hint-code-column", help="column with an older unit code, checked against the name")
    pts.add_argument("--encoding")
    for command in (div, pol, pts):
        command.add_argument("--skip-invalid", action="store_true", help="write the valid rows, list the rest")

    load = sub.add_parser("load", help="load a dataset manifest (e.g. data/ordos.toml)")
    load.add_argument("manifest", type=Path)
    load.add_argument("--data-root", type=Path, help="folder the manifest's paths are relative to")

    users = sub.add_parser("users", help="API key holders").add_subparsers(dest="action", required=True)
    create = users.add_parser("create", help="create a user and print the key")
    create.add_argument("--name", required=True)
    create.add_argument("--role", required=True, choices=ROLES)
    revoke = users.add_parser("revoke", help="revoke a user's key")
    revoke.add_argument("--name", required=True)
    rotate = users.add_parser("rotate", help="replace a user's key with a new one (printed) and void the old")
    rotate.add_argument("--name", required=True)
    users.add_parser("list", help="every user: name, role, created, last used, revoked (never the key)")

    serve = sub.add_parser("serve", help="serve the API")
    serve.add_argument("--host")
    serve.add_argument("--port", type=int)
    serve.add_argument("--workers", type=int, default=1)
    serve.add_argument("--ssl-certfile", help="PEM certificate (chain): serve HTTPS, as phone browsers need for GPS")
    serve.add_argument("--ssl-keyfile", help="PEM private key of the certificate")
    add_ogc_commands(sub)
    add_compare_command(add_boundaries_commands(sub))
    add_hazards_commands(sub)
    add_gazetteer_commands(sub)
    add_facilities_commands(sub)
    add_maps_commands(sub)
    add_divisions_commands(sub)
    add_audit_commands(sub)
    return parser


def print_report(report: ImportReport) -> None:
    """Notes, rejected rows and the summary line of an import."""
    print(report.summary())
    for note in report.notes:
        print(f"  note: {note}")
    for rejected in report.rejected:
        print(f"  skipped row {rejected.row}: {rejected.reason}")


def run(args: argparse.Namespace, settings: Settings) -> int:
    """Execute a parsed command; returns the exit status."""
    if args.command == "db" and args.action == "create":
        create_database(settings.database_url)
        return 0
    if args.command == "db" and args.action == "backup":
        size = backup.backup(settings.database_url, args.file)
        print(f"backed up to {args.file} ({size:,} bytes)")
        return 0
    if args.command == "db" and args.action == "restore":
        backup.restore(settings.database_url, args.file)
        print(f"restored {args.file}")
        return 0
    if args.command == "audit":
        run_audit_command(args, settings)
        return 0
    if args.command == "serve":
        import uvicorn

        if bool(args.ssl_certfile) != bool(args.ssl_keyfile):
            raise InvalidInput("HTTPS needs both --ssl-certfile and --ssl-keyfile")
        uvicorn.run(
            "app.main:create_app",
            factory=True,
            host=args.host or settings.host,
            port=args.port or settings.port,
            workers=args.workers,
            ssl_certfile=args.ssl_certfile,
            ssl_keyfile=args.ssl_keyfile,
            **proxy_options(settings),
        )
        return 0
    # A command is batch work: its statements get the import limit, not a request's.
    engine = make_engine(settings, statement_timeout_s=settings.import_statement_timeout_s)
    try:
        if args.command == "db":
            (schema.upgrade if args.action == "upgrade" else schema.downgrade)(
                engine, getattr(args, "revision", "head")
            )
            print(f"database at {args.action} target")
        elif args.command == "import":
            started = time.perf_counter()
            with transaction(engine) as conn:
                report = import_file(conn, args)
            print_report(report)
            print(f"  took {time.perf_counter() - started:.1f} s")
        elif args.command == "load":
            data_root = args.data_root or settings.data_root
            for report in load_manifest(engine, args.manifest, data_root, progress=sys.stderr.isatty()):
                print_report(report)
        elif args.command == "check" and args.check == "compare":
            run_compare_command(engine, args)
        elif args.command in BOUNDARY_COMMANDS:
            run_boundaries_command(engine, args)
        elif args.command == "boundaries":
            hazard_report = run_hazards_command(engine, args, settings)
            if hazard_report is not None:
                print_report(hazard_report)
        elif args.command == "export":
            run_export(engine, args)
        elif args.command == "maps":
            run_maps_command(engine, args, settings)
        elif args.command == "divisions":
            run_divisions_command(engine, args, settings)
        elif args.command == "facilities":
            facilities_report = run_facilities_command(engine, args, settings)
            if facilities_report is not None:
                print_report(facilities_report)
        elif args.command in ("names", "places", "signs"):
            print_result(run_gazetteer(engine, args))
        elif args.command == "users":
            with transaction(engine) as conn:
                if args.action == "list":
                    print_users(auth.list_users(conn))
                elif args.action == "create":
                    print(auth.create_user(conn, args.name, args.role))
                elif args.action == "rotate":
                    print(auth.rotate_key(conn, args.name))
                else:
                    auth.revoke_user(conn, args.name)
                    print(f"revoked {args.name}")
    finally:
        engine.dispose()
    return 0


def print_users(users: list[dict[str, Any]]) -> None:
    """The users as an aligned table; times to the second in the database's time zone, ``-`` for never."""

    def when(moment: datetime | None) -> str:
        return "-" if moment is None else moment.isoformat(sep=" ", timespec="seconds")

    table = [("name", "role", "created", "last used", "revoked")]
    table += [
        (u["name"], u["role"], when(u["created_at"]), when(u["last_used_at"]), when(u["revoked_at"])) for u in users
    ]
    widths = [max(len(row[i]) for row in table) for i in range(len(table[0]))]
    for row in table:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip())


def import_file(conn: object, args: argparse.Namespace) -> ImportReport:
    """Dispatch ``gaz import <kind>`` to its service function."""
    valid_from = parse_date(getattr(args, "valid_from", None), "--valid-from")
    if args.kind == "divisions":
        assert valid_from is not None
        return boundaries.import_divisions(
            conn,  # type: ignore[arg-type]
            args.file,
            valid_from=valid_from,
            encoding=args.encoding,
            skip_invalid=args.skip_invalid,
        )
    if args.kind == "polygons":
        assert valid_from is not None
        return boundaries.import_polygons(
            conn,  # type: ignore[arg-type]
            args.file,
            source=args.source,
            status=args.status,
            valid_from=valid_from,
            crs=args.crs,
            code_field=args.code_field,
            on_invalid=args.on_invalid,
            skip_invalid=args.skip_invalid,
            layer=args.layer,
        )
    return gazetteer.import_points(
        conn,  # type: ignore[arg-type]
        args.file,
        source=args.source,
        crs=args.crs,
        lon_column=args.lon_column,
        lat_column=args.lat_column,
        name_column=args.name_column,
        id_column=args.id_column,
        category_column=args.category_column,
        code_column=args.code_column,
        hint_code_column=args.hint_code_column,
        encoding=args.encoding,
        skip_invalid=args.skip_invalid,
    )


def create_database(url: str) -> None:
    """Create the database of ``url`` on its server when missing."""
    target = make_url(url)
    name = target.database
    if not name:
        raise InvalidInput(f"database URL {url!r} names no database")
    server = create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with server.connect() as conn:
            exists = conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": name}).first()
            if not exists:
                conn.execute(text(f'CREATE DATABASE "{name}"'))
                print(f"created database {name}")
    finally:
        server.dispose()


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``gaz``: errors print one clear message and exit non-zero."""
    args = build_parser().parse_args(argv)
    try:
        settings = install(Settings())
    except ValidationError as exc:  # read once, here: a bad setting stops the command, named
        for problem in exc.errors():
            name = f"GAZ_{problem['loc'][-1]}".upper() if problem["loc"] else "a setting"
            print(f"error: setting {name}={problem['input']!r}: {problem['msg']}", file=sys.stderr)
        return 2
    try:
        return run(args, settings)
    except GazError as exc:
        print(f"error: {exc.detail}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
