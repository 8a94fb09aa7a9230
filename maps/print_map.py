"""The printed city map (issue 17, point 3): the city, or one banner, drawn server-side as one SVG page in the
CGCS2000 Gauss-Krueger plane and printed to a one-page vector PDF by the service's printer (core.printing).

On the sheet: the banners' registered polygons (and townships' where registered; else the township seats as
points), names in Chinese with their standard romanization (the gazetteer's records), the boundary lines with
their status, a graticule in CGCS2000 with labelled degree lines, and a side panel with the title, edition date,
scale statement and bar, north arrow, legend, data sources, the label count and the 审图号 (the number once set,
else the marked placeholder). What it draws comes from maps.print_data, the SVG pieces from maps.print_drawing, and
labels are placed by maps.print_labels (greedy by priority over candidate positions)."""

from __future__ import annotations

import math
from datetime import date
from typing import Any

import shapely
import shapely.geometry
from shapely.geometry.base import BaseGeometry
from shapely.ops import polylabel
from sqlalchemy.engine import Connection

from core.errors import InvalidInput
from core.gauss_kruger import GAUSS_KRUGER
from core.printing import PRINT_FONTS, html_to_pdf
from core.settings import MapSettings
from maps.labels import APPROVAL_NOTE, APPROVAL_PLACEHOLDER, PRINT_LEGEND
from maps.print_data import MapData, gather
from maps.print_drawing import (
    FILLS,
    LINE_STYLES,
    Sheet,
    colours,
    esc,
    graticule,
    label_svg,
    line_style,
    north_arrow,
    paragraph,
    scale_bar,
    svg_path,
    svg_text,
)
from maps.print_labels import LINE_HEIGHT, Box, Label, TextLine, place_labels

