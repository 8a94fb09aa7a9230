"""``gaz check compare``: the two-version comparison from the command line (app.boundary_compare.run_comparison,
as the API runs it), with a printed summary and optionally the pieces written as GeoJSON."""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.engine import Connection

from app.boundary_compare import run_comparison
from boundaries import service as boundaries
from core.database import transaction
from core.errors import InvalidInput
from core.values import parse_date


def add_compare_command(check: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``gaz check compare`` under ``gaz check``."""
    cmd = check.add_parser(
        "compare",
        help="two versions of the same units: disputed pieces and the largest offset per shared line",
        description="Either two sources (--parent, --level, --second [--first]) or a claim (--unit, --claim, --crs).",
    )
    cmd.add_argument("--parent", help="code of the parent of the units compared, e.g. 150600")
    cmd.add_argument("--level", help="level of the units compared (county, township, village)")
    cmd.add_argument("--first", default="registered", help="'registered' (default) or a polygon source name")
    cmd.add_argument("--second", help="the other polygon source, e.g. datav-2021")
    cmd.add_argument("--unit", help="the unit a claimed polygon is for")
    cmd.add_argument("--claim", type=Path, help="GeoJSON file: a Polygon/MultiPolygon, or one Feature holding it")
    cmd.add_argument("--crs", help="CRS of the claim: EPSG:4490/4326/4545/4546, GCJ-02 or BD-09")
    cmd.add_argument("--label", default="claim", help="name of the claim's version (default 'claim')")
    cmd.add_argument("--tolerance-m2", type=float, default=10_000.0, help="smaller pieces are not reported")
    cmd.add_argument("--as-of", help="date (YYYY-MM-DD); today when omitted")
    cmd.add_argument("--out", type=Path, help="write every disputed piece to this GeoJSON file")
    cmd.add_argument("--show", type=int, default=10, help="how many of the largest pieces and lines to list")


def read_claim(path: Path) -> dict[str, Any]:
    """The GeoJSON geometry of a claim file: a geometry object, a Feature, or a FeatureCollection of one."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InvalidInput(f"claim file {path} does not exist") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InvalidInput(f"claim file {path} is not readable GeoJSON: {exc}") from None
    kind = document.get("type") if isinstance(document, dict) else None
    if kind == "FeatureCollection":
        features = document.get("features")
        if not isinstance(features, list) or len(features) != 1:
            count = len(features) if isinstance(features, list) else "no"
            raise InvalidInput(f"claim file {path} holds {count} features: give exactly one claimed polygon")
        document = features[0]
        kind = document.get("type") if isinstance(document, dict) else None
    if kind == "Feature":
        document = document.get("geometry")
    if not isinstance(document, dict) or "type" not in document:
        raise InvalidInput(f"claim file {path} holds no GeoJSON geometry")
    return document


def check_out_path(path: Path) -> None:
    """Refuse an output path that cannot be written, before anything is stored."""
    if path.is_dir():
        raise InvalidInput(f"--out {path} is a directory: give a file name")
    if not path.parent.is_dir():
        raise InvalidInput(f"--out {path}: folder {path.parent} does not exist")


def write_geojson(path: Path, document: dict[str, Any]) -> None:
    """Write the file whole or not at all (a temporary file renamed into place)."""
    partial = path.with_name(path.name + ".partial")
    try:
        partial.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
        os.replace(partial, path)
    except OSError as exc:
        partial.unlink(missing_ok=True)
        raise InvalidInput(f"--out {path} cannot be written: {exc}") from None


def run_compare_command(engine: Engine, args: argparse.Namespace) -> None:
    """Run ``gaz check compare``: store the comparison, print its summary, write --out; nothing on an error."""
    if args.show < 0:
        raise InvalidInput(f"--show {args.show} must not be negative")
    if args.out is not None:
        check_out_path(args.out)
    with transaction(engine) as conn:
        result = run_comparison(
            conn,
            parent=args.parent,
            level=args.level,
            first=args.first,
            second=args.second,
            unit=args.unit,
            claim=read_claim(args.claim) if args.claim is not None else None,
            crs=args.crs,
            label=args.label,
            tolerance_m2=args.tolerance_m2,
            as_of=parse_date(args.as_of, "--as-of"),
            actor="cli",
        )
        names = unit_names(conn, result)
        if args.out is not None:
            write_geojson(args.out, boundaries.pieces_geojson(conn, result["id"]))
    for line in summary_lines(result, names, args.show):
        print(line)
    if args.out is not None:
        print(f"wrote {result['summary']['disputed']['count']} pieces to {args.out}")


def unit_names(conn: Connection, result: dict[str, Any]) -> dict[str, str]:
    """Names of the units the comparison mentions, on its date."""
    codes = {c for p in result["pieces"] for c in (p["first_unit"], p["second_unit"]) if c}
    codes |= {c for line in result["summary"]["lines"] for c in line["units"]}
    found = {c: boundaries.find_unit(conn, c, as_of=result["as_of"]) for c in sorted(codes)}
    return {c: unit["name"] for c, unit in found.items() if unit}


def summary_lines(result: dict[str, Any], names: dict[str, str], show: int) -> list[str]:
    """The printed summary: totals, the largest pieces (who gets them in each version, what is inside), and the
    shared lines with the largest offsets between the versions."""
    summary = result["summary"]

    def who(code: str | None) -> str:
        return f"{code} {names.get(code, '')}".rstrip() if code else "no unit"

    def km2(total: dict[str, float]) -> str:
        return f"{total['count']} pieces, {total['area_m2'] / 1e6:.3f} km²"

    parent = result["parent"]
    scope = f"{parent['code']} {parent.get('name', '')}".rstrip() if parent else "all units"
    out = [
        f"comparison {result['id']}: {result['first']} vs {result['second']}, {result['level']} units of {scope} "
        f"on {result['as_of']} ({summary['units_first']} and {summary['units_second']} polygons; "
        f"pieces under {result['tolerance_m2']:g} m² left out)",
        f"  disputed          {km2(summary['disputed'])}",
        f"  between units     {km2(summary['between_units'])}",
        f"  outer edge        {km2(summary['outer'])}",
        f"  below tolerance   {km2(summary['below_tolerance'])}",
        f"  inside the pieces {summary['inside']['places']} places, {summary['inside']['facilities']} facilities",
    ]
    if result["pieces"] and show:
        out.append("largest pieces (area; the unit each version gives it to; a point on it; what is inside):")
    for piece in result["pieces"][:show]:
        lon, lat = piece["point"]
        out.append(
            f"  #{piece['id']} {piece['area_m2'] / 1e6:10.4f} km²  {result['first']}: {who(piece['first_unit'])}"
            f" -> {result['second']}: {who(piece['second_unit'])}  at {lon:.5f},{lat:.5f}"
        )
        inside = [p["name"] for p in piece["places"] or []] + [f["name"] for f in piece["facilities"] or []]
        if inside:
            out.append(f"      inside: {', '.join(inside[:10])}{' ...' if len(inside) > 10 else ''}")
    lines = sorted(summary["lines"], key=lambda line: -line["hausdorff_m"])
    if lines and show:
        out.append(f"shared lines, largest offset between the versions (Hausdorff, m), {len(lines)} lines:")
    for line in lines[:show]:
        u, v = line["units"]
        out.append(
            f"  {who(u)} | {who(v)}: {line['hausdorff_m']:8.1f} m  "
            f"(length {line['first_length_km']:.3f} / {line['second_length_km']:.3f} km)"
        )
    return out
