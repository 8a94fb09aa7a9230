"""The printed city map (issue 17, point 3): the city, or one banner, drawn server-side as one SVG page in the
CGCS2000 Gauss-Krueger plane and printed to a one-page vector PDF by the service's printer (core.printing).

On the sheet: the banners' registered polygons (and townships' where registered; else the township seats as
points), names in Chinese with their standard romanization (the gazetteer's records), the boundary lines with
their status, a graticule in CGCS2000 with labelled degree lines, and a side panel with the title, edition date,
scale statement and bar, north arrow, legend, data sources, the label count and the 审图号 placeholder.
Labels are placed by maps.print_labels (greedy by priority over candidate positions)."""

from __future__ import annotations

import html
import math
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
import shapely
import shapely.geometry
from shapely.geometry.base import BaseGeometry
from shapely.ops import polylabel
from sqlalchemy.engine import Connection

from boundaries import service as boundaries
from core.crs import STORAGE_CRS, transform_coords, transform_geometry
from core.errors import InvalidInput
from core.gauss_kruger import GAUSS_KRUGER, gauss_kruger_zone_for
from core.printing import PRINT_FONTS, html_to_pdf
from core.settings import MapSettings
from gazetteer import service as gazetteer
from maps.print_labels import BASELINE, LINE_HEIGHT, PAD, Box, Label, TextLine, place_labels, text_width, wrap

# ISO 216 sheet sizes (mm), printed landscape.
PAPERS = {"A1": (841.0, 594.0), "A3": (420.0, 297.0), "A4": (297.0, 210.0)}
SCALE_MIN, SCALE_MAX = 1_000, 50_000_000  # the denominators accepted (1:1 000 to 1:50 000 000)
NICE_STEPS = (1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 7, 8, 9)  # the default scale: the largest of these x 10^k that fits
GRATICULE_MINUTES = (300, 120, 60, 30, 20, 15, 10, 5, 2, 1)  # the widest spacing drawing 3 lines each way is used
SIMPLIFY_MM = 0.05  # vertices closer than this on paper are dropped (below what a printer draws)
# The approval number a published map carries (《地图管理条例》: a public map is published only after map review,
# its 审图号 printed on it); this sheet has not been reviewed, so it prints the slot, marked as a placeholder.
APPROVAL_PLACEHOLDER = "审图号：蒙S（____）____号"
APPROVAL_NOTE = "占位 PLACEHOLDER：本图未经地图审核，不得公开出版或展示 (not reviewed: not for publication)"
FILLS = ("#fbe3c3", "#d9ecc9", "#cfe1f2", "#f3d4e4", "#efeac0")  # banner fills: neighbours never share one
NEIGHBOUR_FILL = "#eeeeee"
# Boundary line styles by status: colour, width (mm at A1), dash pattern (mm at A1), legend text.
LINE_STYLES = {
    "outer": ("#6a3d9a", 1.0, "5 1.2 1 1.2", "市界（旗区外缘线）City boundary (the banners' outer lines)"),
    "agreed": ("#222222", 0.6, "3.5 1 0.8 1", "旗区界·已签界线协议 Banner boundary, agreement signed"),
    "not_agreed": ("#222222", 0.6, "2 1.2", "旗区界·未签协议 Banner boundary, no agreement yet"),
    "disputed": ("#d7301f", 0.9, "3 1.5", "旗区界·有争议（未结案件）Banner boundary disputed (open case)"),
    "edges": ("#444444", 0.5, "", "旗区界（登记面边线，界线未派生）Banner boundary (polygon edges; no lines derived)"),
}
PLACEHOLDER_MM = 17  # the 审图号 box's top above the panel's foot (mm at A1)
INSET_MIN_MM = 60  # an inset is drawn only where the panel has this much height free (mm at A1)
TOWNSHIP_EDGE = ("#777777", 0.3, "1 0.8", "乡镇界（登记面）Township boundary (registered polygon)")


