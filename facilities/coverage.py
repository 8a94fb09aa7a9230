"""Coverage indicators: burial sites per township, the 15-minute eldercare circle, beds per 1,000 elderly,
cemeteries and individual graves inside prohibited zones. Each result says which method it used."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from typing import Any

import shapely
from shapely.geometry import mapping
from sqlalchemy.engine import Connection

from boundaries import service as boundaries
from core.errors import InvalidInput
from core.exports import csv_text
from core.settings import PLACEHOLDER_BED_TARGET, CoverageSettings
from core.values import significant_code
from facilities import queries, versions
from facilities.models import BURIAL_KINDS, KIND_LABELS, LAYER_KINDS
from facilities.registry import CITY_CODE, list_facilities
from gazetteer import service as gazetteer

TOWN_KINDS = {"苏木", "民族苏木", "乡", "民族乡", "镇"}
STREET_KIND = "街道"
COMMUNITY_KIND = "社区"
VILLAGE_KINDS = {"村", "嘎查"}
LEVEL_DIGITS = {"city": 4, "county": 6, "township": 9}
# The 15-minute circle walked at 4 km/h: 1,000 m, the distance the circle has always used. Both are parameters
# of the eldercare routes (minutes, speed_kmh); no cited source fixes the pace, so set the office's own.
WALK_MINUTES = 15.0
WALK_SPEED_KMH = 4.0
DEFAULT_WALK_M = WALK_MINUTES * WALK_SPEED_KMH * 1000 / 60


def walk_distance_m(minutes: float, speed_kmh: float) -> float:
    """How far one walks in ``minutes`` at ``speed_kmh`` (1–120 minutes, 1–10 km/h, else InvalidInput)."""
    if not 1 <= minutes <= 120:
        raise InvalidInput(f"minutes {minutes} must be between 1 and 120")
    if not 1 <= speed_kmh <= 10:
        raise InvalidInput(f"speed_kmh {speed_kmh} must be between 1 and 10 km/h")
    return minutes * speed_kmh * 1000 / 60


METHODS = ("auto", "straight_line", "network")
NETWORK_METHOD = (
    "road-network distance (pgRouting pgr_dijkstraCost over the imported road layers, undirected, segment lengths "
    "on the ellipsoid) from each unit's reference point, an approximate seat, to the nearest operating community "
    "eldercare site, plus the straight walk between each point and the nearer end of its nearest road segment; "
    "a unit with no road path to any site counts as uncovered"
)
DISTANCE_METHOD = (
    "straight-line geodesic distance (CGCS2000 ellipsoid) from each unit's reference point, an approximate seat "
    "geocoded from its name, to the nearest operating community eldercare site; no road network is used"
)


def to_csv(rows: list[dict[str, Any]]) -> str:
    """Rows (dicts with the same keys) as CSV text with a UTF-8 BOM, cells safe for spreadsheets (``csv_text``)."""
    columns = list(rows[0]) if rows else []
    return csv_text(columns, ([row[c] for c in columns] for row in rows))


def _scope(conn: Connection, unit: str, allowed: tuple[str, ...]) -> dict[str, Any]:
    root = boundaries.require_unit(conn, unit)
    if root["level"] not in allowed:
        raise InvalidInput(
            f"unit {root['code']} ({root['name']}) is a {root['level']}: give one of {', '.join(allowed)}"
        )
    return dict(root)


def township_class(kind: str) -> str:
    """苏木/乡/镇, 街道, or 其他 (development zones, parks) for a township-level unit kind."""
    if kind in TOWN_KINDS:
        return "苏木/乡/镇"
    return "街道" if kind == STREET_KIND else "其他"


DATES_NOTE = (
    "facilities as on as_of (each open facility with the attributes of its dated version covering that day; today "
    "when omitted); units from the current division list, so that two days compare over the same units"
)


def facilities_day(as_of: date | None) -> date:
    """The day whose facilities a figure counts (``versions.as_of_day``). The units are always the current
    division list, so that two days are compared over the same communities and townships."""
    return versions.as_of_day(as_of)


def burial(conn: Connection, *, unit: str = CITY_CODE, as_of: date | None = None) -> dict[str, Any]:
    """Every township-level unit (current division list) with or without a public-welfare cemetery operating on
    ``as_of`` (today when None)."""
    day = facilities_day(as_of)
    root = _scope(conn, unit, ("city", "county", "township"))
    prefix = significant_code(root["code"])
    townships = [root] if root["level"] == "township" else boundaries.units_within(conn, prefix, "township")
    banners = {b["code"]: b["name"] for b in boundaries.units_within(conn, prefix[:6], "county")}
    cemeteries = list_facilities(conn, kind="cemetery", unit=root["code"], status="operating", as_of=day)
    cemeteries = [c for c in cemeteries if c["cemetery_type"] == "public_welfare"]
    by_township: dict[str, list[dict[str, Any]]] = defaultdict(list)
    unassigned = []
    methods: dict[str, int] = defaultdict(int)
    for cemetery in cemeteries:
        if len(significant_code(cemetery["unit_code"])) >= 9:
            by_township[cemetery["unit_code"][:9] + "000"].append(cemetery)
            methods[cemetery["unit_method"]] += 1
        else:
            unassigned.append({"id": cemetery["id"], "name": cemetery["name"], "unit_code": cemetery["unit_code"]})
    rows = []
    for township in townships:
        sites = by_township.get(township["code"], [])
        rows.append(
            {
                "code": township["code"],
                "name": township["name"],
                "kind": township["kind"],
                "class": township_class(township["kind"]),
                "banner_code": township["code"][:6] + "000000",
                "banner_name": banners.get(township["code"][:6] + "000000"),
                "has_public_welfare_cemetery": bool(sites),
                "cemeteries": len(sites),
                "cemetery_names": "、".join(s["name"] for s in sites),
            }
        )
    summary = []
    for label in ("苏木/乡/镇", "街道", "其他"):
        group = [r for r in rows if r["class"] == label]
        covered = sum(1 for r in group if r["has_public_welfare_cemetery"])
        summary.append(
            {
                "class": label,
                "units": len(group),
                "with_site": covered,
                "without_site": len(group) - covered,
                "share": round(covered / len(group), 4) if group else None,
            }
        )
    return {
        "unit": {"code": root["code"], "name": root["name"], "level": root["level"]},
        "as_of": day.isoformat(),
        "dates": DATES_NOTE,
        "method": (
            "township of each cemetery from its unit code: "
            + (", ".join(f"{n} {m}" for m, n in sorted(methods.items())) or "no cemeteries")
            + " (polygon = found from a registered polygon holding the point; declared = code given with the "
            "facility and checked against the banner polygon holding the point; no township polygons are loaded)"
        ),
        "target": "one operating public-welfare cemetery (公益性公墓) in every township-level unit",
        "summary": summary,
        "townships": rows,
        "cemeteries_without_township": unassigned,
    }


def _village_class(kind: str) -> str:
    if kind == COMMUNITY_KIND:
        return "community"
    return "village" if kind in VILLAGE_KINDS else "other"


def eldercare_circle(
    conn: Connection,
    *,
    unit: str = CITY_CODE,
    level: str = "township",
    walk_m: float = DEFAULT_WALK_M,
    year: int | None = None,
    method: str = "auto",
    as_of: date | None = None,
) -> dict[str, Any]:
    """Share of communities (社区) and villages (村/嘎查) of the current division list within ``walk_m`` of a
    community eldercare site operating on ``as_of`` (today when None), by road network when a road layer is
    imported (method auto or network), else by straight-line distance."""
    if level not in LEVEL_DIGITS:
        raise InvalidInput(f"level {level!r} is not one of {', '.join(LEVEL_DIGITS)}")
    if method not in METHODS:
        raise InvalidInput(f"method {method!r} is not one of {', '.join(METHODS)}")
    if method == "network" and queries.road_edge_count(conn) == 0:
        raise InvalidInput("method network needs an imported road layer (layer_kind road)")
    if not 50 <= walk_m <= 20_000:
        raise InvalidInput(f"walk_m {walk_m} must be between 50 and 20000 metres")
    day = facilities_day(as_of)
    root = _scope(conn, unit, ("city", "county", "township"))
    if LEVEL_DIGITS[level] < len(significant_code(root["code"])):
        raise InvalidInput(f"level {level} is above the unit {root['code']} ({root['level']})")
    prefix = significant_code(root["code"])
    villages = {v["code"]: v for v in boundaries.units_within(conn, prefix, "village")}
    located: dict[str, dict[str, Any]] = {}
    for point in gazetteer.list_points(conn, within=prefix, level="village"):
        if point["unit_code"] in villages and point["unit_code"] not in located:
            located[point["unit_code"]] = point
    network = method == "network" or (method == "auto" and queries.road_edge_count(conn) > 0)
    find = queries.network_nearest_sites if network else queries.nearest_sites
    has_sites = bool(list_facilities(conn, kind="community_eldercare_site", status="operating", as_of=day))
    points = [(code, p["lon"], p["lat"]) for code, p in located.items()] if has_sites else []
    nearest = find(conn, points, "community_eldercare_site", "operating", day)
    people = {p["unit_code"]: p for p in queries.latest_population(conn, prefix, year)}
    names = {
        u["code"]: u["name"] for lvl in ("county", "township") for u in boundaries.units_within(conn, prefix[:6], lvl)
    }
    names[root["code"]] = root["name"]
    groups: dict[tuple[str, str], dict[str, Any]] = {}
    uncovered = []
    for code, village in sorted(villages.items()):
        klass = _village_class(village["kind"])
        group_code = code[: LEVEL_DIGITS[level]].ljust(12, "0")
        group = groups.setdefault(
            (group_code, klass),
            {
                "code": group_code,
                "name": names.get(group_code),
                "class": klass,
                "units": 0,
                "located": 0,
                "covered": 0,
                "population_known": 0,
                "aged_60_plus_located": 0,
                "aged_60_plus_covered": 0,
            },
        )
        group["units"] += 1
        if code not in located:
            continue
        group["located"] += 1
        found = nearest.get(code)
        distance = None if found is None or found["distance_m"] is None else float(found["distance_m"])
        is_covered = distance is not None and distance <= walk_m
        group["covered"] += int(is_covered)
        if code in people:
            group["population_known"] += 1
            group["aged_60_plus_located"] += people[code]["aged_60_plus"]
            group["aged_60_plus_covered"] += people[code]["aged_60_plus"] if is_covered else 0
        if not is_covered:
            uncovered.append(
                {
                    "code": code,
                    "name": village["name"],
                    "class": klass,
                    "township_code": code[:9] + "000",
                    "township_name": names.get(code[:9] + "000"),
                    "distance_m": None if distance is None else round(distance, 1),
                    "nearest_site_id": None if found is None else found["facility_id"],
                    "nearest_site_name": None if found is None else found["facility_name"],
                    "lon": located[code]["lon"],
                    "lat": located[code]["lat"],
                }
            )
    uncovered_codes = {u["code"] for u in uncovered}
    areas = []
    for group in groups.values():
        group["share"] = round(group["covered"] / group["located"], 4) if group["located"] else None
        known = group["aged_60_plus_located"]
        group["share_weighted_aged_60_plus"] = round(group["aged_60_plus_covered"] / known, 4) if known else None
        areas.append(group)
    areas.sort(key=lambda g: (g["code"], g["class"]))
    return {
        "unit": {"code": root["code"], "name": root["name"], "level": root["level"]},
        "as_of": day.isoformat(),
        "dates": DATES_NOTE,
        "level": level,
        "walk_m": walk_m,
        "method": NETWORK_METHOD if network else DISTANCE_METHOD,
        "distance": "network" if network else "straight_line",
        "note": "units without a reference point are counted in `units` but not in `located`; shares are over "
        "located units; population-weighted shares use the aged 60+ figure of the units that have one",
        "areas": areas,
        "uncovered": uncovered,
        "located": [
            {
                "code": code,
                "name": villages[code]["name"],
                "class": _village_class(villages[code]["kind"]),
                "lon": p["lon"],
                "lat": p["lat"],
                "covered": code not in uncovered_codes,
            }
            for code, p in sorted(located.items())
        ],
    }


def beds(
    conn: Connection,
    *,
    settings: CoverageSettings,
    target: float | None = None,
    year: int | None = None,
    unit: str = CITY_CODE,
    as_of: date | None = None,
) -> dict[str, Any]:
    """Eldercare-institution beds per 1,000 residents aged 60+, per banner, against ``target`` (the setting
    GAZ_BED_TARGET_PER_1000 of ``settings`` when None), with the share of nursing-type beds (institutions operating
    on ``as_of`` with that day's beds, today when None)."""
    target_source, origin = "the request's target", "request"
    if target is None:
        target, target_source, origin = settings.bed_target_per_1000, "the setting GAZ_BED_TARGET_PER_1000", "setting"
    if origin == "setting" and target == PLACEHOLDER_BED_TARGET:
        origin = "placeholder"
    if not 0 < target <= 1000:
        raise InvalidInput(f"target {target} must be above 0 and at most 1000 beds per 1,000")
    note = f"target {target:g} beds per 1,000 aged 60+ from {target_source}" + (
        "; 35 is a placeholder default, not a figure from a cited plan (the national 14th five-year plan's "
        "bed indicator is the share of nursing-type beds, given here as nursing_bed_share): set the office's "
        "own target"
        if target == PLACEHOLDER_BED_TARGET
        else ""
    )
    day = facilities_day(as_of)
    root = _scope(conn, unit, ("city", "county"))
    prefix = significant_code(root["code"])
    banners = [root] if root["level"] == "county" else boundaries.units_within(conn, prefix, "county")
    people = {p["unit_code"]: p for p in queries.latest_population(conn, prefix, year)}
    totals: dict[str, dict[str, int]] = defaultdict(lambda: {"beds": 0, "nursing_beds": 0, "institutions": 0})
    institutions = list_facilities(conn, kind="eldercare_institution", unit=root["code"], status="operating", as_of=day)
    for place in institutions:
        banner = place["unit_code"][:6] + "000000"
        totals[banner]["beds"] += place["beds"] or 0
        totals[banner]["nursing_beds"] += place["nursing_beds"] or 0
        totals[banner]["institutions"] += 1
    rows = []
    for banner in banners:
        count = totals[banner["code"]]
        figure = people.get(banner["code"])
        per_1000 = (
            round(count["beds"] * 1000 / figure["aged_60_plus"], 2) if figure and figure["aged_60_plus"] else None
        )
        rows.append(
            {
                "code": banner["code"],
                "name": banner["name"],
                "institutions": count["institutions"],
                "beds": count["beds"],
                "nursing_beds": count["nursing_beds"],
                "aged_60_plus": figure["aged_60_plus"] if figure else None,
                "population_year": figure["year"] if figure else None,
                "beds_per_1000": per_1000,
                "nursing_bed_share": round(count["nursing_beds"] / count["beds"], 4) if count["beds"] else None,
                "target": target,
                "meets_target": None if per_1000 is None else per_1000 >= target,
                "target_note": note,  # on every row, so the CSV carries it too
            }
        )
    return {
        "unit": {"code": root["code"], "name": root["name"], "level": root["level"]},
        "as_of": day.isoformat(),
        "dates": DATES_NOTE,
        "method": "beds of operating eldercare institutions (养老机构) summed per banner from their unit codes, "
        "divided by the banner's latest imported aged-60+ population; banners without a figure show null",
        "target": target,
        "target_note": note,
        "target_origin": origin,  # request, setting, or placeholder (the default, not set by the office)
        "banners": rows,
    }


def parse_widths(raw: str | None) -> dict[str, float]:
    """Buffer widths per layer kind from ``road:200,river:500``; unknown kinds or negative widths are refused."""
    widths: dict[str, float] = {}
    for part in (raw or "").split(","):
        if not part.strip():
            continue
        kind, _, value = part.partition(":")
        kind = kind.strip()
        if kind not in LAYER_KINDS:
            raise InvalidInput(f"layer kind {kind!r} is not one of {', '.join(LAYER_KINDS)}")
        try:
            width = float(value)
        except ValueError:
            raise InvalidInput(f"width {value!r} for {kind} is not a number of metres") from None
        if not 0 <= width <= 100_000:
            raise InvalidInput(f"width {width} for {kind} must be between 0 and 100000 metres")
        widths[kind] = width
    return widths


def prohibited_zones(
    conn: Connection, *, widths: dict[str, float] | None = None, as_of: date | None = None
) -> dict[str, Any]:
    """Cemeteries and individual graves there on ``as_of`` (today when None; any status) inside the buffer of any
    imported prohibited-zone feature, with layer, distance and the facility (one hit per facility and feature)."""
    day = facilities_day(as_of)
    hits = [
        {
            **dict(h),
            "facility_kind_label": KIND_LABELS[h["facility_kind"]],
            "distance_m": round(float(h["distance_m"]), 1),
        }
        for h in queries.facilities_in_zones(conn, BURIAL_KINDS, widths or {}, day)
    ]
    return {
        "as_of": day.isoformat(),
        "dates": DATES_NOTE,
        "method": "straight-line geodesic distance from the point of each cemetery (公墓) and individual grave "
        "(散埋乱葬坟墓, facility kind grave) to each layer feature; a hit is a distance within the layer's buffer "
        "width (the import's width unless overridden per kind)",
        "widths_overridden": widths or {},
        "layers": [dict(r) for r in queries.layer_summary(conn)],
        "hits": hits,
    }


def zone_buffers(conn: Connection, *, widths: dict[str, float] | None = None) -> list[dict[str, Any]]:
    """The prohibited-zone features with their buffers (GeoJSON, EPSG:4490) for maps: layer, kind, feature,
    width in metres (the import's unless overridden per kind)."""
    return [
        {
            "layer": row["layer"],
            "layer_kind": row["layer_kind"],
            "feature_id": row["feature_id"],
            "name": row["name"],
            "width_m": row["width_m"],
            "geometry": mapping(shapely.from_wkb(row["wkb"])),
        }
        for row in queries.zone_buffers(conn, widths or {})
    ]
