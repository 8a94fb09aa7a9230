"""Boundary hazard screening (重点地段行政区域界线隐患排查): every boundary line cut into sections of about
``section_m`` metres on the metric plane, each section scored by documented factors from what the service holds,
ranked, with the reasons (domain logic; no web framework here).

A factor gives a value between 0 and 1 and adds ``weight × value`` points (weights and scales: the settings group
``core.settings.HazardSettings``, ``GAZ_HAZARD_<FACTOR>`` and the scales, defaults documented in the README):

- ``open_dispute``: a dispute case open (or not yet resolved) on the day, 1 on its ground falling to 0 at
  ``dispute_reach_m``; a case without ground naming both units of the line (the unit of an outer line) gives 0.5
  on every section of the line. The largest value over the cases counts.
- ``recent_dispute``: the same for cases resolved within ``recent_years`` before the day.
- ``disputed_ground``: ground the newest comparison of each pair of versions gives to different units, within
  ``buffer_m`` of the section (clipped to the buffer), full at ``ground_full_m2``.
- ``marker_problems``: markers whose last observation on or before the day found them missing, damaged or moved,
  or measured them displaced beyond the campaign's tolerance; each counts on the section nearest to it, full at
  ``markers_full``.
- ``places``, ``facilities``, ``graves``: reference points (place names), facilities other than graves, and
  individual graves within ``buffer_m`` on both sides of the section (people and assets on both sides), full at
  ``places_full``, ``facilities_full``, ``graves_full``. Found by the caller (boundaries sits below the gazetteer
  and the facilities), as comparisons find what lies in their pieces.
- ``source_offset``: the line's largest offset (Hausdorff, m) between the two versions of a newest comparison
  above ``offset_tolerance_m``: 0 at the tolerance, 1 at twice it; on every section of the line.
- ``imported_areas``: polygons of the imported hazard layers (mining areas, construction permits, ...:
  ``boundaries.hazards.layers``): 1 when one crosses or touches the section, 0.5 when the nearest lies within
  ``buffer_m`` of it; each layer's nearest polygon named in the reasons with its kind and distance.
- ``inspection_overdue``: the line was never jointly inspected, or its last joint inspection ended more than
  ``inspection_cycle_years`` before the day, on every section of the line. The five-year cycle: 《省级行政区域界线
  联合检查实施办法》 (民政部, made under 《行政区域界线管理条例》, 国务院令第353号, 2002), 第六条 "同一条行政区域界线
  的联检每5年进行一次"; provinces run their county- and township-level 联检 in the same five-year rounds.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
import shapely
from shapely.geometry import mapping
from shapely.geometry.base import BaseGeometry
from sqlalchemy.engine import Connection

from boundaries.checks.metric import MetricFrame, frame_for
from boundaries.compare.service import ContentsFinder
from boundaries.disputes import queries as dispute_queries
from boundaries.hazards import queries
from boundaries.lines.service import line_key
from boundaries.units import queries as unit_queries
from boundaries.units.service import require_unit, unit_summary_short
from core.errors import InvalidInput
from core.exports import csv_text
from core.settings import HazardSettings

DEFAULT_SECTION_M = 1000.0
MIN_SECTION_M, MAX_SECTION_M = 100.0, 50_000.0
MAX_SECTIONS = 100_000
BAD_MARKER_STATUSES = ("missing", "damaged", "moved")
FACTORS = (
    "open_dispute",
    "recent_dispute",
    "disputed_ground",
    "marker_problems",
    "places",
    "facilities",
    "graves",
    "source_offset",
    "imported_areas",
    "inspection_overdue",
)
NAMES_SHOWN = 3
# A degree of longitude is longer than 50 km below 63°N: the box the imported areas are looked for in.
METRES_PER_DEGREE_AT_LEAST = 50_000.0
NEARBY_LABELS = {"places": "place name(s)", "facilities": "facility(ies)", "graves": "grave(s)"}


@dataclass
class Section:
    """One section of a line: its place along the line, plane geometry and what scored it."""

    line: Any
    number: int
    of: int
    from_m: float
    length_m: float
    geometry: BaseGeometry
    points: dict[str, float]
    reasons: list[str]

    def add(self, factor: str, weight: float, value: float, reason: str) -> None:
        """Count a factor's value (the largest seen) and say why."""
        if value <= 0:
            return
        self.points[factor] = max(self.points.get(factor, 0.0), weight * min(value, 1.0))
        self.reasons.append(reason)

    @property
    def score(self) -> float:
        """The section's points, all factors."""
        return sum(self.points.values())