@dataclass(frozen=True)
class Sheet:
    """The page (mm, landscape), its map frame, the panel, the projection and the scale."""

    width: float
    height: float
    type_scale: float  # font sizes and line widths relative to A1 (the square root of the linear ratio)
    frame: Box
    panel: Box
    zone: str  # EPSG name of the GK zone
    scale: int  # the denominator
    centre: tuple[float, float]  # GK easting, northing at the frame's centre

    @property
    def mm_per_m(self) -> float:
        """Paper millimetres per ground metre (on the central meridian)."""
        return 1000.0 / self.scale

    def page(self, geom: BaseGeometry) -> BaseGeometry:
        """A geometry in GK metres moved onto the page (mm, y down)."""
        cx, cy = (self.frame.x0 + self.frame.x1) / 2, (self.frame.y0 + self.frame.y1) / 2
        k, (e0, n0) = self.mm_per_m, self.centre

        def to_page(coords: np.ndarray) -> np.ndarray:
            return np.column_stack((cx + (coords[:, 0] - e0) * k, cy - (coords[:, 1] - n0) * k))

        return shapely.transform(geom, to_page)

    def drawn(self, geom: BaseGeometry) -> BaseGeometry:
        """A geometry in GK metres as drawn: simplified below what a printer draws, on the page, cut to the
        frame (1 mm spare: the frame's clip path draws the edge)."""
        page = self.page(geom.simplify(SIMPLIFY_MM / self.mm_per_m))
        frame = self.frame
        return page.intersection(shapely.box(frame.x0 - 1, frame.y0 - 1, frame.x1 + 1, frame.y1 + 1))

    def lonlat_to_page(self, lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """CGCS2000 lon/lat arrays to page mm."""
        east, north = transform_coords(lon, lat, STORAGE_CRS, self.zone)
        cx, cy = (self.frame.x0 + self.frame.x1) / 2, (self.frame.y0 + self.frame.y1) / 2
        return cx + (east - self.centre[0]) * self.mm_per_m, cy - (north - self.centre[1]) * self.mm_per_m


def check_paper(paper: str) -> str:
    """The paper name (A1, A3, A4, as the route's and the command's choices spell them), or InvalidInput naming
    the choices."""
    if paper not in PAPERS:
        raise InvalidInput(f"paper {paper!r} is not one of {', '.join(PAPERS)}")
    return paper


def check_scale(scale: int | None) -> int | None:
    """The scale denominator, or InvalidInput when outside 1:1 000 - 1:50 000 000."""
    if scale is not None and not SCALE_MIN <= scale <= SCALE_MAX:
        raise InvalidInput(f"scale 1:{scale} is outside 1:{SCALE_MIN:,} - 1:{SCALE_MAX:,} (give the denominator)")
    return scale


def _layout(paper: str) -> tuple[float, float, float, Box, Box]:
    width, height = PAPERS[paper]
    t = math.sqrt(height / PAPERS["A1"][1])
    margin, band = 8 * t, 8 * t  # the sheet's edge, and the band for the graticule labels around the frame
    panel = Box(width - margin - 0.25 * width, margin, width - margin, height - margin)
    frame = Box(margin + band, margin + band, panel.x0 - band - 2 * t, height - margin - band)
    return width, height, t, frame, panel


def _fitting_scale(extent: tuple[float, float], frame: Box) -> int:
    """The smallest denominator at which ``extent`` (GK metres, 3 % spare) fits the frame."""
    need = max(extent[0] * 1.03 / (frame.x1 - frame.x0), extent[1] * 1.03 / (frame.y1 - frame.y0)) * 1000
    return max(SCALE_MIN, math.ceil(need))


def _nice_scale(minimum: int) -> int:
    """The first denominator of the round series (NICE_STEPS x 10^k) not below ``minimum``."""
    power = 10 ** math.floor(math.log10(minimum))
    return next(round(step * power) for step in (*NICE_STEPS, 10) if step * power >= minimum)


# --- the data --------------------------------------------------------------------------------------------
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
        lines=_lines(conn, unit, {b["code"] for b in banners}, zone),
        sources=list(dict.fromkeys(sources)),
    )
    data.sources.append("地名及罗马字母拼写 names and romanization: 本局标准地名录 the bureau's standard names")
    if data.lines:
        derived = sorted({str(line["as_of"]) for line in data.lines})
        data.sources.append(
            f"界线 boundary lines: 由登记面派生 derived from the registered polygons ({', '.join(derived)})"
        )
    return data, zone


def _lines(conn: Connection, unit: dict[str, Any], valid: set[str], zone: str) -> list[dict[str, Any]]:
    """The registry's boundary lines of the unit between units valid on the date, each with its status: outer
    (the city's edge), disputed (an open or mediating case names both sides), agreed (an agreement is
    recorded) or not_agreed."""
    cases = [set(c["units"]) for c in boundaries.list_cases(conn) if c["status"] != "resolved"]
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


# --- drawing ---------------------------------------------------------------------------------------------
def _esc(value: str) -> str:
    return html.escape(value, quote=True)


def _path(geom: BaseGeometry) -> str:
    """SVG path data of the (page-mm) polygons or lines of ``geom``."""
    parts = []
    for part in shapely.get_parts(geom):
        rings = [part.exterior, *part.interiors] if part.geom_type == "Polygon" else [part]
        for ring in rings:
            coords = shapely.get_coordinates(ring)
            if len(coords) < 2:
                continue
            text_ = "M" + "L".join(f"{x:.2f},{y:.2f}" for x, y in coords)
            parts.append(text_ + ("Z" if ring.geom_type == "LinearRing" else ""))
    return "".join(parts)


