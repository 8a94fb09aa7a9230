"""Label boxes and the label-placement pass of the printed map (page millimetres, y down).

Algorithm: greedy by priority over candidate positions. Labels are taken in priority order (banners before
townships, larger before smaller); each tries its candidate boxes in a fixed order of preference — for a point
(a seat) the eight positions around its symbol, right first (E, W, NE, SE, NW, SW, N, S: Imhof's preference for
the right of the point); for an area the box centred on the area's label point, then shifted around it
(up to two widths and four heights, nearest first), boxes wholly inside the area before those whose centre is
inside it — and takes the first box that stays inside the map frame and overlaps no box
placed before it nor any obstacle (the seat symbols). A label with no free candidate is dropped and counted;
nothing is moved once placed. Widths come from the print fonts' advance widths and are enforced on the page
(SVG ``textLength``), so the box of a placed label is the box the PDF draws."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import shapely
from shapely.geometry.base import BaseGeometry

# Advance widths of printable ASCII (space to ~) in DejaVu Sans, the first face of core.printing.PRINT_FONTS, in
# 1/2048 em (its hmtx table, fonts-dejavu-core). Anything else (Hanzi in WenQuanYi Micro Hei, other letters) is
# counted one em: the CJK faces' ideographs are full-width, and textLength holds every line to its computed width.
_ASCII_WIDTHS = (
    651, 821, 942, 1716, 1303, 1946, 1597, 563, 799, 799, 1024, 1716, 651, 739, 651, 690, 1303, 1303, 1303, 1303,
    1303, 1303, 1303, 1303, 1303, 1303, 690, 690, 1716, 1716, 1716, 1087, 2048, 1401, 1405, 1430, 1577, 1294, 1178,
    1587, 1540, 604, 604, 1343, 1141, 1767, 1532, 1612, 1235, 1612, 1423, 1300, 1251, 1499, 1401, 2025, 1403, 1251,
    1403, 799, 690, 799, 1716, 1024, 1024, 1255, 1300, 1126, 1300, 1260, 721, 1300, 1298, 569, 569, 1186, 569, 1995,
    1298, 1253, 1300, 1300, 842, 1067, 803, 1298, 1212, 1675, 1212, 1212, 1075, 1303, 690, 1303, 1716,
)  # fmt: skip
LINE_HEIGHT = 1.2  # a text line's box, in font sizes
BASELINE = 0.92  # the baseline below the top of its line box, in font sizes
PAD = 0.4  # mm of white halo around every label box


def text_width(text: str, size: float) -> float:
    """The advance width in mm of ``text`` set at ``size`` mm."""
    ems = sum(_ASCII_WIDTHS[ord(c) - 32] / 2048 if 32 <= ord(c) < 127 else 1.0 for c in text)
    return ems * size


@dataclass(frozen=True)
class Box:
    """An axis-parallel box on the page (mm, y down)."""

    x0: float
    y0: float
    x1: float
    y1: float

    def overlaps(self, other: Box) -> bool:
        """Whether the two boxes share an area (touching edges do not count)."""
        return self.x0 < other.x1 and other.x0 < self.x1 and self.y0 < other.y1 and other.y0 < self.y1

    def inside(self, other: Box) -> bool:
        """Whether this box lies within ``other``."""
        return self.x0 >= other.x0 and self.y0 >= other.y0 and self.x1 <= other.x1 and self.y1 <= other.y1

    def shapely(self) -> BaseGeometry:
        """The box as a shapely polygon."""
        return shapely.box(self.x0, self.y0, self.x1, self.y1)


@dataclass(frozen=True)
class TextLine:
    """One line of a label: its text and size (mm). No bold: the CJK face has none, and the printer would draw a
    synthetic bold as Type 3 glyphs."""

    text: str
    size: float


@dataclass
class Label:
    """A label to place: its lines (centred on each other), the anchor (mm), and how it is placed.

    ``area`` (page-mm polygon) makes it an area label kept inside that area; otherwise it is a point label set
    around a symbol of radius ``radius``. Lower ``priority`` is placed first."""

    key: str
    lines: tuple[TextLine, ...]
    anchor: tuple[float, float]
    priority: tuple[float, ...]
    radius: float = 0.0
    area: BaseGeometry | None = None
    box: Box | None = field(default=None)

    @property
    def size(self) -> tuple[float, float]:
        """Width and height of the label's box (mm), halo included."""
        width = max(text_width(line.text, line.size) for line in self.lines)
        height = sum(line.size * LINE_HEIGHT for line in self.lines)
        return width + 2 * PAD, height + 2 * PAD


# Point positions in order of preference: (dx, dy) of the box's centre in units of half its size plus the gap.
_POINT_POSITIONS = ((1, 0), (-1, 0), (1, -1), (1, 1), (-1, -1), (-1, 1), (0, -1), (0, 1))
# Area shifts: (dx, dy) in box widths and heights around the label point, nearest first.
_AREA_SHIFTS = sorted(
    ((dx / 2, float(dy)) for dx in range(-4, 5) for dy in range(-4, 5)), key=lambda d: (d[0] ** 2 + d[1] ** 2, d)
)


def candidates(label: Label) -> list[Box]:
    """The label's candidate boxes in order of preference."""
    width, height = label.size
    x, y = label.anchor
    out = []
    if label.area is None:
        gap = label.radius + 0.6
        for dx, dy in _POINT_POSITIONS:
            cx = x + dx * (width / 2 + gap)
            cy = y + dy * (height / 2 + gap)
            out.append(Box(cx - width / 2, cy - height / 2, cx + width / 2, cy + height / 2))
        return out
    inside, centred = [], []  # boxes wholly inside the area first, then boxes whose centre is inside it
    for sx, sy in _AREA_SHIFTS:
        cx, cy = x + sx * width, y + sy * height
        box = Box(cx - width / 2, cy - height / 2, cx + width / 2, cy + height / 2)
        if label.area.contains(box.shapely()):
            inside.append(box)
        elif label.area.contains(shapely.Point(cx, cy)):
            centred.append(box)
    return inside + centred


def place_labels(labels: Sequence[Label], frame: Box, obstacles: Iterable[Box]) -> tuple[list[Label], list[Label]]:
    """Greedy placement (see the module's note): the labels placed (``box`` set) and those dropped."""
    taken = list(obstacles)
    placed, dropped = [], []
    for label in sorted(labels, key=lambda item: item.priority):
        for box in candidates(label):
            if box.inside(frame) and not any(box.overlaps(other) for other in taken):
                label.box = box
                taken.append(box)
                placed.append(label)
                break
        else:
            dropped.append(label)
    return placed, dropped


def overlapping_pairs(boxes: Sequence[Box]) -> list[tuple[int, int]]:
    """Indexes of every pair of boxes that overlap (the check the tests and the report make)."""
    return [(i, j) for i in range(len(boxes)) for j in range(i + 1, len(boxes)) if boxes[i].overlaps(boxes[j])]


def wrap(text: str, size: float, width: float) -> list[str]:
    """``text`` broken into lines no wider than ``width`` mm at ``size`` mm: between words, or between any two
    characters of a word too long for a line (Chinese runs)."""
    lines: list[str] = []
    current = ""
    for word in text.split(" "):
        trial = f"{current} {word}" if current else word
        if text_width(trial, size) <= width:
            current = trial
            continue
        if current:
            lines.append(current)
        current = ""
        for char in word:
            if current and text_width(current + char, size) > width:
                lines.append(current)
                current = ""
            current += char
    if current:
        lines.append(current)
    return lines