def _years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def _check_section(section_m: float) -> float:
    if not (math.isfinite(section_m) and MIN_SECTION_M <= section_m <= MAX_SECTION_M):
        raise InvalidInput(f"section_m {section_m} must be between {MIN_SECTION_M:g} and {MAX_SECTION_M:,.0f} metres")
    return float(section_m)


def _cut(lines: list[Any], frame: MetricFrame, section_m: float) -> list[Section]:
    """Each line's parts in the plane cut into equal sections of about ``section_m`` (ellipsoidal metres)."""
    sections: list[Section] = []
    for row in lines:
        (plane,) = frame.forward(np.array([shapely.from_wkb(row["wkb"])], dtype=object))
        parts = [p for p in shapely.get_parts(plane) if p.length > 0]
        scale = float(frame.scale(np.array([plane.centroid.x]))[0])
        counts = [max(1, round(p.length / scale / section_m)) for p in parts]
        if sum(counts) + len(sections) > MAX_SECTIONS:
            raise InvalidInput(
                f"section_m {section_m:g} cuts the lines into over {MAX_SECTIONS:,} sections: take longer"
            )
        total, done, number = sum(counts), 0.0, 0
        for part, count in zip(parts, counts, strict=True):
            step = part.length / count
            for piece in _equal_pieces(part, count):
                number += 1
                sections.append(Section(row, number, total, done / scale, step / scale, piece, {}, []))
                done += step
    return sections


def _equal_pieces(part: BaseGeometry, count: int) -> list[BaseGeometry]:
    """A plane line string cut into ``count`` pieces of equal length (the line's vertices kept, cut points
    interpolated), measuring along the line once."""
    xy = shapely.get_coordinates(part)
    keep = np.concatenate([[True], np.hypot(*np.diff(xy, axis=0).T) > 0])
    xy = xy[keep]
    along = np.concatenate([[0.0], np.cumsum(np.hypot(*np.diff(xy, axis=0).T))])
    cuts = np.linspace(0.0, along[-1], count + 1)
    ends = np.column_stack([np.interp(cuts, along, xy[:, 0]), np.interp(cuts, along, xy[:, 1])])
    lows = np.searchsorted(along, cuts[:-1], side="right")
    highs = np.searchsorted(along, cuts[1:], side="left")
    pieces = [np.vstack([ends[i], xy[lows[i] : highs[i]], ends[i + 1]]) for i in range(count)]
    owners = np.repeat(np.arange(count), [len(p) for p in pieces])
    return list(shapely.linestrings(np.vstack(pieces), indices=owners))


def _units(row: Any) -> list[str]:
    return [row["left_code"], row["right_code"]] if row["right_code"] else [row["left_code"]]


def _score_disputes(
    sections: list[Section], frame: MetricFrame, day: date, weights: HazardSettings, conn: Connection
) -> int:
    cases = dispute_queries.dispute_cases(conn, day)
    recent_since = _years_before(day, weights.hazard_recent_years)
    geoms = np.array([s.geometry for s in sections], dtype=object)
    for case in cases:
        resolved = case["resolved_on"] is not None and case["resolved_on"] <= day
        if resolved and case["resolved_on"] < recent_since:
            continue
        factor = "recent_dispute" if resolved else "open_dispute"
        weight = getattr(weights, f"hazard_{factor}")
        state = f"resolved {case['resolved_on']}" if resolved else "open"
        label = f"dispute case {case['id']} 《{case['title']}》 ({state})"
        if case["wkb"] is None:
            named = set(case["unit_codes"])
            for section in sections:
                if set(_units(section.line)) <= named:
                    section.add(factor, weight, 0.5, f"{label} names the units of this line (no ground recorded)")
            continue
        (ground,) = frame.forward(np.array([shapely.from_wkb(case["wkb"])], dtype=object))
        bounds = shapely.bounds(geoms)
        distances = shapely.distance(geoms, ground) / frame.scale((bounds[:, 0] + bounds[:, 2]) / 2)
        for section, distance in zip(sections, distances, strict=True):
            value = 1 - float(distance) / weights.hazard_dispute_reach_m
            where = "on its ground" if distance <= 0.5 else f"{distance:,.0f} m from its ground"
            section.add(factor, weight, value, f"{label}: {where}")
    return len(cases)