def _text(x: float, top: float, line: TextLine, *, anchor: str = "start", fill: str = "#222") -> str:
    """One line of text whose box starts at ``top``; its width is held to the computed one (textLength)."""
    width = text_width(line.text, line.size)
    start = {"start": x, "middle": x - width / 2, "end": x - width}[anchor]
    return (
        f'<text x="{start:.2f}" y="{top + BASELINE * line.size:.2f}" font-size="{line.size:.2f}"'
        f' fill="{fill}" textLength="{width:.2f}" lengthAdjust="spacingAndGlyphs">{_esc(line.text)}</text>'
    )


def _label_svg(label: Label, fill: str) -> str:
    """A placed label: a pale ground on its box (a halo drawn as a stroke around the glyphs would make the
    printer emit Type 3 fonts), then its lines centred."""
    assert label.box is not None
    box = label.box
    centre = (box.x0 + box.x1) / 2
    top = box.y0 + PAD
    parts = [
        f'<g class="label" data-key="{_esc(label.key)}"><rect x="{box.x0:.2f}" y="{box.y0:.2f}"'
        f' width="{box.x1 - box.x0:.2f}" height="{box.y1 - box.y0:.2f}" rx="{PAD:.2f}" fill="#fff" fill-opacity="0.6"/>'
    ]
    for line in label.lines:
        parts.append(_text(centre, top, line, anchor="middle", fill=fill))
        top += line.size * LINE_HEIGHT
    return "".join(parts) + "</g>"


def _colours(geoms: list[BaseGeometry]) -> list[str]:
    """Fills such that touching polygons (GK metres, within 1 m) differ (greedy colouring in order)."""
    chosen: list[str] = []
    for i, geom in enumerate(geoms):
        used = {chosen[j] for j in range(i) if geom.distance(geoms[j]) < 1.0}
        chosen.append(next((c for c in FILLS if c not in used), FILLS[i % len(FILLS)]))
    return chosen


def _line_style(status: str, t: float) -> str:
    colour, width, dashes, _ = LINE_STYLES[status]
    dash = " ".join(f"{float(d) * t:.2f}" for d in dashes.split())
    return f'fill="none" stroke="{colour}" stroke-width="{width * t:.2f}" stroke-linejoin="round"' + (
        f' stroke-dasharray="{dash}"' if dash else ""
    )


def _degrees(value: float, positive: str, negative: str) -> str:
    minutes = round(abs(value) * 60)
    degrees, rest = divmod(minutes, 60)
    return f"{degrees}°{rest:02d}′{positive if value >= 0 else negative}" if rest else f"{degrees}°{positive}"


def _graticule(sheet: Sheet) -> tuple[str, str, int]:
    """The degree lines within the frame, their labels outside it, and the spacing in minutes."""
    frame, t = sheet.frame, sheet.type_scale
    edge = np.linspace(0, 1, 41)
    xs = np.concatenate([frame.x0 + edge * (frame.x1 - frame.x0), np.full(41, frame.x1),
                         frame.x1 - edge * (frame.x1 - frame.x0), np.full(41, frame.x0)])  # fmt: skip
    ys = np.concatenate([np.full(41, frame.y0), frame.y0 + edge * (frame.y1 - frame.y0),
                         np.full(41, frame.y1), frame.y1 - edge * (frame.y1 - frame.y0)])  # fmt: skip
    cx, cy = (frame.x0 + frame.x1) / 2, (frame.y0 + frame.y1) / 2
    east = sheet.centre[0] + (xs - cx) / sheet.mm_per_m
    north = sheet.centre[1] - (ys - cy) / sheet.mm_per_m
    lon, lat = transform_coords(east, north, sheet.zone, STORAGE_CRS)
    step = next((m for m in GRATICULE_MINUTES if min(np.ptp(lon), np.ptp(lat)) * 60 / m >= 3), GRATICULE_MINUTES[-1])
    size = 2.6 * t
    lines, labels = [], []
    box = frame.shapely()
    for along_lon in (True, False):
        low, high = (lon.min(), lon.max()) if along_lon else (lat.min(), lat.max())
        other = np.linspace(lat.min(), lat.max(), 80) if along_lon else np.linspace(lon.min(), lon.max(), 80)
        for k in range(math.ceil(low * 60 / step), math.floor(high * 60 / step) + 1):
            value = k * step / 60
            px, py = (
                sheet.lonlat_to_page(np.full(80, value), other)
                if along_lon
                else sheet.lonlat_to_page(other, np.full(80, value))
            )
            inside = shapely.LineString(np.column_stack((px, py))).intersection(box)
            if inside.is_empty:
                continue
            lines.append(f'<path d="{_path(inside)}"/>')
            name = _degrees(value, "E", "W") if along_lon else _degrees(value, "N", "S")
            for end in shapely.get_coordinates(inside)[[0, -1]]:
                x, y = float(end[0]), float(end[1])
                line = TextLine(name, size)
                if along_lon and abs(y - frame.y0) < 0.01:
                    labels.append(_text(x, frame.y0 - 1.2 * t - size * LINE_HEIGHT, line, anchor="middle"))
                elif along_lon and abs(y - frame.y1) < 0.01:
                    labels.append(_text(x, frame.y1 + 1.2 * t, line, anchor="middle"))
                elif not along_lon and abs(x - frame.x0) < 0.01 and y - frame.y0 > size:
                    labels.append(_text(frame.x0 - 1.2 * t, y - size * LINE_HEIGHT / 2, line, anchor="end"))
                elif not along_lon and abs(x - frame.x1) < 0.01 and y - frame.y0 > size:
                    labels.append(_text(frame.x1 + 1.2 * t, y - size * LINE_HEIGHT / 2, line, anchor="start"))
    return "".join(lines), "".join(labels), step


