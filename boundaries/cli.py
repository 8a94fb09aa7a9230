"""The boundary-management subcommands ``gaz check``, ``gaz lines`` and ``gaz markers`` (called from app/cli.py)."""

from __future__ import annotations

import argparse
from pathlib import Path

from sqlalchemy import Engine

from boundaries.checks import service as checks
from boundaries.lines import service as lines
from core.database import transaction
from core.values import parse_date

COMMANDS = ("check", "lines", "markers")


def add_boundaries_commands(
    sub: argparse._SubParsersAction[argparse.ArgumentParser],
) -> argparse._SubParsersAction[argparse.ArgumentParser]:
    """Register ``gaz check topology``, ``gaz lines`` and ``gaz markers``; returns the ``gaz check`` subcommands
    (``gaz check compare`` is added by the app: a comparison includes the places inside its pieces)."""
    check = sub.add_parser("check", help="boundary checks").add_subparsers(dest="check", required=True)
    topo = check.add_parser("topology", help="overlaps, gaps, slivers, invalid rings, spill over the parent")
    topo.add_argument("--parent", required=True, help="code of the parent unit, e.g. 150600")
    topo.add_argument("--level", required=True, help="level of the units to check (county, township, village)")
    topo.add_argument("--source", default="registered", help="'registered' (default) or a polygon source name")
    topo.add_argument(
        "--gap-width-m", type=float, default=10_000.0, help="gaps narrower than this (m) are reported (as GEOS)"
    )
    topo.add_argument("--sliver-area-m2", type=float, default=100.0, help="pieces smaller than this are slivers")
    topo.add_argument("--as-of", help="date (YYYY-MM-DD); today when omitted")
    topo.add_argument("--show", type=int, default=10, help="how many of the largest findings to list")
    derive = sub.add_parser("lines", help="boundary lines").add_subparsers(dest="lines", required=True)
    derive_cmd = derive.add_parser(
        "derive", help="derive the lines between neighbouring units from registered polygons"
    )
    derive_cmd.add_argument("--parent", required=True)
    derive_cmd.add_argument("--level", required=True)
    derive_cmd.add_argument("--as-of")
    markers = sub.add_parser("markers", help="boundary markers").add_subparsers(dest="markers", required=True)
    load = markers.add_parser("import", help="markers from CSV: number,unit_a,unit_b,type,x,y,crs,description")
    load.add_argument("file", type=Path)
    load.add_argument("--encoding")
    load.add_argument("--skip-invalid", action="store_true", help="write the valid rows, list the rest")
    return check


def run_boundaries_command(engine: Engine, args: argparse.Namespace) -> None:
    """Run a ``gaz check``, ``gaz lines`` or ``gaz markers`` subcommand and print its result."""
    if args.command == "lines":
        with transaction(engine) as conn:
            result = lines.derive_lines(
                conn, parent=args.parent, level=args.level, as_of=parse_date(args.as_of, "--as-of"), actor="cli"
            )
        print(
            f"{result['lines']} lines of {result['units']} units: {result['inserted']} new, {result['updated']} updated"
        )
        for line in result["derived"]:
            print(f"  #{line['id']} {line['line_key']} {line['kind']} {line['length_km']:.3f} km")
        return
    if args.command == "markers":
        with transaction(engine) as conn:
            report = lines.import_markers(
                conn, args.file, encoding=args.encoding, skip_invalid=args.skip_invalid, actor="cli"
            )
        for rejected in report.rejected:
            print(f"  skipped row {rejected.row}: {rejected.reason}")
        print(report.summary())
        return
    with transaction(engine) as conn:
        result = checks.run_topology_check(
            conn,
            parent=args.parent,
            level=args.level,
            source=args.source,
            gap_width_m=args.gap_width_m,
            sliver_area_m2=args.sliver_area_m2,
            as_of=parse_date(args.as_of, "--as-of"),
            actor="cli",
        )
    summary = result["summary"]
    parent = result["parent"]
    print(
        f"check {result['id']}: {summary['units_with_polygon']} of {summary['units']} {result['level']} units of "
        f"{parent['code']} {parent.get('name', '')} from {result['source']} on {result['as_of']}; "
        f"parent polygon: {summary['parent_polygon_source'] or 'none'}"
    )
    for kind, values in summary["by_kind"].items():
        print(f"  {kind:17s} {values['count']:6d}  {values['area_m2'] / 1e6:12.3f} km²")
    for finding in result["findings"][: args.show]:
        lon, lat = finding["point"]
        area = "" if finding["area_m2"] is None else f"{finding['area_m2'] / 1e6:.3f} km² "
        print(f"  #{finding['id']} {finding['kind']} {area}at {lon:.5f},{lat:.5f}: {finding['detail']}")
