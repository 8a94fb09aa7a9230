"""Reading NBS division-code files (the Ordos layout and the national per-level layouts)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from core.errors import InvalidInput
from core.imports import ImportReport, Rejected, has_control_characters, progress, read_csv
from core.values import CODE_LENGTHS, level_of_code, parent_of_code

# Rows of the national files that group units without being places themselves.
GROUPING_NAMES = {"市辖区", "县", "省直辖县级行政区划", "自治区直辖县级行政区划"}

# (suffix, kind) checked in order, longest first, per level.
KIND_SUFFIXES: dict[str, tuple[tuple[str, str], ...]] = {
    "province": (("特别行政区", "特别行政区"), ("自治区", "自治区"), ("省", "省"), ("市", "市")),
    "city": (("自治州", "自治州"), ("地区", "地区"), ("盟", "盟"), ("市", "市")),
    "county": (
        ("自治旗", "自治旗"),
        ("自治县", "自治县"),
        ("林区", "林区"),
        ("特区", "特区"),
        ("开发区", "开发区"),
        ("旗", "旗"),
        ("县", "县"),
        ("市", "市"),
        ("区", "区"),
    ),
    "township": (
        ("街道办事处", "街道"),
        ("街道", "街道"),
        ("民族乡", "民族乡"),
        ("民族苏木", "民族苏木"),
        ("苏木", "苏木"),
        ("镇", "镇"),
        ("乡", "乡"),
        ("开发区", "开发区"),
        ("园区", "园区"),
        ("区", "区"),
        ("农场", "农场"),
        ("林场", "林场"),
        ("牧场", "牧场"),
    ),
    "village": (
        ("社区居民委员会", "社区"),
        ("社区居委会", "社区"),
        ("居民委员会", "社区"),
        ("居委会", "社区"),
        ("社区", "社区"),
        ("嘎查村民委员会", "嘎查"),
        ("嘎查村委员会", "嘎查"),
        ("嘎查委员会", "嘎查"),
        ("嘎查村委会", "嘎查"),
        ("嘎查", "嘎查"),
        ("村民委员会", "村"),
        ("村委员会", "村"),
        ("村委会", "村"),
        ("村", "村"),
        ("生活区", "生活区"),
        ("管理区", "管理区"),
    ),
}
OTHER_KIND = "其他"
GROUPING_KIND = "统计分组"

LAYOUTS: dict[str, tuple[str, ...]] = {
    # name: the columns that identify it; the parent column comes second when there is one
    "ordos": ("code", "parent_code", "name", "level"),
    "village": ("code", "streetCode", "name"),
    "street": ("code", "areaCode", "name"),
    "area": ("code", "cityCode", "name"),
    "city": ("code", "provinceCode", "name"),
    "province": ("code", "name"),
}
# Columns that mark the Ordos layout: a file with one of them must have all of LAYOUTS["ordos"].
ORDOS_MARKERS = ("parent_code", "level")
PARENT_COLUMNS = ("parent_code", "streetCode", "areaCode", "cityCode", "provinceCode")
MAX_NAME_LENGTH = 100


@dataclass(frozen=True)
class DivisionRow:
    """One division unit as read from a file, normalised to 12-digit codes."""

    code: str
    name: str
    level: str
    kind: str
    is_grouping: bool
    parent_code: str | None


def kind_from_name(name: str, level: str) -> str:
    """The unit kind (区/旗/镇/苏木/街道/村/嘎查/社区...) from the statistical name's ending."""
    for suffix, kind in KIND_SUFFIXES[level]:
        if name.endswith(suffix):
            return kind
    return OTHER_KIND


def detect_layout(header: list[str]) -> str:
    """Which known layout a header belongs to (a header with Ordos-layout columns must have them all)."""
    if any(marker in header for marker in ORDOS_MARKERS):
        missing = [column for column in LAYOUTS["ordos"] if column not in header]
        if missing:
            raise InvalidInput(
                f"missing column(s) {', '.join(missing)} in the header (line 1) of an Ordos-layout file; "
                f"the file has: {', '.join(h for h in header if h)}"
            )
    for layout, columns in LAYOUTS.items():
        if all(column in header for column in columns):
            return layout
    raise InvalidInput(
        "unrecognised division-code layout; expected the columns of one of: "
        + "; ".join(f"{name} ({', '.join(cols)})" for name, cols in LAYOUTS.items())
    )


def read_divisions(path: Path, report: ImportReport, encoding: str | None = None) -> list[DivisionRow]:
    """Validate every row of a division-code file; rejected rows go to ``report``."""
    rows = read_csv(path, ("code", "name"), encoding)
    layout = detect_layout(list(rows[0].keys()) if rows else ["code", "name"])
    parent_column = LAYOUTS[layout][1] if layout != "province" else None
    seen: dict[str, int] = {}
    repeats: list[str] = []
    units: list[DivisionRow] = []
    for number, row in enumerate(progress(rows, path.name), start=1):
        report.read += 1
        try:
            unit = _division_row(row, parent_column)
        except InvalidInput as exc:
            report.rejected.append(Rejected(number, exc.detail))
            continue
        if unit is None:
            repeats.append(f"{row['code'].strip()} {row['name'].strip()}")
            continue
        if unit.code in seen:
            report.rejected.append(
                Rejected(number, f"code {unit.code} ({unit.name}) appears twice (first at row {seen[unit.code]})")
            )
            continue
        seen[unit.code] = number
        units.append(unit)
    if repeats:
        report.notes.append(
            f"{len(repeats)} row(s) repeat their parent's code one level down (a city or county without that "
            f"level, e.g. {', '.join(repeats[:3])}): the same unit as the parent, not stored again"
        )
    return units


def _division_row(row: dict[str, str], parent_column: str | None) -> DivisionRow | None:
    """The row as a unit; None when it repeats its parent's code one level down (东莞市 as its own county)."""
    raw_code = (row.get("code") or "").strip()
    if not raw_code.isdigit() or len(raw_code) not in CODE_LENGTHS:
        raise InvalidInput(f"code {raw_code!r} is not 2, 4, 6, 9 or 12 digits")
    code = raw_code.ljust(12, "0")
    name = (row.get("name") or "").strip()
    if not name:
        raise InvalidInput(f"code {raw_code}: name is empty")
    if has_control_characters(name) or len(name) > MAX_NAME_LENGTH:
        raise InvalidInput(f"code {raw_code}: name {name[:40]!r} has control characters or is too long")
    level = level_of_code(code)
    expected_parent = parent_of_code(code)
    parent = expected_parent
    if parent_column is None and level != "province":
        raise InvalidInput(
            f"code {raw_code} is a {level} code, but the file has no parent column "
            f"({' or '.join(PARENT_COLUMNS)}); only province codes can stand without one"
        )
    if parent_column is not None and not (expected_parent is None and not (row.get(parent_column) or "").strip()):
        raw_parent = (row.get(parent_column) or "").strip()
        if not raw_parent.isdigit() or len(raw_parent) not in CODE_LENGTHS:
            raise InvalidInput(f"code {raw_code}: parent code {raw_parent!r} is not 2, 4, 6, 9 or 12 digits")
        parent = raw_parent.ljust(12, "0")
        if parent == code and len(raw_parent) < len(raw_code):
            return None
        if parent != expected_parent:
            raise InvalidInput(f"code {raw_code}: parent {raw_parent} does not match the code's structure")
    grouping = level == "city" and name in GROUPING_NAMES
    kind = GROUPING_KIND if grouping else kind_from_name(name, level)
    return DivisionRow(code, name, level, kind, grouping, parent)
