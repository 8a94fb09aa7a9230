"""``gaz signs …``: the sign inventory from the command line (the same service functions as the API)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from core.database import transaction
from gazetteer.signs import check as sign_check
from gazetteer.signs import service as signs

CLI_ACTOR = "cli"


def add_sign_commands(sub: Any) -> None:
    """Register ``gaz signs import|check`` on the top-level subparsers."""
    actions = sub.add_parser("signs", help="place-name signs (地名标志)").add_subparsers(dest="action", required=True)
    load = actions.add_parser("import", help="import signs from CSV (all or nothing; re-import changes nothing)")
    load.add_argument("file", type=Path)
    load.add_argument(
        "--crs", required=True, help="CRS of the lon/lat columns (EPSG:4490/4326/4545/4546, GCJ-02, BD-09)"
    )
    load.add_argument("--encoding", help="file encoding when not UTF-8 (e.g. gbk)")
    load.add_argument("--skip-invalid", action="store_true", help="write the valid rows, list the rest")
    check = actions.add_parser("check", help="signs whose name or romanization differs from the standard")
    check.add_argument("--unit", help="only signs of places in this unit (NBS code)")
    check.add_argument("--format", choices=("text", "csv", "json"), default="text")
    check.add_argument("--out", type=Path, help="write the list to this file (csv: UTF-8 with BOM) instead of stdout")


def run_signs(engine: Engine, args: argparse.Namespace) -> Any:
    """Execute ``gaz signs <action>``; returns what the caller prints."""
    with transaction(engine) as conn:
        if args.action == "import":
            return signs.import_signs(
                conn, args.file, crs=args.crs, encoding=args.encoding, skip_invalid=args.skip_invalid, actor=CLI_ACTOR
            )
        result = sign_check.check_signs(conn, unit=args.unit)
    summary = f"{result['checked']} sign(s) checked, {result['with_findings']} with findings: {result['by_rule']}"
    if args.format == "text":
        text_ = "\n".join(
            f"{s['inventory_no']}\t{f['severity']}\t{f['rule']}\t{f['sign_says'] or ''}\t→ {f['should_say']}"
            f"\t{s['unit_path_text']}"
            for s in result["signs"]
            for f in s["findings"]
        )
    elif args.format == "csv":
        text_ = sign_check.check_csv(result)
    else:
        text_ = json.dumps(result, ensure_ascii=False, default=str, indent=1)
    if args.out is not None:
        args.out.write_text(text_, encoding="utf-8")
        return [f"wrote {args.out}", summary]
    return [text_.removeprefix("\ufeff"), summary] if text_ else [summary]
