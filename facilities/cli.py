"""The ``gaz facilities`` subcommands: imports and coverage reports (called from app/cli.py)."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from core.database import transaction
from core.errors import InvalidInput
from core.imports import ImportReport, require_file
from core.printing import html_to_pdf
from core.settings import CoverageSettings, Settings
from facilities import coverage, illustrative
from facilities import importers as facility_imports
from facilities import registry as service
from facilities import report as facility_report
from facilities.report_page import report_html

REPORTS = {"burial": "townships", "eldercare": "areas", "uncovered": "uncovered", "beds": "banners", "zones": "hits"}


def add_facilities_commands(sub: argparse._SubParsersAction) -> None:
    """Register ``gaz facilities import|population|layer|illustrative|coverage|report``."""
    group = sub.add_parser("facilities", help="facility registry and coverage").add_subparsers(
        dest="facilities", required=True
    )
    imp = group.add_parser("import", help="facilities from CSV (lon/lat columns) or GeoJSON points")
    imp.add_argument("file", type=Path)
    imp.add_argument("--source", required=True, help="name of the list; re-imports of one source update it")
    imp.add_argument("--crs", help="CRS of the coordinates (required unless a GeoJSON file states one)")
    imp.add_argument("--illustrative", action="store_true", help="mark the records as made-up (demo) data")
    imp.add_argument("--skip-invalid", action="store_true", help="write the valid rows, report the others")
    pop = group.add_parser("population", help="population per unit: unit_code, year, total, aged_60_plus")
    pop.add_argument("file", type=Path)
    pop.add_argument("--source", required=True)
    pop.add_argument("--skip-invalid", action="store_true")
    layer = group.add_parser("layer", help="a prohibited-zone layer (GeoJSON) with its buffer width")
    layer.add_argument("file", type=Path)
    layer.add_argument("--layer", required=True, help="layer name")
    layer.add_argument("--kind", required=True, help="road, railway, river, reservoir, water_source, farmland, ...")
    layer.add_argument("--buffer-m", type=float, required=True)
    layer.add_argument("--crs", required=True)
    layer.add_argument("--skip-invalid", action="store_true")
    demo = group.add_parser("illustrative", help="write the ILLUSTRATIVE registry at the city's scale (demo data)")
    demo.add_argument("folder", type=Path, help="folder for the facilities, population and railway files")
    demo.add_argument("--seed", type=int, default=illustrative.SEED)
    report = group.add_parser("coverage", help="a coverage report as JSON or CSV (UTF-8 with BOM)")
    report.add_argument("report", choices=tuple(REPORTS))
    report.add_argument("--unit", default=service.CITY_CODE)
    report.add_argument("--walk-m", type=float, default=coverage.DEFAULT_WALK_M)
    report.add_argument("--target", type=float, help="beds per 1,000 aged 60+ (default: GAZ_BED_TARGET_PER_1000)")
    report.add_argument("--widths", help="buffer widths per layer kind, e.g. road:200,river:500")
    report.add_argument("--csv", action="store_true", help="print the report's table as CSV")
    report.add_argument("--as-of", type=_day, help="the facilities open on this day, YYYY-MM-DD (default today)")
    year_end = group.add_parser("report", help="the year-end figures (as GET /api/v1/reports/facilities)")
    year_end.add_argument("--as-of", type=_day, help="the day counted, YYYY-MM-DD (default today)")
    year_end.add_argument("--unit", default=service.CITY_CODE, help="NBS code of the city or a banner")
    year_end.add_argument("--walk-m", type=float, default=coverage.DEFAULT_WALK_M)
    year_end.add_argument("--format", choices=("json", "csv", "html", "pdf"), default="json")
    year_end.add_argument("-o", "--output", type=Path, help="write to this file (required for pdf) instead of stdout")


def _day(value: str) -> date:
    """An ISO day for ``--as-of`` (argparse names the option and exits 2 on a bad one)."""
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a date YYYY-MM-DD") from None


def run_facilities_command(engine: Engine, args: argparse.Namespace, settings: Settings) -> ImportReport | None:
    """Run a ``gaz facilities`` subcommand; imports return their report, coverage prints its result."""
    with transaction(engine) as conn:
        if args.facilities == "coverage":
            result = _coverage(conn, args, settings.coverage)
            if args.csv:
                sys.stdout.write(coverage.to_csv(result[REPORTS[args.report]]))
            else:
                print(json.dumps(result, ensure_ascii=False, indent=1, default=str))
            return None
        if args.facilities == "report":
            _year_end(conn, args, settings.coverage)
            return None
        if args.facilities == "illustrative":
            for path in illustrative.write(illustrative.generate(conn, seed=args.seed), args.folder):
                print(path)
            return None
        content = require_file(args.file).read_bytes()
        if args.facilities == "import":
            file_format = "geojson" if args.file.suffix.lower() in (".geojson", ".json") else "csv"
            return facility_imports.import_facilities(
                conn,
                content,
                name=args.file.name,
                file_format=file_format,
                source=args.source,
                crs=args.crs,
                illustrative=args.illustrative,
                skip_invalid=args.skip_invalid,
            )
        if args.facilities == "population":
            return facility_imports.import_population(
                conn, content, name=args.file.name, source=args.source, skip_invalid=args.skip_invalid
            )
        return facility_imports.import_layer(
            conn,
            content,
            name=args.file.name,
            layer=args.layer,
            layer_kind=args.kind,
            buffer_m=args.buffer_m,
            crs=args.crs,
            skip_invalid=args.skip_invalid,
        )


def _year_end(conn: Any, args: argparse.Namespace, settings: CoverageSettings) -> None:
    """The year-end report in the format asked, to ``--output`` or stdout (a PDF only to a file)."""
    if args.format == "pdf" and args.output is None:
        raise InvalidInput("--format pdf needs -o FILE (a PDF is not written to the terminal)")
    reported = facility_report.load_reported(settings.reported_figures)
    result = facility_report.facility_report(
        conn, as_of=args.as_of, unit=args.unit, walk_m=args.walk_m, reported=reported
    )
    if args.format == "pdf":
        out: str | bytes = html_to_pdf(report_html(result), what="the facility report")
    elif args.format == "csv":
        out = facility_report.report_csv(result)
    elif args.format == "html":
        out = report_html(result)
    else:
        out = json.dumps(result, ensure_ascii=False, indent=1, default=str) + "\n"
    if args.output is None:
        sys.stdout.write(str(out))
        return
    try:
        args.output.write_bytes(out if isinstance(out, bytes) else out.encode("utf-8"))
    except OSError as exc:
        raise InvalidInput(f"-o {args.output}: cannot be written ({exc.strerror})") from None


def _coverage(conn: Any, args: argparse.Namespace, settings: CoverageSettings) -> dict[str, Any]:
    if args.report == "burial":
        return coverage.burial(conn, unit=args.unit, as_of=args.as_of)
    if args.report in ("eldercare", "uncovered"):
        return coverage.eldercare_circle(conn, unit=args.unit, walk_m=args.walk_m, as_of=args.as_of)
    if args.report == "beds":
        return coverage.beds(conn, settings=settings, unit=args.unit, target=args.target, as_of=args.as_of)
    return coverage.prohibited_zones(conn, widths=coverage.parse_widths(args.widths), as_of=args.as_of)