def _north_arrow(sheet: Sheet, x: float, top: float) -> tuple[str, float]:
    """True north at the frame's centre (grid north is the page's up: the meridian convergence turns it)."""
    t = sheet.type_scale
    east = np.array([sheet.centre[0]] * 2)
    north = np.array([sheet.centre[1]] * 2)
    lon, lat = transform_coords(east, north, sheet.zone, STORAGE_CRS)
    px, py = sheet.lonlat_to_page(lon, lat + np.array([0.0, 0.05]))
    angle = math.degrees(math.atan2(float(px[1] - px[0]), float(py[0] - py[1])))
    height = 20 * t
    arrow = (
        f'<g transform="translate({x:.2f},{top + height / 2 + 4 * t:.2f}) rotate({angle:.3f})">'
        f'<path d="M0,{-height / 2:.2f}L{3 * t:.2f},{height / 2:.2f}L0,{height / 4:.2f}Z" fill="#222"/>'
        f'<path d="M0,{-height / 2:.2f}L{-3 * t:.2f},{height / 2:.2f}L0,{height / 4:.2f}Z" fill="#fff"'
        f' stroke="#222" stroke-width="{0.25 * t:.2f}"/></g>' + _text(x, top, TextLine("北 N", 4 * t), anchor="middle")
    )
    return arrow, top + height + 6 * t


def _scale_bar(sheet: Sheet, x: float, top: float, room: float) -> tuple[str, float]:
    """A bar of a round number of kilometres (true on the central meridian), in four alternating parts."""
    t = sheet.type_scale
    longest_km = room * sheet.scale / 1e6
    power = 10 ** math.floor(math.log10(longest_km))
    km = max(s * power for s in (1, 2, 5, 10) if s * power <= longest_km)
    length = km * 1e6 / sheet.scale
    parts = [_text(x, top, TextLine(f"比例尺 Scale 1:{sheet.scale:,}".replace(",", " "), 4.5 * t))]
    bar_top = top + 4.5 * t * LINE_HEIGHT + 2 * t
    for i in range(4):
        parts.append(
            f'<rect x="{x + i * length / 4:.2f}" y="{bar_top:.2f}" width="{length / 4:.2f}" height="{1.6 * t:.2f}"'
            f' fill="{"#222" if i % 2 == 0 else "#fff"}" stroke="#222" stroke-width="{0.2 * t:.2f}"/>'
        )
    label_top = bar_top + 2.4 * t
    for i, fraction in enumerate((0, 0.5, 1)):
        value = f"{km * fraction:g}" + (" km" if i == 2 else "")
        parts.append(_text(x + fraction * length, label_top, TextLine(value, 3 * t), anchor="middle"))
    return "".join(parts), label_top + 3 * t * LINE_HEIGHT + 4 * t


def _paragraph(x: float, top: float, text_: str, size: float, width: float, fill: str = "#333") -> tuple[str, float]:
    parts = []
    for line in wrap(text_, size, width):
        parts.append(_text(x, top, TextLine(line, size), fill=fill))
        top += size * LINE_HEIGHT
    return "".join(parts), top


