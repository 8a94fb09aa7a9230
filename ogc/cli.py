"""``gaz export``: a published collection, or a query of it, written to a file (the same code as the API's f=...)."""

from __future__ import annotations

import argparse
from pathlib import Path

from sqlalchemy import Engine

from core.database import transaction
from core.errors import InvalidInput
from ogc.export import FORMATS, export

SUFFIXES = {"gpkg": ".gpkg", "shp": ".zip", "geojson": ".geojson", "csv": ".csv"}


def add_ogc_commands(sub: argparse._SubParsersAction) -> None:
    """Register ``gaz export``."""
    command = sub.add_parser("export", help="write a published collection (or a query of it) to a file")
    command.add_argument("collection", help="collection id, e.g. units-county (see /ogc/collections)")
    command.add_argument("--format", required=True, choices=FORMATS, help="shp is written as a zip")
    command.add_argument("--out", required=True, type=Path, help="file to write")
    command.add_argument("--bbox", help="minx,miny,maxx,maxy in --bbox-crs axis order")
    command.add_argument("--bbox-crs", help="CRS of --bbox (default CRS84)")
    command.add_argument("--crs", help="CRS of the file (default CRS84 = EPSG:4326 lon/lat)")
    command.add_argument("--filter", help="CQL2 text, e.g. \"name LIKE '%%旗'\"")
    command.add_argument("--datetime", help="date or interval against the validity (default today)")
    command.add_argument("--limit", help="at most this many features (default all)")


def run_export(engine: Engine, args: argparse.Namespace) -> None:
    """Execute ``gaz export``: write the file and print what was written."""
    if args.out.is_dir():
        raise InvalidInput(f"--out {args.out} is a folder; give a file name ending in {SUFFIXES[args.format]}")
    parameters = {
        name: value
        for name, value in (
            ("bbox", args.bbox),
            ("bbox-crs", args.bbox_crs),
            ("crs", args.crs),
            ("filter", args.filter),
            ("datetime", args.datetime),
            ("limit", args.limit),
        )
        if value is not None
    }
    with transaction(engine) as conn:
        written = export(conn, args.collection, parameters, args.format)
    args.out.write_bytes(written.content)
    print(f"{args.collection}: {written.features} feature(s) written to {args.out} ({len(written.content):,} bytes)")