# ISO 216 sheet sizes (mm), printed landscape.
PAPERS = {"A1": (841.0, 594.0), "A3": (420.0, 297.0), "A4": (297.0, 210.0)}
SCALE_MIN, SCALE_MAX = 1_000, 50_000_000  # the denominators accepted (1:1 000 to 1:50 000 000)
NICE_STEPS = (1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 7, 8, 9)  # the default scale: the largest of these x 10^k that fits
NEIGHBOUR_FILL = "#eeeeee"
PLACEHOLDER_MM = 17  # the 审图号 box's top above the panel's foot (mm at A1)
INSET_MIN_MM = 60  # an inset is drawn only where the panel has this much height free (mm at A1)
TOWNSHIP_EDGE = ("#777777", 0.3, "1 0.8", PRINT_LEGEND["township"])


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
    graticule_lines, graticule_labels, step = graticule(sheet)
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
    labels_drawn = "".join(label_svg(label, "#555" if label.key.startswith("n:") else "#111") for label in placed)
    panel_svg, text_bottom = _panel(sheet, data, legend, report, step, maps)
    report["panel_overflow_mm"] = round(max(0.0, text_bottom - foot), 2)
    svg = (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}mm" height="{height}mm" viewBox="0 0 {width} {height}"'
        f" font-family='{PRINT_FONTS}'>"
        f'<defs><clipPath id="frame"><rect x="{frame.x0}" y="{frame.y0}" width="{frame.x1 - frame.x0:.2f}"'
        f' height="{frame.y1 - frame.y0:.2f}"/></clipPath></defs>'
        f'<rect width="{width}" height="{height}" fill="#fff"/>'
        f'<g clip-path="url(#frame)">{body}'
        f'<g fill="none" stroke="#4a7ab5" stroke-width="{0.15 * t:.2f}" stroke-opacity="0.8">{graticule_lines}</g>'
        f"{_inset_outline(sheet, report['inset'])}</g>"
        f'<g class="labels">{labels_drawn}</g>'
        f'<rect x="{frame.x0}" y="{frame.y0}" width="{frame.x1 - frame.x0:.2f}" height="{frame.y1 - frame.y0:.2f}"'
        f' fill="none" stroke="#222" stroke-width="{0.4 * t:.2f}"/>'
        f'<g class="graticule-labels">{graticule_labels}</g>{panel_svg}{inset_svg}</svg>'
    )
    title = f"{data.unit['name']}地图"
    page = (
        f'<!DOCTYPE html><html lang="zh"><head><meta charset="utf-8"><title>{esc(title)}</title><style>'
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
            f'<path d="{svg_path(page)}" fill="{NEIGHBOUR_FILL}" fill-rule="evenodd" stroke="#aaa"'
            f' stroke-width="{0.3 * t:.2f}"/>'
        )
        inside = page.intersection(sheet.frame.shapely())
        if not inside.is_empty:
            labels.append(_area_label(f"n:{banner['code']}", banner, inside, (2, -inside.area), t, neighbour=True))
    focus = [b for b in data.focus if b["geometry"] is not None]
    edges = "" if data.lines else f' stroke="#444" stroke-width="{0.5 * t:.2f}"'
    for banner, fill in zip(focus, colours([b["geometry"] for b in focus]), strict=True):
        page = sheet.drawn(banner["geometry"])
        if page.is_empty:
            continue  # outside an inset
        parts.append(f'<path d="{svg_path(page)}" fill="{fill}" fill-rule="evenodd"{edges}/>')
        labels.append(_area_label(f"b:{banner['code']}", banner, page, (0, -page.area), t))
    legend.append(
        (
            f'<rect width="{11 * t:.2f}" height="{4 * t:.2f}" fill="{FILLS[0]}" stroke="#888"'
            f' stroke-width="{0.2 * t:.2f}"/>',
            PRINT_LEGEND["banner"],
        )
    )
    townships = [tw for tw in data.townships if tw["geometry"] is not None]
    if townships:
        style = _dash_style(TOWNSHIP_EDGE, t)
        for township in townships:
            parts.append(f'<path d="{svg_path(sheet.drawn(township["geometry"]))}" {style}/>')
        legend.append((f'<path d="M0,{2 * t:.2f}H{11 * t:.2f}" {style}/>', TOWNSHIP_EDGE[3]))
    statuses = [s for s in LINE_STYLES if s in {line["status"] for line in data.lines}] or ["edges"]
    for status in statuses:
        paths = "".join(svg_path(sheet.drawn(line["geometry"])) for line in data.lines if line["status"] == status)
        if paths:
            parts.append(f'<path d="{paths}" {line_style(status, t)}/>')
        legend.append((f'<path d="M0,{2 * t:.2f}H{11 * t:.2f}" {line_style(status, t)}/>', LINE_STYLES[status][3]))
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
                PRINT_LEGEND["seat"],
            )
        )
    legend.append(
        (
            f'<path d="M0,{2 * t:.2f}H{11 * t:.2f}" stroke="#4a7ab5" stroke-width="{0.15 * t:.2f}"/>',
            PRINT_LEGEND["graticule"],
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
        drawn, top = paragraph(x, top, text_, size, room, fill)
        parts.append(drawn)
    top += 3 * t
    arrow, arrow_bottom = north_arrow(sheet, panel.x1 - 12 * t, top)
    bar, top = scale_bar(sheet, x, top, room - 30 * t)
    parts += [arrow, bar]
    top = max(top, arrow_bottom)
    parts.append(svg_text(x, top, TextLine(PRINT_LEGEND["heading"], 4.5 * t)))
    top += 4.5 * t * LINE_HEIGHT + 2 * t
    for symbol, text_ in legend:
        parts.append(f'<g transform="translate({x:.2f},{top:.2f})">{symbol}</g>')
        drawn, after = paragraph(x + 14 * t, top, text_, 3.8 * t, room - 14 * t)
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
        drawn, top = paragraph(x, top, text_, 3.4 * t, room, fill)
        parts.append(drawn)
        top += 1 * t
    box_top = panel.y1 - PLACEHOLDER_MM * t
    if maps.map_approval_number:
        number = f"审图号：{maps.map_approval_number}"
        parts.append(paragraph(x + 2 * t, box_top + 1.5 * t, number, 3.6 * t, room - 4 * t, "#111")[0])
        return "".join(parts), top
    parts.append(
        f'<rect x="{x:.2f}" y="{box_top:.2f}" width="{room:.2f}" height="{15 * t:.2f}" fill="#fff" stroke="#c62828"'
        f' stroke-width="{0.4 * t:.2f}" stroke-dasharray="{2 * t:.2f} {1 * t:.2f}"/>'
    )
    drawn, after = paragraph(x + 2 * t, box_top + 1.5 * t, APPROVAL_PLACEHOLDER, 3.6 * t, room - 4 * t, "#c62828")
    parts.append(drawn)
    parts.append(paragraph(x + 2 * t, after + 0.5 * t, APPROVAL_NOTE, 2.3 * t, room - 4 * t, "#c62828")[0])
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
        + "".join(label_svg(label, "#111") for label in placed)
        + f'<rect x="{box.x0:.2f}" y="{box.y0:.2f}" width="{box.x1 - box.x0:.2f}" height="{box.y1 - box.y0:.2f}"'
        f' fill="none" stroke="#222" stroke-width="{0.4 * t:.2f}"/>'
        + paragraph(box.x0, box.y0 - 1.5 * t - title_size * LINE_HEIGHT, title, title_size, box.x1 - box.x0)[0]
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
        f'<path d="{svg_path(sheet.page(ground).exterior)}" fill="none" stroke="#c62828" stroke-width="{0.3 * t:.2f}"'
        f' stroke-dasharray="{1.5 * t:.2f} {0.8 * t:.2f}"/>'
    )


def city_map_pdf(conn: Connection, **options: Any) -> tuple[bytes, dict[str, Any]]:
    """The sheet of :func:`city_map` printed to a one-page vector PDF by core.printing, and its report."""
    page, report = city_map(conn, **options)
    return html_to_pdf(page, what="the city map"), report
