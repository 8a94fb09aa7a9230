"""SVG pieces of the printed city map (maps.print_map), in page millimetres: paths, text, labels, line styles,
the graticule, the north arrow, the scale bar and wrapped paragraphs."""

from __future__ import annotations

import html
import math
from dataclasses import dataclass

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

from core.crs import STORAGE_CRS, transform_coords
from maps.labels import PRINT_LEGEND
from maps.print_labels import BASELINE, LINE_HEIGHT, PAD, Box, Label, TextLine, text_width, wrap


def esc(value: str) -> str:
    return html.escape(value, quote=True)


def svg_path(geom: BaseGeometry) -> str:
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


def svg_text(x: float, top: float, line: TextLine, *, anchor: str = "start", fill: str = "#222") -> str:
    """One line of text whose box starts at ``top``; its width is held to the computed one (textLength)."""
    width = text_width(line.text, line.size)
    start = {"start": x, "middle": x - width / 2, "end": x - width}[anchor]
    return (
        f'<text x="{start:.2f}" y="{top + BASELINE * line.size:.2f}" font-size="{line.size:.2f}"'
        f' fill="{fill}" textLength="{width:.2f}" lengthAdjust="spacingAndGlyphs">{esc(line.text)}</text>'
    )


def label_svg(label: Label, fill: str) -> str:
    """A placed label: a pale ground on its box (a halo drawn as a stroke around the glyphs would make the
    printer emit Type 3 fonts), then its lines centred."""
    assert label.box is not None
    box = label.box
    centre = (box.x0 + box.x1) / 2
    top = box.y0 + PAD
    parts = [
        f'<g class="label" data-key="{esc(label.key)}"><rect x="{box.x0:.2f}" y="{box.y0:.2f}"'
        f' width="{box.x1 - box.x0:.2f}" height="{box.y1 - box.y0:.2f}" rx="{PAD:.2f}" fill="#fff" fill-opacity="0.6"/>'
    ]
    for line in label.lines:
        parts.append(svg_text(centre, top, line, anchor="middle", fill=fill))
        top += line.size * LINE_HEIGHT
    return "".join(parts) + "</g>"


def colours(geoms: list[BaseGeometry]) -> list[str]:
    """Fills such that touching polygons (GK metres, within 1 m) differ (greedy colouring in order)."""
    chosen: list[str] = []
    for i, geom in enumerate(geoms):
        used = {chosen[j] for j in range(i) if geom.distance(geoms[j]) < 1.0}
        chosen.append(next((c for c in FILLS if c not in used), FILLS[i % len(FILLS)]))
    return chosen


def line_style(status: str, t: float) -> str:
    colour, width, dashes, _ = LINE_STYLES[status]
    dash = " ".join(f"{float(d) * t:.2f}" for d in dashes.split())
    return f'fill="none" stroke="{colour}" stroke-width="{width * t:.2f}" stroke-linejoin="round"' + (
        f' stroke-dasharray="{dash}"' if dash else ""
    )


def degrees(value: float, positive: str, negative: str) -> str:
    minutes = round(abs(value) * 60)
    degrees, rest = divmod(minutes, 60)
    return f"{degrees}°{rest:02d}′{positive if value >= 0 else negative}" if rest else f"{degrees}°{positive}"