# --- the sheet -------------------------------------------------------------------------------------------
def city_map(
    conn: Connection,
    *,
    unit: str,
    paper: str = "A1",
    scale: int | None = None,
    as_of: date | None = None,
    maps: MapSettings,
) -> tuple[str, dict[str, Any]]:
    """The sheet of the city or one banner on the date (today) as an HTML page carrying one SVG, and its report:
    paper, scale, projection, and the labels placed (with their boxes) and dropped. ``maps`` are the map settings:
    the compliance note printed in the title block, and the 审图号 (the placeholder while none is set)."""
    paper = check_paper(paper)
    check_scale(scale)
    day = as_of or date.today()
    data, zone = gather(conn, unit, day)
    width, height, t, frame, panel = _layout(paper)
    drawn = [b["geometry"] for b in data.focus if b["geometry"] is not None]
    drawn += [tw["seat"] for tw in data.townships if tw["seat"] is not None]
    west, south, east, north = shapely.union_all(drawn).bounds
    fitting = _fitting_scale((east - west, north - south), frame)
    if scale is not None and scale < fitting:
        raise InvalidInput(
            f"at 1:{scale:,} {data.unit['name']} does not fit the {paper} map frame; the largest scale that fits "
            f"is 1:{fitting:,}"
        )
    sheet = Sheet(
        width, height, t, frame, panel, zone, scale or _nice_scale(fitting), ((west + east) / 2, (south + north) / 2)
    )
    body, labels, obstacles, legend = _map_body(sheet, data)
    placed, dropped = place_labels(labels, frame, obstacles)
    graticule, graticule_labels, step = _graticule(sheet)
    report: dict[str, Any] = {
        "unit": {"code": data.unit["code"], "name": data.unit["name"]},
        "paper": paper,
        "page_mm": [width, height],
        "scale": sheet.scale,
        "as_of": day.isoformat(),
        "edition": date.today().isoformat(),  # the day it is printed
        "projection": f"CGCS2000 / 3-degree Gauss-Kruger CM {GAUSS_KRUGER[zone].central_meridian}E ({zone})",
        "graticule_minutes": step,
        "frame_mm": [frame.x0, frame.y0, frame.x1, frame.y1],
        "inset": None,
    }
    _count_labels(report, placed, dropped)
    inset_svg, foot = "", panel.y1 - PLACEHOLDER_MM * t
    if dropped:  # the names the map had no room for, in an inset where the panel's text leaves room
        _, text_bottom = _panel(sheet, data, legend, report, step, maps)
        inset = _inset(sheet, data, dropped, text_bottom)
        if inset is not None:
            inset_svg, inset_placed, report["inset"], foot = inset
            shown = {label.key[2:] for label in inset_placed}
            _count_labels(report, placed + inset_placed, [d for d in dropped if d.key[2:] not in shown])
    label_svg = "".join(_label_svg(label, "#555" if label.key.startswith("n:") else "#111") for label in placed)
    panel_svg, text_bottom = _panel(sheet, data, legend, report, step, maps)
    report["panel_overflow_mm"] = round(max(0.0, text_bottom - foot), 2)
    svg = (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}mm" height="{height}mm" viewBox="0 0 {width} {height}"'
        f" font-family='{PRINT_FONTS}'>"
        f'<defs><clipPath id="frame"><rect x="{frame.x0}" y="{frame.y0}" width="{frame.x1 - frame.x0:.2f}"'
        f' height="{frame.y1 - frame.y0:.2f}"/></clipPath></defs>'
        f'<rect width="{width}" height="{height}" fill="#fff"/>'
        f'<g clip-path="url(#frame)">{body}'
        f'<g fill="none" stroke="#4a7ab5" stroke-width="{0.15 * t:.2f}" stroke-opacity="0.8">{graticule}</g>'
        f"{_inset_outline(sheet, report['inset'])}</g>"
        f'<g class="labels">{label_svg}</g>'
        f'<rect x="{frame.x0}" y="{frame.y0}" width="{frame.x1 - frame.x0:.2f}" height="{frame.y1 - frame.y0:.2f}"'
        f' fill="none" stroke="#222" stroke-width="{0.4 * t:.2f}"/>'
        f'<g class="graticule-labels">{graticule_labels}</g>{panel_svg}{inset_svg}</svg>'
    )
    title = f"{data.unit['name']}地图"
    page = (
        f'<!DOCTYPE html><html lang="zh"><head><meta charset="utf-8"><title>{_esc(title)}</title><style>'
        f"@page {{ size: {width}mm {height}mm; margin: 0 }}"
        f"html, body {{ margin: 0; padding: 0; width: {width}mm; height: {height}mm; overflow: hidden }}"
        "svg { display: block }"
        f"</style></head><body>{svg}</body></html>"
    )
    return page, report