def _score_pieces(
    sections: list[Section],
    buffers: np.ndarray,
    frame: MetricFrame,
    day: date,
    weights: HazardSettings,
    conn: Connection,
) -> dict[str, Any]:
    comparisons = queries.newest_comparisons(conn, day)
    labels = {c["id"]: f"{c['first_label']} vs {c['second_label']} (comparison {c['id']})" for c in comparisons}
    pieces = queries.pieces(conn, list(labels))
    offsets: dict[str, tuple[float, str]] = {}
    for comparison in comparisons:
        for entry in comparison["lines"] or []:
            key = line_key(*sorted(entry["units"]))
            if entry["hausdorff_m"] > offsets.get(key, (-1.0, ""))[0]:
                offsets[key] = (float(entry["hausdorff_m"]), labels[comparison["id"]])
    for section in sections:
        found = offsets.get(section.line["line_key"])
        if found is not None:
            offset, label = found
            tolerance = weights.hazard_offset_tolerance_m
            section.add(
                "source_offset",
                weights.hazard_source_offset,
                (offset - tolerance) / tolerance,
                f"the two versions of {label} lie up to {offset:,.0f} m apart along this line "
                f"(tolerance {tolerance:,.0f} m)",
            )
    if pieces:
        plane = frame.forward(np.array([shapely.from_wkb(p["wkb"]) for p in pieces], dtype=object))
        where, which = shapely.STRtree(plane).query(buffers, predicate="intersects")
        clipped = frame.area_m2(shapely.intersection(buffers[where], plane[which]))
        found_in: dict[int, list[tuple[int, float]]] = {}
        for s, p, area in zip(where, which, clipped, strict=True):
            found_in.setdefault(int(s), []).append((int(p), float(area)))
        for s, hits in found_in.items():
            area = sum(a for _, a in hits)
            by_label = sorted({labels[pieces[p]["comparison_id"]] for p, _ in hits})
            sections[s].add(
                "disputed_ground",
                weights.hazard_disputed_ground,
                area / weights.hazard_ground_full_m2,
                f"{area / 10_000:,.2f} ha of disputed ground in {len(hits)} piece(s) within "
                f"{weights.hazard_buffer_m:,.0f} m ({'; '.join(by_label)})",
            )
    return {"comparisons": len(comparisons), "disputed_pieces": len(pieces), "lines_compared": len(offsets)}


def _score_markers(
    sections: list[Section], frame: MetricFrame, day: date, weights: HazardSettings, conn: Connection
) -> int:
    by_line: dict[int, list[Section]] = {}
    for section in sections:
        by_line.setdefault(section.line["id"], []).append(section)
    observed = queries.last_marker_observations(conn, list(by_line), day)
    bad = [o for o in observed if o["marker_status"] in BAD_MARKER_STATUSES or o["classification"] == "displaced"]
    counts: dict[int, list[str]] = {}
    for marker in bad:
        own = by_line[marker["line_id"]]
        (point,) = frame.forward(np.array([shapely.Point(marker["lon"], marker["lat"])], dtype=object))
        nearest = min(own, key=lambda s: s.geometry.distance(point))
        state = marker["marker_status"]
        if marker["classification"] == "displaced":
            state = f"{state}, displaced {marker['displacement_m']:,.1f} m"
        counts.setdefault(id(nearest), []).append(
            f"marker {marker['number']} {state} (observed {marker['observed_on']}, campaign {marker['campaign_id']})"
        )
    for section in sections:
        for reason in counts.get(id(section), []):
            value = len(counts[id(section)]) / weights.hazard_markers_full
            section.add("marker_problems", weights.hazard_marker_problems, value, reason)
    return len(observed)


