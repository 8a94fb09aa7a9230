"""What the printed city map draws (maps.print_map): the units of the city or one banner on the date, their
registered polygons in the sheet's Gauss-Krueger plane, the township seats, standard names with their
romanization, the boundary lines with their status, and the sources the sheet names."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import shapely
import shapely.geometry
from sqlalchemy.engine import Connection

from boundaries import service as boundaries
from core.crs import STORAGE_CRS, transform_coords, transform_geometry
from core.errors import InvalidInput
from core.gauss_kruger import gauss_kruger_zone_for
from gazetteer import service as gazetteer


@dataclass
class MapData:
    """What the sheet draws, in GK metres: units, polygons, seats, lines, names; and the sources it names."""

    unit: dict[str, Any]
    focus: list[dict[str, Any]]  # the banners drawn in colour: code, name, romanization, geometry (or None)
    neighbours: list[dict[str, Any]]  # the other banners of the city on a banner's sheet (grey, for context)
    townships: list[dict[str, Any]]  # code, name, romanization, geometry (registered polygon or None), seat point
    lines: list[dict[str, Any]]  # status, geometry
    sources: list[str]


def _standard(conn: Connection, units: list[dict[str, Any]], day: date) -> None:
    """Give each unit its standard name and romanization from the gazetteer (the registry name if none)."""
    names = gazetteer.unit_standard_names(conn, [u["code"] for u in units], as_of=day)
    for unit in units:
        record = names.get(unit["code"])
        unit["label"] = record["name"] if record else unit["name"]
        unit["romanization"] = (record or {}).get("romanization") or ""


def _registered(conn: Connection, parent: str, level: str, day: date, zone: str | None) -> dict[str, Any]:
    """The registered polygons of the units of ``level`` under ``parent`` on the date, by code (lon/lat unless
    ``zone``), with their sources."""
    out = {}
    for source, polygons in boundaries.polygons_by_source(conn, parent, level, as_of=day).items():
        for polygon in polygons:
            if polygon["status"] == boundaries.REGISTERED:
                geom = shapely.geometry.shape(polygon["geometry"])
                out[polygon["code"]] = {
                    "geometry": geom if zone is None else transform_geometry(geom, STORAGE_CRS, zone),
                    "source": f"{source} ({polygon['valid_from']})",
                }
    return out


def gather(conn: Connection, code: str, day: date) -> tuple[MapData, str]:
    """The sheet's data for the unit (the city or a banner) on the date, and the GK zone of its centre."""
    unit = boundaries.get_unit(conn, code, as_of=day, crs=STORAGE_CRS)
    if unit["level"] not in ("city", "county"):
        raise InvalidInput(f"{unit['name']} ({unit['code']}) is a {unit['level']}: print the city or one banner")
    city_code = unit["code"] if unit["level"] == "city" else unit["parent_code"]
    banners = [b for b in boundaries.get_children(conn, city_code, as_of=day) if b["level"] == "county"]
    lonlat = _registered(conn, city_code, "county", day, None)
    mine = [b for b in banners if unit["level"] == "city" or b["code"] == unit["code"]]
    prefix = unit["code"][: 4 if unit["level"] == "city" else 6]
    points: dict[str, dict[str, Any]] = {}
    for point in gazetteer.list_points(conn, within=prefix, level="township"):
        points.setdefault(point["unit_code"], point)
    drawn = [lonlat[b["code"]]["geometry"] for b in mine if b["code"] in lonlat]
    drawn += [shapely.Point(p["lon"], p["lat"]) for p in points.values()]
    if not drawn:
        raise InvalidInput(f"{unit['name']} ({unit['code']}) has no registered polygon and no seat on {day}")
    west, _, east, _ = shapely.union_all(drawn).bounds
    zone = gauss_kruger_zone_for((west + east) / 2)
    polygons = {c: {**p, "geometry": transform_geometry(p["geometry"], STORAGE_CRS, zone)} for c, p in lonlat.items()}
    townships = boundaries.units_within(conn, prefix, "township", as_of=day)
    township_polygons = _registered(conn, unit["code"], "township", day, zone)
    _standard(conn, [unit, *banners, *townships], day)
    sources = sorted(
        {f"旗区界 banner polygons: {polygons[b['code']]['source']}" for b in mine if b["code"] in polygons}
    )
    sources += sorted({f"乡镇界 township polygons: {p['source']}" for p in township_polygons.values()})
    for township in townships:
        township["geometry"] = (township_polygons.get(township["code"]) or {}).get("geometry")
        seat = points.get(township["code"])
        township["seat"] = None
        if seat is not None:
            east_, north_ = transform_coords([seat["lon"]], [seat["lat"]], STORAGE_CRS, zone)
            township["seat"] = shapely.Point(float(east_[0]), float(north_[0]))
            sources.append(f"乡镇驻地 township seats: {seat['source']} (approximate, geocoded)")
    for banner in banners:
        banner["geometry"] = (polygons.get(banner["code"]) or {}).get("geometry")
    data = MapData(
        unit=unit,
        focus=[b for b in banners if b in mine],
        neighbours=[b for b in banners if b not in mine and b["geometry"] is not None],
        townships=[t for t in townships if t["geometry"] is not None or t["seat"] is not None],
        lines=_lines(conn, unit, {b["code"] for b in banners}, zone, day),
        sources=list(dict.fromkeys(sources)),
    )
    data.sources.append("地名及罗马字母拼写 names and romanization: 本局标准地名录 the bureau's standard names")
    if data.lines:
        derived = sorted({str(line["as_of"]) for line in data.lines})
        data.sources.append(
            f"界线 boundary lines: 由登记面派生 derived from the registered polygons ({', '.join(derived)})"
        )
    return data, zone


def _lines(conn: Connection, unit: dict[str, Any], valid: set[str], zone: str, day: date) -> list[dict[str, Any]]:
    """The registry's boundary lines of the unit between units valid on the date, each with its status: outer
    (the city's edge), disputed (a case open on ``day`` names both sides: opened by then and not yet resolved),
    agreed (an agreement is recorded) or not_agreed."""
    cases = [set(c["units"]) for c in boundaries.open_cases_on(conn, day)]
    found = []
    for line in boundaries.list_lines(conn, unit=None if unit["level"] == "city" else unit["code"]):
        if not set(line["units"]) <= valid:
            continue
        if line["kind"] == "outer":
            status = "outer"
        elif any(set(line["units"]) <= case for case in cases):
            status = "disputed"
        else:
            status = "agreed" if line["agreement_ref"] else "not_agreed"
        geom = transform_geometry(shapely.geometry.shape(line["geometry"]), STORAGE_CRS, zone)
        found.append({"status": status, "geometry": geom, "as_of": line["as_of"]})
    return found
