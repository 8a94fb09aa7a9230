"""The viewer, ``/maps/``: one map with every layer in one switcher, and the application glue of
maps/static/viewer.js (search box, click-to-identify, basemap and date controls, the view in the URL).

Layers: the city outline and the banners (one overlay per polygon source), banner labels, township and village
points (from the service's vector tiles), place names by GB/T 18521 category, facilities by kind (illustrative
records labelled as such) and the three coverage KPIs per banner, each with its legend shown while it is on.
With ``as_of`` units, names, points and polygons are those valid on that date; facilities and coverage are
today's."""

from __future__ import annotations

from collections import OrderedDict
from datetime import date
from threading import Lock
from typing import Any

from sqlalchemy.engine import Connection

from boundaries import service as boundaries
from core.data_version import CONTEXTS, versions
from core.settings import CoverageSettings
from facilities import service as facilities
from facilities.service import CITY_CODE
from gazetteer import service as gazetteer
from maps.builders import BASEMAPS, ORDOS_BOUNDS, Canvas, area_style, popup_html
from maps.coverage import choropleths, facility_popup
from maps.labels import (
    APPROX_NOTE,
    BASEMAP_LABELS,
    CASE_STATUSES,
    GENERALISED_NOTE,
    ILLUSTRATIVE_NOTE,
    LEVEL_LABELS,
    MAPS,
    PLACE_TEXTS,
    POLYGON_SOURCES,
    VIEWER_TITLE,
)
from maps.service import (
    CITY_PREFIX,
    FINDING_STYLES,
    PIECE_STYLES,
    UNIT_POINT_LAYERS,
    place_layers,
    unit_layers,
    unit_names,
)

CASE_COLOURS = {"open": "#d7191c", "mediating": "#fdae61", "resolved": "#1a9641"}
MARKER_COLOURS = {  # the last observation of a marker (its status, or displaced beyond tolerance) -> colour
    "displaced": "#d7191c",
    "moved": "#d7191c",
    "missing": "#7b3294",
    "damaged": "#f46d43",
    "intact": "#1a9641",
    "rebuilt": "#1a9641",
}
# The words are the form's and the inspection report's (one vocabulary, boundaries.inspections.models).
MARKER_WORDS = {**boundaries.MARKER_STATUS_LABELS, "displaced": boundaries.MARKER_CLASS_LABELS["displaced"]}
MARKER_STATES: dict[str | None, tuple[str, str]] = {
    **{state: (colour, MARKER_WORDS[state]) for state, colour in MARKER_COLOURS.items()},
    None: ("#666666", "未巡查 not inspected"),
}
MARKER_PROBLEMS = ("displaced", "moved", "missing", "damaged")
# Hazard score bins (upper bound, colour, words) of the boundary hazards layer drawn by viewer.js.
HAZARD_BINS = [
    [1, "#bdbdbd", "0 无 none"],
    [10, "#fee08b", "< 10"],
    [25, "#fdae61", "10–25"],
    [50, "#f46d43", "25–50"],
    [None, "#a50026", "≥ 50"],
]
FACILITY_COLOURS = ("#01665e", "#762a83", "#8c510a", "#c51b7d", "#4d4d4d", "#2166ac", "#b35806")


PAGES_KEPT = 8  # built viewer pages kept in memory (per database, data version, day and options)
_pages: OrderedDict[tuple[Any, ...], str] = OrderedDict()
_pages_lock = Lock()