def graticule(sheet: Sheet) -> tuple[str, str, int]:
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
            lines.append(f'<path d="{svg_path(inside)}"/>')
            name = degrees(value, "E", "W") if along_lon else degrees(value, "N", "S")
            for end in shapely.get_coordinates(inside)[[0, -1]]:
                x, y = float(end[0]), float(end[1])
                line = TextLine(name, size)
                if along_lon and abs(y - frame.y0) < 0.01:
                    labels.append(svg_text(x, frame.y0 - 1.2 * t - size * LINE_HEIGHT, line, anchor="middle"))
                elif along_lon and abs(y - frame.y1) < 0.01:
                    labels.append(svg_text(x, frame.y1 + 1.2 * t, line, anchor="middle"))
                elif not along_lon and abs(x - frame.x0) < 0.01 and y - frame.y0 > size:
                    labels.append(svg_text(frame.x0 - 1.2 * t, y - size * LINE_HEIGHT / 2, line, anchor="end"))
                elif not along_lon and abs(x - frame.x1) < 0.01 and y - frame.y0 > size:
                    labels.append(svg_text(frame.x1 + 1.2 * t, y - size * LINE_HEIGHT / 2, line, anchor="start"))
    return "".join(lines), "".join(labels), step


def north_arrow(sheet: Sheet, x: float, top: float) -> tuple[str, float]:
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
        f' stroke="#222" stroke-width="{0.25 * t:.2f}"/></g>'
        + svg_text(x, top, TextLine("北 N", 4 * t), anchor="middle")
    )
    return arrow, top + height + 6 * t


def scale_bar(sheet: Sheet, x: float, top: float, room: float) -> tuple[str, float]:
    """A bar of a round number of kilometres (true on the central meridian), in four alternating parts."""
    t = sheet.type_scale
    longest_km = room * sheet.scale / 1e6
    power = 10 ** math.floor(math.log10(longest_km))
    km = max(s * power for s in (1, 2, 5, 10) if s * power <= longest_km)
    length = km * 1e6 / sheet.scale
    parts = [svg_text(x, top, TextLine(f"比例尺 Scale 1:{sheet.scale:,}".replace(",", " "), 4.5 * t))]
    bar_top = top + 4.5 * t * LINE_HEIGHT + 2 * t
    for i in range(4):
        parts.append(
            f'<rect x="{x + i * length / 4:.2f}" y="{bar_top:.2f}" width="{length / 4:.2f}" height="{1.6 * t:.2f}"'
            f' fill="{"#222" if i % 2 == 0 else "#fff"}" stroke="#222" stroke-width="{0.2 * t:.2f}"/>'
        )
    label_top = bar_top + 2.4 * t
    for i, fraction in enumerate((0, 0.5, 1)):
        value = f"{km * fraction:g}" + (" km" if i == 2 else "")
        parts.append(svg_text(x + fraction * length, label_top, TextLine(value, 3 * t), anchor="middle"))
    return "".join(parts), label_top + 3 * t * LINE_HEIGHT + 4 * t


def paragraph(x: float, top: float, text_: str, size: float, width: float, fill: str = "#333") -> tuple[str, float]:
    parts = []
    for line in wrap(text_, size, width):
        parts.append(svg_text(x, top, TextLine(line, size), fill=fill))
        top += size * LINE_HEIGHT
    return "".join(parts), top


SIMPLIFY_MM = 0.05  # vertices closer than this on paper are dropped (below what a printer draws)


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


GRATICULE_MINUTES = (300, 120, 60, 30, 20, 15, 10, 5, 2, 1)  # the widest spacing drawing 3 lines each way is used


FILLS = ("#fbe3c3", "#d9ecc9", "#cfe1f2", "#f3d4e4", "#efeac0")  # banner fills: neighbours never share one


# Boundary line styles by status: colour, width (mm at A1), dash pattern (mm at A1), legend text (maps/labels.py).
LINE_STYLES = {
    "outer": ("#6a3d9a", 1.0, "5 1.2 1 1.2", PRINT_LEGEND["outer"]),
    "agreed": ("#222222", 0.6, "3.5 1 0.8 1", PRINT_LEGEND["agreed"]),
    "not_agreed": ("#222222", 0.6, "2 1.2", PRINT_LEGEND["not_agreed"]),
    "disputed": ("#d7301f", 0.9, "3 1.5", PRINT_LEGEND["disputed"]),
    "edges": ("#444444", 0.5, "", PRINT_LEGEND["edges"]),
}