def _score_contents(
    sections: list[Section], buffers: np.ndarray, frame: MetricFrame, weights: HazardSettings, contents: ContentsFinder
) -> dict[str, int]:
    inside = contents(list(frame.inverse(buffers)))
    totals = {"places": 0, "facilities": 0, "graves": 0}
    for section, found in zip(sections, inside, strict=True):
        groups = {
            "places": [p["name"] for p in found["places"]],
            "facilities": [f["name"] for f in found["facilities"] if f["kind"] != "grave"],
            "graves": [f["name"] for f in found["facilities"] if f["kind"] == "grave"],
        }
        for factor, names in groups.items():
            totals[factor] += len(names)
            if names:
                shown = "、".join(names[:NAMES_SHOWN]) + ("…" if len(names) > NAMES_SHOWN else "")
                section.add(
                    factor,
                    getattr(weights, f"hazard_{factor}"),
                    len(names) / getattr(weights, f"hazard_{factor}_full"),
                    f"{len(names)} {NEARBY_LABELS[factor]} within {weights.hazard_buffer_m:,.0f} m: {shown}",
                )
    return totals


def _score_areas(
    sections: list[Section],
    buffers: np.ndarray,
    frame: MetricFrame,
    bounds: tuple[float, float, float, float],
    weights: HazardSettings,
    conn: Connection,
) -> int:
    areas = queries.areas_near(conn, bounds, weights.hazard_buffer_m / METRES_PER_DEGREE_AT_LEAST)
    if not areas:
        return 0
    planes = frame.forward(np.array([shapely.from_wkb(a["wkb"]) for a in areas], dtype=object))
    hits, found = shapely.STRtree(planes).query(buffers, predicate="intersects")
    near = np.array([s.geometry for s in sections], dtype=object)[hits]
    distances = shapely.distance(near, planes[found]) / frame.scale(shapely.get_x(shapely.centroid(near)))
    nearest: dict[tuple[int, str], tuple[float, Any, int]] = {}  # (section, layer) -> distance, area, count
    for hit, area_index, distance in zip(hits.tolist(), found.tolist(), distances.tolist(), strict=True):
        area = areas[area_index]
        before = nearest.get((hit, area["layer"]))
        count = 1 if before is None else before[2] + 1
        if before is None or (distance, area["feature"]) < (before[0], before[1]["feature"]):
            nearest[(hit, area["layer"])] = (distance, area, count)
        else:
            nearest[(hit, area["layer"])] = (before[0], before[1], count)
    for (hit, layer), (distance, area, count) in sorted(nearest.items(), key=lambda item: item[1][0]):
        others = f" (+{count - 1} more of the layer)" if count > 1 else ""
        where = "crosses the section" if distance <= 0.5 else f"{distance:,.0f} m from the section"
        sections[hit].add(
            "imported_areas",
            weights.hazard_imported_areas,
            1.0 if distance <= 0.5 else 0.5,
            f"{area['kind']} layer 《{layer}》: {area['label']} {where}{others}",
        )
    return len(areas)


def _score_inspections(sections: list[Section], day: date, weights: HazardSettings, conn: Connection) -> int:
    line_ids = sorted({s.line["id"] for s in sections})
    inspected = queries.last_inspections(conn, line_ids, day)
    due_after = _years_before(day, weights.hazard_inspection_cycle_years)
    for section in sections:
        last = inspected.get(section.line["id"])
        if last is None:
            reason = "never jointly inspected"
        elif last < due_after:
            reason = (
                f"last joint inspection ended {last}, over {weights.hazard_inspection_cycle_years} years before {day}"
            )
        else:
            continue
        section.add("inspection_overdue", weights.hazard_inspection_overdue, 1.0, reason)
    return len(inspected)


