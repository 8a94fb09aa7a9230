"""``gaz places …``: the registry's files from the command line (the same service functions as the API)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from core.database import transaction
from core.imports import require_file
from gazetteer.places import importer as place_import
from gazetteer.places.exchange import exchange_file

CLI_ACTOR = "cli"


def add_places_commands(sub: Any) -> None:
    """Register ``gaz places`` and its actions on the top-level subparsers."""
    places = sub.add_parser("places", help="place-name files: bulk import, national exchange").add_subparsers(
        dest="action", required=True
    )
    load = places.add_parser("import", help="import place names from CSV or GeoJSON, all or nothing")
    load.add_argument("file", type=Path)
    load.add_argument("--crs", help="CRS of the coordinates (required unless the GeoJSON states one), e.g. GCJ-02")
    load.add_argument("--format", choices=place_import.FORMATS, help="csv or geojson (default: from the extension)")
    load.add_argument("--encoding", help="file encoding when not UTF-8 (e.g. gbk)")
    load.add_argument("--skip-invalid", action="store_true", help="write the valid rows, list the rest")
    filed = places.add_parser("exchange", help="write a unit's records in the national exchange layout (CSV, BOM)")
    filed.add_argument("--unit", required=True, help="NBS code of the unit to file (city, banner, township...)")
    filed.add_argument("--output", type=Path, required=True, help="the CSV file to write")


def run_places(engine: Engine, args: argparse.Namespace) -> Any:
    """Execute ``gaz places <action>``; returns what the caller prints."""
    if args.action == "exchange":
        with transaction(engine) as conn:
            filed = exchange_file(conn, args.unit)
        args.output.write_bytes(filed.content)
        return [f"wrote {filed.records} record(s) to {args.output}"]
    content = require_file(args.file).read_bytes()
    with transaction(engine) as conn:
        return place_import.import_places(
            conn,
            content,
            name=args.file.name,
            fmt=args.format,
            crs=args.crs,
            encoding=args.encoding,
            skip_invalid=args.skip_invalid,
            actor=CLI_ACTOR,
        )