def _map_body(sheet: Sheet, data: MapData) -> tuple[str, list[Label], list[Box], list[tuple[str, str]]]:
    """The map's drawing (inside the frame), its labels to place, the seat symbols as obstacles, and the
    legend entries (symbol SVG at the origin, text)."""
    t = sheet.type_scale
    parts, labels, obstacles, legend = [], [], [], []
    for banner in data.neighbours:
        page = sheet.drawn(banner["geometry"])
        parts.append(
            f'<path d="{_path(page)}" fill="{NEIGHBOUR_FILL}" fill-rule="evenodd" stroke="#aaa"'
            f' stroke-width="{0.3 * t:.2f}"/>'
        )
        inside = page.intersection(sheet.frame.shapely())
        if not inside.is_empty:
            labels.append(_area_label(f"n:{banner['code']}", banner, inside, (2, -inside.area), t, neighbour=True))
    focus = [b for b in data.focus if b["geometry"] is not None]
    edges = "" if data.lines else f' stroke="#444" stroke-width="{0.5 * t:.2f}"'
    for banner, fill in zip(focus, _colours([b["geometry"] for b in focus]), strict=True):
        page = sheet.drawn(banner["geometry"])
        if page.is_empty:
            continue  # outside an inset
        parts.append(f'<path d="{_path(page)}" fill="{fill}" fill-rule="evenodd"{edges}/>')
        labels.append(_area_label(f"b:{banner['code']}", banner, page, (0, -page.area), t))
    legend.append(
        (
            f'<rect width="{11 * t:.2f}" height="{4 * t:.2f}" fill="{FILLS[0]}" stroke="#888"'
            f' stroke-width="{0.2 * t:.2f}"/>',
            "旗、区（登记面）Banner / district (registered polygon)",
        )
    )
    townships = [tw for tw in data.townships if tw["geometry"] is not None]
    if townships:
        style = _dash_style(TOWNSHIP_EDGE, t)
        for township in townships:
            parts.append(f'<path d="{_path(sheet.drawn(township["geometry"]))}" {style}/>')
        legend.append((f'<path d="M0,{2 * t:.2f}H{11 * t:.2f}" {style}/>', TOWNSHIP_EDGE[3]))
    statuses = [s for s in LINE_STYLES if s in {line["status"] for line in data.lines}] or ["edges"]
    for status in statuses:
        paths = "".join(_path(sheet.drawn(line["geometry"])) for line in data.lines if line["status"] == status)
        if paths:
            parts.append(f'<path d="{paths}" {_line_style(status, t)}/>')
        legend.append((f'<path d="M0,{2 * t:.2f}H{11 * t:.2f}" {_line_style(status, t)}/>', LINE_STYLES[status][3]))
    radius = 0.9 * t
    seats = 0
    for township in data.townships:
        if township["geometry"] is not None and township["seat"] is None:
            page = sheet.drawn(township["geometry"])
            if page.is_empty:
                continue
            labels.append(
                _area_label(f"t:{township['code']}", township, page, (1, _kind(township), -page.area), t * 0.6)
            )
            continue
        point = sheet.page(township["seat"])
        x, y = point.x, point.y
        if not (sheet.frame.x0 < x < sheet.frame.x1 and sheet.frame.y0 < y < sheet.frame.y1):
            continue
        seats += 1
        parts.append(
            f'<circle cx="{x:.2f}" cy="{y:.2f}" r="{radius:.2f}" fill="#fff" stroke="#222"'
            f' stroke-width="{0.3 * t:.2f}"/>'
        )
        obstacles.append(Box(x - radius - 0.2, y - radius - 0.2, x + radius + 0.2, y + radius + 0.2))
        lines = [TextLine(township["label"], 3.0 * t)]
        if township["romanization"]:
            lines.append(TextLine(township["romanization"], 2.2 * t))
        labels.append(
            Label(f"t:{township['code']}", tuple(lines), (x, y), (1, _kind(township), township["code"]), radius=radius)
        )
    if seats:
        legend.append(
            (
                f'<circle cx="{5.5 * t:.2f}" cy="{2 * t:.2f}" r="{radius:.2f}" fill="#fff" stroke="#222"'
                f' stroke-width="{0.3 * t:.2f}"/>',
                "乡、镇、苏木、街道驻地（近似）Township seat (approximate)",
            )
        )
    legend.append(
        (
            f'<path d="M0,{2 * t:.2f}H{11 * t:.2f}" stroke="#4a7ab5" stroke-width="{0.15 * t:.2f}"/>',
            "经纬网 Graticule (CGCS2000)",
        )
    )
    return "".join(parts), labels, obstacles, legend


def _dash_style(style: tuple[str, float, str, str], t: float) -> str:
    colour, width, dashes, _ = style
    dash = " ".join(f"{float(d) * t:.2f}" for d in dashes.split())
    return f'fill="none" stroke="{colour}" stroke-width="{width * t:.2f}" stroke-dasharray="{dash}"'


def _kind(township: dict[str, Any]) -> int:
    """Towns, sumu and townships are labelled before the streets (街道) of the built-up areas."""
    return 1 if township["label"].endswith("街道") else 0


def _area_label(
    key: str, unit: dict[str, Any], area: BaseGeometry, priority: tuple[Any, ...], t: float, neighbour: bool = False
) -> Label:
    """A unit's name and romanization at the pole of inaccessibility of its largest part (page mm), set smaller
    in a small area (a district among the streets of the built-up area)."""
    largest = max(shapely.get_parts(area), key=lambda part: part.area)
    anchor = polylabel(largest, tolerance=0.5)
    size = min(6.0 * t, max(3.6 * t, math.sqrt(largest.area) / 6)) * (0.75 if neighbour else 1.0)  # small areas
    lines = [TextLine(unit["label"], size)]
    if unit["romanization"]:
        lines.append(TextLine(unit["romanization"], size * 0.6))
    return Label(key, tuple(lines), (anchor.x, anchor.y), priority, area=area)