def screen_hazards(
    conn: Connection,
    *,
    unit: str | None = None,
    as_of: date | None = None,
    section_m: float = DEFAULT_SECTION_M,
    weights: HazardSettings,
    contents: ContentsFinder | None = None,
) -> dict[str, Any]:
    """Score the sections of the lines of ``unit``'s children and the unit itself (every line when None) on
    ``as_of`` (today when None), highest first, each with its points per factor and the reasons; ``contents``
    finds the places and facilities in the sections' buffers (None: those factors are not looked at)."""
    day = as_of or date.today()
    step = _check_section(section_m)
    scope = None
    codes: list[str] | None = None
    if unit is not None:
        row = require_unit(conn, unit, day)
        scope = unit_summary_short(row)
        codes = [row["code"], *(c["code"] for c in unit_queries.children(conn, row["code"], day))]
    lines = queries.lines(conn, codes)
    data: dict[str, Any] = {"lines": len(lines), "sections": 0}
    result: dict[str, Any] = {
        "unit": scope,
        "as_of": day,
        "section_m": step,
        "weights": {k.removeprefix("hazard_"): v for k, v in weights.model_dump().items()},
    }
    if not lines:
        return result | {"metric_crs": None, "data": data, "sections": []}
    frame = frame_for(np.array([shapely.from_wkb(r["wkb"]) for r in lines], dtype=object))
    sections = _cut(lines, frame, step)
    buffers = shapely.buffer(np.array([s.geometry for s in sections], dtype=object), weights.hazard_buffer_m)
    data["sections"] = len(sections)
    data["dispute_cases"] = _score_disputes(sections, frame, day, weights, conn)
    data |= _score_pieces(sections, buffers, frame, day, weights, conn)
    data["markers_observed"] = _score_markers(sections, frame, day, weights, conn)
    x1, y1, x2, y2 = (float(v) for v in shapely.total_bounds([shapely.from_wkb(r["wkb"]) for r in lines]))
    data["hazard_areas"] = _score_areas(sections, buffers, frame, (x1, y1, x2, y2), weights, conn)
    data["lines_inspected"] = _score_inspections(sections, day, weights, conn)
    data["nearby"] = _score_contents(sections, buffers, frame, weights, contents) if contents else None
    sections.sort(key=lambda s: (-s.score, s.line["line_key"], s.number))
    shapes = frame.inverse(np.array([s.geometry for s in sections], dtype=object))
    return result | {
        "metric_crs": frame.name,
        "data": data,
        "sections": [
            _section_out(rank, s, shape) for rank, (s, shape) in enumerate(zip(sections, shapes, strict=True), 1)
        ],
    }


def _section_out(rank: int, section: Section, shape: BaseGeometry) -> dict[str, Any]:
    middle = shapely.line_interpolate_point(shape, 0.5, normalized=True)
    return {
        "rank": rank,
        "line_id": section.line["id"],
        "line_key": section.line["line_key"],
        "kind": section.line["kind"],
        "units": _units(section.line),
        "section": section.number,
        "of": section.of,
        "from_km": round(section.from_m / 1000, 3),
        "to_km": round((section.from_m + section.length_m) / 1000, 3),
        "score": round(section.score, 1),
        "points": {f: round(section.points[f], 1) for f in FACTORS if f in section.points},
        "reasons": section.reasons,
        "middle": [round(middle.x, 6), round(middle.y, 6)],
        "geometry": mapping(shape),
    }


CSV_COLUMNS = (
    "rank",
    "line_key",
    "units",
    "section",
    "of",
    "from_km",
    "to_km",
    "score",
    *FACTORS,
    "reasons",
    "lon",
    "lat",
)


def last_marker_states(conn: Connection, line_ids: list[int], day: date | None = None) -> list[dict[str, Any]]:
    """The last observation of each marker on these lines on or before ``day`` (today): marker id and number,
    status, classification, displacement (m), date and campaign (the map viewer highlights the bad ones)."""
    return [dict(row) for row in queries.last_marker_observations(conn, line_ids, day or date.today())]


def hazards_csv(result: dict[str, Any]) -> str:
    """The ranked sections as CSV (UTF-8 BOM, cells safe for spreadsheets): points per factor, the reasons joined
    by '; ', the middle point of the section."""
    rows = (
        [
            s["rank"],
            s["line_key"],
            " ".join(s["units"]),
            s["section"],
            s["of"],
            s["from_km"],
            s["to_km"],
            s["score"],
            *(s["points"].get(f, 0) for f in FACTORS),
            "; ".join(s["reasons"]),
            *s["middle"],
        ]
        for s in result["sections"]
    )
    return csv_text(CSV_COLUMNS, rows)


def hazards_json(result: dict[str, Any]) -> dict[str, Any]:
    """The result without the sections' geometries (each keeps its middle point)."""
    return result | {"sections": [{k: v for k, v in s.items() if k != "geometry"} for s in result["sections"]]}


def hazards_geojson(result: dict[str, Any]) -> dict[str, Any]:
    """The ranked sections as a GeoJSON FeatureCollection (RFC 7946 lon/lat), highest score first."""
    return {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "id": f"{s['line_key']}#{s['section']}",
                "geometry": s["geometry"],
                "properties": {k: v for k, v in s.items() if k not in ("geometry", "middle")},
            }
            for s in result["sections"]
        ],
    }
