"""The ``gaz divisions`` subcommands: division-change applications from the command line (called from app/cli.py),
through the same service and validation as the routes."""

from __future__ import annotations

import argparse
import json
from datetime import date
from pathlib import Path

from pydantic import ValidationError
from sqlalchemy import Engine

from core.database import transaction
from core.errors import InvalidInput
from core.imports import require_file
from core.settings import Settings
from divisions import service
from divisions.schemas import ApplicationIn

STEPS = ("submit", "approve", "apply", "withdraw", "revert")


def add_divisions_commands(sub: argparse._SubParsersAction) -> None:
    """Register ``gaz divisions list|show|check|create|submit|approve|apply|withdraw|revert``."""
    group = sub.add_parser("divisions", help="division-change applications (区划调整申请)").add_subparsers(
        dest="divisions", required=True
    )
    listing = group.add_parser("list", help="applications, newest first")
    listing.add_argument("--status")
    listing.add_argument("--unit", help="a touched or proposed unit, or their county")
    group.add_parser("show", help="one application").add_argument("id", type=int)
    group.add_parser("check", help="the standards check of an application").add_argument("id", type=int)
    create = group.add_parser("create", help="draw up an application from a JSON file (the body of the API)")
    create.add_argument("file", type=Path)
    create.add_argument("--as", dest="actor", default="cli", help="who draws it up (audited)")
    for step in STEPS:
        parser = group.add_parser(step, help=f"{step} an application at the version seen")
        parser.add_argument("id", type=int)
        parser.add_argument("--version", type=int, required=True)
        parser.add_argument("--as", dest="actor", default="cli", help="who does it (audited)")
        if step == "approve":
            parser.add_argument("--approving-body", required=True)
            parser.add_argument("--document-number", required=True, help="批准文号")
            parser.add_argument("--approval-date", type=date.fromisoformat, required=True)


def run_divisions_command(engine: Engine, args: argparse.Namespace, settings: Settings) -> None:
    """Run a ``gaz divisions`` subcommand and print its answer as JSON."""
    with transaction(engine) as conn:
        if args.divisions == "list":
            result: object = service.list_applications(conn, status=args.status, unit=args.unit)
        elif args.divisions == "show":
            result = service.get_application(conn, args.id)
        elif args.divisions == "check":
            result = service.check_application(conn, args.id, settings.divisions)
        elif args.divisions == "create":
            try:
                body = ApplicationIn.model_validate_json(require_file(args.file).read_bytes())
            except ValidationError as exc:
                raise InvalidInput(f"{args.file.name}: {exc.errors()[0]['loc']}: {exc.errors()[0]['msg']}") from None
            result = service.create_application(conn, **body.arguments(), actor=args.actor)
        elif args.divisions == "approve":
            result = service.approve(
                conn,
                args.id,
                version=args.version,
                approving_body=args.approving_body,
                document_number=args.document_number,
                approval_date=args.approval_date,
                actor=args.actor,
            )
        else:
            step = {
                "submit": service.submit,
                "apply": service.apply_application,
                "withdraw": service.withdraw,
                "revert": service.revert,
            }[args.divisions]
            result = step(conn, args.id, version=args.version, actor=args.actor)
    print(json.dumps(result, ensure_ascii=False, indent=1, default=str))