def _panel(
    sheet: Sheet, data: MapData, legend: list[tuple[str, str]], report: dict[str, Any], step: int, maps: MapSettings
) -> tuple[str, float]:
    """The side panel: title block, scale bar and north arrow, legend, projection, sources, the label count, and
    at its foot (PLACEHOLDER_MM above it) the 审图号 — the number set in maps.map_approval_number, or the marked
    placeholder while none is set; and where its text ends."""
    note = maps.compliance_note
    t, panel = sheet.type_scale, sheet.panel
    x, room = panel.x0 + 2 * t, panel.x1 - panel.x0 - 4 * t
    unit = data.unit
    parts = [
        f'<rect x="{panel.x0:.2f}" y="{panel.y0:.2f}" width="{panel.x1 - panel.x0:.2f}"'
        f' height="{panel.y1 - panel.y0:.2f}" fill="none" stroke="#222" stroke-width="{0.3 * t:.2f}"/>'
    ]
    top = panel.y0 + 3 * t
    for text_, size, fill in (
        (f"{unit['label']}地图", 14 * t, "#111"),
        (f"Map of {unit['romanization']}" if unit["romanization"] else "", 7 * t, "#333"),
        (f"版次 Edition {report['edition']}  数据日期 Data as of {report['as_of']}", 3.4 * t, "#333"),
    ):
        drawn, top = _paragraph(x, top, text_, size, room, fill)
        parts.append(drawn)
    top += 3 * t
    arrow, arrow_bottom = _north_arrow(sheet, panel.x1 - 12 * t, top)
    bar, top = _scale_bar(sheet, x, top, room - 30 * t)
    parts += [arrow, bar]
    top = max(top, arrow_bottom)
    parts.append(_text(x, top, TextLine("图例 Legend", 4.5 * t)))
    top += 4.5 * t * LINE_HEIGHT + 2 * t
    for symbol, text_ in legend:
        parts.append(f'<g transform="translate({x:.2f},{top:.2f})">{symbol}</g>')
        drawn, after = _paragraph(x + 14 * t, top, text_, 3.8 * t, room - 14 * t)
        parts.append(drawn)
        top = max(after, top + 4 * t) + 2 * t
    minutes = f"{step // 60}°" if step % 60 == 0 else f"{step}′"
    crs = GAUSS_KRUGER[sheet.zone]
    notes = [
        (
            f"坐标系 CGCS2000；高斯-克吕格投影 3°带，中央经线 {crs.central_meridian}°E（{sheet.zone}）；"
            f"经纬网间隔 {minutes}；比例尺在中央经线上为真 (scale true on the central meridian)。",
            "#333",
        ),
        ("数据来源 Data sources:", "#111"),
        *((f"· {source}", "#333") for source in data.sources),
        (
            f"注记 Labels: {report['labels']['placed']} 个已配置 placed, {report['labels']['dropped']} 个无处配置而略去"
            " dropped (按优先级贪心选择候选位置 greedy by priority over candidate positions)"
            + (f"：{'、'.join(report['labels']['dropped_names'])}" if report["labels"]["dropped"] else ""),
            "#333",
        ),
        (note, "#111"),
    ]
    top += 2 * t
    for text_, fill in notes:
        drawn, top = _paragraph(x, top, text_, 3.4 * t, room, fill)
        parts.append(drawn)
        top += 1 * t
    box_top = panel.y1 - PLACEHOLDER_MM * t
    if maps.map_approval_number:
        number = f"审图号：{maps.map_approval_number}"
        parts.append(_paragraph(x + 2 * t, box_top + 1.5 * t, number, 3.6 * t, room - 4 * t, "#111")[0])
        return "".join(parts), top
    parts.append(
        f'<rect x="{x:.2f}" y="{box_top:.2f}" width="{room:.2f}" height="{15 * t:.2f}" fill="#fff" stroke="#c62828"'
        f' stroke-width="{0.4 * t:.2f}" stroke-dasharray="{2 * t:.2f} {1 * t:.2f}"/>'
    )
    drawn, after = _paragraph(x + 2 * t, box_top + 1.5 * t, APPROVAL_PLACEHOLDER, 3.6 * t, room - 4 * t, "#c62828")
    parts.append(drawn)
    parts.append(_paragraph(x + 2 * t, after + 0.5 * t, APPROVAL_NOTE, 2.3 * t, room - 4 * t, "#c62828")[0])
    return "".join(parts), top


def _count_labels(report: dict[str, Any], placed: list[Label], dropped: list[Label]) -> None:
    """The report's label figures: placed (boxes drawn, inset included), dropped (names drawn nowhere)."""
    report["labels"] = {
        "placed": len(placed),
        "dropped": len(dropped),
        "dropped_names": [label.lines[0].text for label in dropped],
        "in_inset": sum(label.key.startswith("i:") for label in placed),
        "algorithm": "greedy by priority over candidate positions (maps.print_labels)",
    }
    report["label_boxes"] = [
        {"key": label.key, "text": label.lines[0].text, "box": [label.box.x0, label.box.y0, label.box.x1, label.box.y1]}
        for label in placed
        if label.box is not None
    ]


