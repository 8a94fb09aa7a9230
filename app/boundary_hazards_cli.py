"""``gaz boundaries``: the boundary hazard screening (as ``GET /api/v1/boundaries/hazards`` answers it, with the
places and facilities near each section) and the imported hazard layers, from the command line."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from sqlalchemy import Engine

from app.boundary_compare import contents_finder
from app.boundary_compare_cli import check_out_path
from boundaries import service as boundaries
from core.database import transaction
from core.errors import InvalidInput
from core.files import write_atomically
from core.imports import ImportReport
from core.settings import Settings
from core.values import parse_date


def add_hazards_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``gaz boundaries hazards`` and ``gaz boundaries hazard-layers import|list|delete``."""
    group = sub.add_parser("boundaries", help="boundary hazard screening and hazard layers")
    commands = group.add_subparsers(dest="boundaries", required=True)
    screen = commands.add_parser("hazards", help="score the sections of the boundary lines, highest first")
    screen.add_argument("--unit", help="code of a unit: the lines of its children and its own (all lines without)")
    screen.add_argument("--as-of", help="date (YYYY-MM-DD); today when omitted")
    screen.add_argument("--section-m", type=float, default=1000.0, help="section length in metres (100–50,000)")
    screen.add_argument("--format", choices=("json", "csv", "geojson"), default="json")
    screen.add_argument("-o", "--out", type=Path, help="write to this file instead of standard output")
    layers = commands.add_parser("hazard-layers", help="imported hazard polygon layers")
    actions = layers.add_subparsers(dest="action", required=True)
    load = actions.add_parser("import", help="a polygon layer (GeoJSON, GeoPackage, Shapefile or zipped Shapefile)")
    load.add_argument("file", type=Path)
    load.add_argument("--kind", required=True, help="mining, construction_permit or other")
    load.add_argument("--name", required=True, help="layer name (a re-import under it replaces the layer)")
    load.add_argument("--crs", help="CRS of the coordinates; overrides the file's (GeoJSON without one: WGS84)")
    load.add_argument("--on-invalid", default="refuse", choices=("refuse", "repair"))
    load.add_argument("--skip-invalid", action="store_true", help="write the valid polygons, list the rest")
    actions.add_parser("list", help="the imported layers")
    drop = actions.add_parser("delete", help="delete a layer and its polygons")
    drop.add_argument("--name", required=True)


def run_hazards_command(engine: Engine, args: argparse.Namespace, settings: Settings) -> ImportReport | None:
    """Run a ``gaz boundaries`` subcommand and print its result; an import answers its report for the caller to
    print."""
    if args.boundaries == "hazards":
        screen(engine, args, settings)
        return None
    with transaction(engine) as conn:
        if args.action == "import":
            return boundaries.import_hazard_layer(
                conn,
                args.file,
                layer=args.name,
                kind=args.kind,
                crs=args.crs,
                on_invalid=args.on_invalid,
                skip_invalid=args.skip_invalid,
            )
        if args.action == "delete":
            gone = boundaries.delete_hazard_layer(conn, args.name, actor="cli")
            print(f"deleted layer {args.name!r} ({gone['kind']}, {gone['areas']} polygon(s))")
            return None
        for layer in boundaries.list_hazard_layers(conn):
            print(
                f"{layer['name']}\t{layer['kind']}\t{layer['areas']} polygon(s)\t{layer['area_m2'] / 1e6:.3f} km²"
                f"\t{layer['file_name']} ({layer['source_crs']})\t{layer['imported_by']}"
                f" {layer['imported_at']:%Y-%m-%d}"
            )
    return None


def screen(engine: Engine, args: argparse.Namespace, settings: Settings) -> None:
    """The screening in the chosen format, to ``--out`` (whole or not at all) or standard output."""
    if args.out is not None:
        check_out_path(args.out)
    with engine.connect() as conn:
        result = boundaries.screen_hazards(
            conn,
            unit=args.unit,
            as_of=parse_date(args.as_of, "--as-of"),
            section_m=args.section_m,
            weights=settings.hazards,
            contents=contents_finder(conn),
        )
    if args.format == "csv":
        content = boundaries.hazards_csv(result)
    else:
        document = boundaries.hazards_geojson(result) if args.format == "geojson" else boundaries.hazards_json(result)
        content = json.dumps(document, ensure_ascii=False, default=str)
    if args.out is None:
        print(content)
        return
    try:
        write_atomically(args.out, content.encode("utf-8"))
    except OSError as exc:
        raise InvalidInput(f"--out {args.out} cannot be written: {exc}") from None
    print(f"wrote {len(result['sections'])} sections to {args.out}")