def viewer_page(
    conn: Connection,
    *,
    basemap: str = "none",
    tianditu_key: str = "",
    as_of: date | None = None,
    settings: CoverageSettings,
    compliance_note: str,
    approval_number: str,
) -> str:
    """The viewer page (see :func:`build_viewer_page`), built once per database, data version of the contexts it
    draws (core.data_version: every committed write bumps it), day and options, then served from memory: the
    build (the coverage KPIs, the polygons) is most of the time to a drawn map."""
    key = (
        conn.engine.url.render_as_string(hide_password=True),
        versions(conn, CONTEXTS),
        date.today(),
        basemap,
        tianditu_key,
        as_of,
        settings.model_dump_json(),
        compliance_note,
        approval_number,
    )
    with _pages_lock:
        if key in _pages:
            _pages.move_to_end(key)
            return _pages[key]
    page = build_viewer_page(
        conn,
        basemap=basemap,
        tianditu_key=tianditu_key,
        as_of=as_of,
        settings=settings,
        compliance_note=compliance_note,
        approval_number=approval_number,
    )
    with _pages_lock:
        _pages[key] = page
        while len(_pages) > PAGES_KEPT:
            _pages.popitem(last=False)
    return page


def build_viewer_page(
    conn: Connection,
    *,
    basemap: str,
    tianditu_key: str,
    as_of: date | None,
    settings: CoverageSettings,
    compliance_note: str,
    approval_number: str,
) -> str:
    """The viewer page: every layer in one switcher, started as an application (search, identify, URL state);
    its notes start with ``compliance_note`` (the setting maps.compliance_note); its print carries
    ``approval_number`` (the setting maps.map_approval_number; empty: a marked placeholder)."""
    everything = facilities.list_facilities(conn, unit=CITY_CODE)
    notes = [compliance_note, APPROX_NOTE, GENERALISED_NOTE]
    if any(f["illustrative"] for f in everything):
        notes.insert(1, ILLUSTRATIVE_NOTE)
    names = unit_names(conn, as_of)
    if as_of is not None:
        recorded = "区划、地名与边界为该日状态" if names else "该日无区划记录 (no units recorded on that date)"
        notes.insert(
            0,
            f"日期 as of {as_of.isoformat()}: {recorded}; 设施与覆盖率为当前数据 (facilities and coverage are today's)",
        )
    canvas = Canvas(VIEWER_TITLE, basemap, tianditu_key=tianditu_key, notes=notes)
    tiled: list[dict[str, Any]] = []  # the layers drawn from the vector tiles: the banners' polygons, the points
    if names:
        canvas.legend("边界来源 boundary sources", unit_layers(canvas, conn, names, as_of, tiles=tiled))
        place_layers(canvas, conn, as_of, show=False)
    _line_and_case_layers(canvas, conn, names, as_of)
    _facility_layers(canvas, everything)
    circle = facilities.eldercare_circle(conn, level="county", walk_m=facilities.DEFAULT_WALK_M)
    choropleths(canvas, conn, circle, facilities.beds(conn, settings=settings), show=False)
    township_names = {c: n for c, n in names.items() if c.endswith("000")}  # banners and townships: line names
    township_names |= {u["code"]: u["name"] for u in boundaries.units_within(conn, CITY_PREFIX, "city", as_of=as_of)}
    app: dict[str, Any] = {
        "viewer": True,
        "basemap": basemap,
        "basemaps": [{"id": b, "label": BASEMAP_LABELS[b]} for b in BASEMAPS if b != "tianditu" or tianditu_key],
        "display_crs": canvas.display_crs,
        "as_of": as_of.isoformat() if as_of else None,
        "unit_names": township_names,
        "levels": LEVEL_LABELS,
        "finding_styles": FINDING_STYLES,
        "piece_styles": PIECE_STYLES,
        "polygon_sources": POLYGON_SOURCES,
        "hazard_bins": HAZARD_BINS,
        "case_styles": {status: [CASE_COLOURS[status], label] for status, label in CASE_STATUSES.items()},
        "city_code": CITY_CODE,
        "approval_number": approval_number,
        "maps": [{"href": f"/maps/{name}", "label": title} for name, title in MAPS.items()],
        "tile_layers": tiled + tile_layers() if names else [],
        "city_bounds": ORDOS_BOUNDS,  # the tile layers ask only for the city's tiles
    }
    return canvas.render(app)