def _inset(
    sheet: Sheet, data: MapData, dropped: list[Label], text_bottom: float
) -> tuple[str, list[Label], dict[str, Any], float] | None:
    """An inset in the panel below its text, at a larger round scale, around the densest cluster of the seats
    whose names were dropped, with the names of every seat in it placed by the same pass; None when the panel has
    no room. Returns the SVG, the labels placed (keys ``i:``), the inset's figures and the top of its title."""
    t, panel = sheet.type_scale, sheet.panel
    title_size = 3.4 * t
    top = text_bottom + 3 * t + title_size * LINE_HEIGHT
    bottom = panel.y1 - (PLACEHOLDER_MM + 3) * t
    if bottom - top < INSET_MIN_MM * t:
        return None
    box = Box(panel.x0 + 2 * t, top, panel.x1 - 2 * t, bottom)
    wanted = {label.key[2:] for label in dropped if label.key.startswith("t:")}
    seats = [tw["seat"] for tw in data.townships if tw["code"] in wanted and tw["seat"] is not None]
    if not seats:
        return None
    reach = 20 * t / sheet.mm_per_m  # the densest cluster: dropped seats within 20 mm on the map of the one with most
    densest = max(seats, key=lambda seat: sum(seat.distance(other) <= reach for other in seats))
    seats = [seat for seat in seats if seat.distance(densest) <= reach]
    west, south, east, north = shapely.MultiPoint(seats).bounds
    spread = max(east - west, north - south, 2000.0)  # names need room around their seats: three times the spread
    scale = _nice_scale(_fitting_scale((max(east - west, spread) * 3, max(north - south, spread) * 3), box))
    if scale > sheet.scale / 2:
        return None  # not worth an inset: less than twice the map's scale
    inset = Sheet(sheet.width, sheet.height, t, box, panel, sheet.zone, scale, ((west + east) / 2, (south + north) / 2))
    body, labels, obstacles, _ = _map_body(inset, data)
    names = [label for label in labels if label.key.startswith("t:")]
    for label in names:
        label.key = "i:" + label.key[2:]
    placed, _ = place_labels(names, box, obstacles)
    figures = {"scale": scale, "box_mm": [box.x0, box.y0, box.x1, box.y1], "centre": list(inset.centre)}
    title = f"放大图 Inset 1:{scale:,}".replace(",", " ") + "（主图无处配置的注记 names the map had no room for）"
    svg = (
        f'<clipPath id="inset"><rect x="{box.x0:.2f}" y="{box.y0:.2f}" width="{box.x1 - box.x0:.2f}"'
        f' height="{box.y1 - box.y0:.2f}"/></clipPath><g clip-path="url(#inset)">'
        f'<rect x="{box.x0:.2f}" y="{box.y0:.2f}" width="{box.x1 - box.x0:.2f}" height="{box.y1 - box.y0:.2f}"'
        f' fill="#fff"/>{body}</g>'
        + "".join(_label_svg(label, "#111") for label in placed)
        + f'<rect x="{box.x0:.2f}" y="{box.y0:.2f}" width="{box.x1 - box.x0:.2f}" height="{box.y1 - box.y0:.2f}"'
        f' fill="none" stroke="#222" stroke-width="{0.4 * t:.2f}"/>'
        + _paragraph(box.x0, box.y0 - 1.5 * t - title_size * LINE_HEIGHT, title, title_size, box.x1 - box.x0)[0]
    )
    return svg, placed, figures, box.y0 - 3 * t - title_size * LINE_HEIGHT


def _inset_outline(sheet: Sheet, inset: dict[str, Any] | None) -> str:
    """The inset's ground outlined on the main map (dashed)."""
    if inset is None:
        return ""
    x0, y0, x1, y1 = inset["box_mm"]
    k = 1000.0 / inset["scale"]
    east, north = inset["centre"]
    ground = shapely.box(
        east - (x1 - x0) / 2 / k, north - (y1 - y0) / 2 / k, east + (x1 - x0) / 2 / k, north + (y1 - y0) / 2 / k
    )
    t = sheet.type_scale
    return (
        f'<path d="{_path(sheet.page(ground).exterior)}" fill="none" stroke="#c62828" stroke-width="{0.3 * t:.2f}"'
        f' stroke-dasharray="{1.5 * t:.2f} {0.8 * t:.2f}"/>'
    )


def city_map_pdf(conn: Connection, **options: Any) -> tuple[bytes, dict[str, Any]]:
    """The sheet of :func:`city_map` printed to a one-page vector PDF by core.printing, and its report."""
    page, report = city_map(conn, **options)
    return html_to_pdf(page, what="the city map"), report
