"""``gaz maps print``: the printed city map (maps.print_map) written to a PDF file."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from sqlalchemy import Engine

from core.database import transaction
from core.errors import InvalidInput
from core.settings import Settings
from core.values import parse_date
from facilities.service import CITY_CODE
from maps.print_map import PAPERS, city_map_pdf


def add_maps_commands(sub: argparse._SubParsersAction) -> None:
    """Register ``gaz maps print``."""
    maps = sub.add_parser("maps", help="printed maps").add_subparsers(dest="action", required=True)
    command = maps.add_parser("print", help="the city (or one banner) as a one-page vector PDF")
    command.add_argument("--unit", default=CITY_CODE, help="NBS code of the city or a banner (default the city)")
    command.add_argument("--paper", default="A1", choices=tuple(PAPERS), help="sheet (default A1)")
    command.add_argument("--scale", type=int, help="scale denominator (default: the largest round one that fits)")
    command.add_argument("--as-of", help="units, polygons and names valid on this day, YYYY-MM-DD (default today)")
    command.add_argument("-o", "--out", required=True, type=Path, help="the PDF file to write")


def run_maps_command(engine: Engine, args: argparse.Namespace, settings: Settings) -> None:
    """Execute ``gaz maps print``: write the PDF and say what is on it."""
    if args.out.is_dir():
        raise InvalidInput(f"--out {args.out} is a folder; give a file name ending in .pdf")
    started = time.perf_counter()
    as_of = parse_date(args.as_of, "--as-of")
    with transaction(engine) as conn:
        pdf, report = city_map_pdf(
            conn,
            unit=args.unit,
            paper=args.paper,
            scale=args.scale,
            as_of=as_of,
            maps=settings.maps,
        )
    args.out.write_bytes(pdf)
    labels = report["labels"]
    print(
        f"{report['unit']['name']} ({report['unit']['code']}) on {report['paper']} at 1:{report['scale']:,}, as of "
        f"{report['as_of']}: {args.out} ({len(pdf):,} bytes, {time.perf_counter() - started:.1f} s)"
    )
    print(
        f"  labels: {labels['placed']} placed, {labels['dropped']} dropped"
        + (f" ({'、'.join(labels['dropped_names'])})" if labels["dropped"] else "")
    )