def tile_layers() -> list[dict[str, Any]]:
    """The township and village points as layers of the service's vector tiles (``/tiles/units-<level>``, drawn by
    maps/static/vectortiles.js), from the tiles' first zoom on, labelled from ``label_zoom``; the townships on at
    first; a click on one opens its card. The tiles are asked for the viewer's date (``datetime``)."""
    layers = []
    for level, title, colour in UNIT_POINT_LAYERS:
        minzoom = gazetteer.UNIT_TILE_MINZOOM.get(level, 0)
        layers.append(
            {
                "name": title if minzoom <= 8 else f"{title[:-1]}, {minzoom} 级起 from zoom {minzoom})",
                "collection": f"units-{level}",
                "level": level,
                "minzoom": minzoom,
                "colour": colour,
                "radius": 6 if level == "township" else 4,
                "label_zoom": 10 if level == "township" else 13,
                "shown": level == "township",
                "points": True,
            }
        )
    return layers


def _line_and_case_layers(canvas: Canvas, conn: Connection, names: dict[str, str], as_of: date | None) -> None:
    """The boundary lines (today's, named by their two units), their markers coloured by their last observation
    up to the date, and the dispute cases with ground, one overlay per status (off at first; none when there is
    nothing to draw). Every stored line is read, then the city's kept: fine for one city's few dozen lines, not
    at national scale (vector tiles would be the way)."""
    found = [line for line in boundaries.list_lines(conn) if any(c.startswith(CITY_PREFIX) for c in line["units"])]
    if found:
        canvas.polygons(
            "界线 Boundary lines",
            [
                {
                    "geometry": line["geometry"],
                    "properties": {
                        "units": " — ".join(names.get(c, c) for c in line["units"]),
                        "length_km": line["length_km"],
                        "agreement": line["agreement_ref"] or "",
                    },
                }
                for line in found
            ],
            style=lambda _: {"color": "#7b3294", "weight": 3},
            fields=["units", "length_km", "agreement"],
            aliases=["界线 line", "长度 km", "协议 agreement"],
            show=False,
        )
        _marker_layer(canvas, conn, found, names, as_of)
    for status, label in CASE_STATUSES.items():
        cases = [c for c in boundaries.list_cases(conn, status=status) if c["geometry"] is not None]
        if cases:
            canvas.polygons(
                f"争议案件 Dispute cases: {label}",
                [
                    {
                        "geometry": case["geometry"],
                        "properties": {
                            "title": case["title"],
                            "units": "、".join(names.get(c, c) for c in case["units"]),
                            "status": label,
                        },
                    }
                    for case in cases
                ],
                style=area_style(CASE_COLOURS[status], fill_opacity=0.35),
                fields=["title", "units", "status"],
                aliases=["案件 case", "单位 units", "状态 status"],
                show=False,
            )


def _marker_layer(
    canvas: Canvas, conn: Connection, found: list[dict[str, Any]], names: dict[str, str], as_of: date | None
) -> None:
    """The markers (界桩) of the lines drawn, coloured by their last observation on or before the date: displaced,
    moved, missing and damaged ones larger and in warning colours, with a legend (off at first)."""
    lines = {line["id"]: line for line in found}
    markers = [m for m in boundaries.list_markers(conn) if m["line_id"] in lines]
    if not markers:
        return
    states = {o["marker_id"]: o for o in boundaries.last_marker_states(conn, list(lines), as_of)}
    group = canvas.group("界桩 Boundary markers (最近巡查 last inspection)", show=False)
    for marker in markers:
        seen = states.get(marker["id"])
        state = None
        if seen is not None:
            state = "displaced" if seen["classification"] == "displaced" else seen["marker_status"]
        colour, words = MARKER_STATES.get(state, MARKER_STATES[None])
        bad = state in MARKER_PROBLEMS
        moved = seen and seen["displacement_m"] is not None
        canvas.point(
            group,
            marker["lon"],
            marker["lat"],
            colour=colour,
            radius=8 if bad else 4,
            tooltip=f"界桩 {marker['number']} {words}",
            popup=popup_html(
                f"界桩 marker {marker['number']}",
                [
                    ("界线 line", " — ".join(names.get(c, c) for c in lines[marker["line_id"]]["units"])),
                    ("说明 description", marker["description"]),
                    ("最近巡查 last inspection", words + (f" ({seen['observed_on']})" if seen else "")),
                    ("偏移 displacement", f"{seen['displacement_m']:,.1f} m" if moved and seen else None),
                ],
            ),
        )
    shown = {words: colour for colour, words in MARKER_STATES.values()}
    canvas.legend("界桩 markers", [(colour, words) for words, colour in shown.items()], layers=[group], points=True)


def _facility_layers(canvas: Canvas, everything: list[dict[str, Any]]) -> None:
    """One overlay per facility kind (off at first), illustrative records named so in the layer and popup."""
    kinds: dict[str, list[dict[str, Any]]] = {}
    for facility in everything:
        kinds.setdefault(facility["kind"], []).append(facility)
    for number, (kind, rows) in enumerate(sorted(kinds.items())):
        colour = FACILITY_COLOURS[number % len(FACILITY_COLOURS)]
        illustrative = " (示意数据 illustrative)" if any(r["illustrative"] for r in rows) else ""
        group = canvas.group(f"设施 {rows[0]['kind_label']} {kind}{illustrative}", show=False)
        for row in rows:
            canvas.point(
                group, row["lon"], row["lat"], colour=colour, radius=5, tooltip=row["name"], popup=facility_popup(row)
            )


def place_page(
    conn: Connection, place_name_id: int, *, basemap: str = "none", tianditu_key: str = "", compliance_note: str
) -> str:
    """The page of one place name (the search card links to it): its record, other names and events in the
    panel, the place and its unit's polygon on the map. Only what the JSON record (``/api/v1/places/{id}``)
    gives: a record that is not public is at its generalised location."""
    place = gazetteer.get_place(conn, place_name_id)
    toned = place["romanization_toned"] or place["romanization"]
    lines = [
        f"罗马字母 romanization: {toned or '—'}",
        f"类别 category: {place['category']} {place['category_name'] or ''}",
        f"所在政区 unit: {' › '.join(u['name'] for u in place['unit_path']) or '—'}",
        f"状态 status: {place['status']}, {place['valid_from'] or '?'} – {place['valid_to'] or '今 now'}",
        *(f"{label}: {place[key]}" for key, label in PLACE_TEXTS if place.get(key)),
        *(
            f"名称 name: {n['name']} ({n['status']}, {n['valid_from'] or '?'} – {n['valid_to'] or '今 now'})"
            for n in place["names"]
            if n["id"] != place["id"]
        ),
        *(
            "沿革 event: " + ", ".join(f"{k} {v}" for k, v in event.items() if v not in (None, ""))
            for event in place["events"]
        ),
        f"记录 record: /api/v1/places/{place['id']}",
        compliance_note,
    ]
    canvas = Canvas(f"{place['name']} — 地名 place name", basemap, tianditu_key=tianditu_key, notes=lines)
    if place["unit_code"]:
        unit = boundaries.get_unit(conn, place["unit_code"], crs="EPSG:4490")
        if unit["polygon"] is not None:
            canvas.polygons(
                f"所在政区 {unit['name']}",
                [{"geometry": unit["polygon"]["geometry"], "properties": {"name": unit["name"]}}],
                style=lambda _: {"color": "#d7191c", "weight": 2, "fill": False, "dashArray": "5 4"},
                fields=["name"],
                aliases=["所在政区 unit"],
            )
    if place["point"] is not None:
        lon, lat = place["point"]["lon"], place["point"]["lat"]
        group = canvas.group(f"地名 {place['name']}")
        canvas.point(
            group,
            lon,
            lat,
            colour="#d7191c",
            radius=8,
            tooltip=place["name"],
            popup=popup_html(place["name"], [("罗马字母 romanization", toned), ("状态 status", place["status"])]),
        )
        canvas.zoom_to(lon, lat)
    return canvas.render()
