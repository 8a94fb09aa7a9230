"""The rules a division-change application is checked against, as data, each with its source (document, clause,
year); where the figure is the bureau's own (no citable text found) the rule names its local setting.

Sources (texts found 2026-12-04, see README "Division-change applications"):
- TOWN: 国务院批转民政部《关于调整建镇标准的报告》, 1984 (新华社 1984-11-29 电, 人民日报 1984-11-30 第1版: 国务院同意,
  由各地试行). Its 一、二、三 are the town criteria below. In Chinese legal usage 以上/以下 include the figure,
  超过 does not (so 2,000 exactly does not pass 二's first half, 10 % exactly passes its second).
- STREET: 《行政区划管理条例》(国务院, 2018-10-10, 自2019-01-01施行) 第十一条: 镇、街道设立标准由省、自治区、直辖市
  人民政府民政部门拟订, 报本级人民政府批准. No national street figures exist (the 1954 《城市街道办事处组织条例》 was
  repealed in 2009); the autonomous region's standard was not found, so its figures are local settings.
- CODES: GB/T 10114-2003《县级以下行政区划代码编制规则》 as used in the NBS 12-digit statistical codes: digits 7-9,
  001-099 街道, 100-199 镇, 200-399 乡 (苏木 and 民族乡 are 乡-level and coded so), 400-599 政企合一单位, each range
  numbered 由小到大; a code once given is not given again.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from core.errors import InvalidInput

TOWN_SOURCE = "国务院批转民政部《关于调整建镇标准的报告》(1984)"
STREET_SOURCE = "《行政区划管理条例》(2018) 第十一条: 街道设立标准由自治区人民政府批准; 自治区标准未查到"
CODE_SOURCE = "GB/T 10114-2003《县级以下行政区划代码编制规则》(乡级代码段)"

# Kinds a proposed township-level unit may take, and the code range of each (CODE_SOURCE).
CODE_RANGES: dict[str, tuple[int, int]] = {
    "街道": (1, 99),
    "镇": (100, 199),
    "乡": (200, 399),
    "民族乡": (200, 399),
    "苏木": (200, 399),
    "民族苏木": (200, 399),
}
TOWNSHIP_KINDS = tuple(CODE_RANGES)
# Upgrades the issue names: 乡 (and the 乡-level 苏木, 民族乡) → 镇, 镇 → 街道.
UPGRADES = {("乡", "镇"), ("苏木", "镇"), ("民族乡", "镇"), ("民族苏木", "镇"), ("镇", "街道")}
# 1984 report, 三: the grounds on which a town may be set up with fewer than 2,000 non-agricultural residents.
RELAXATION_GROUNDS = ("少数民族地区", "人口稀少的边远地区", "山区", "小型工矿区", "小港口", "风景旅游区", "边境口岸")
FIGURES = (
    "population",  # 总人口 (persons)
    "non_agricultural_population",  # 全乡/镇非农业人口
    "seat_non_agricultural_population",  # 政府驻地非农业人口
    "area_km2",
    "built_up_area_km2",
    "gdp_10k_yuan",  # 地区生产总值, 万元
)


@dataclass(frozen=True)
class Criterion:
    """One rule: what it says, where it is written, and (for a local figure) the setting that holds it."""

    id: str
    applies_to: str
    rule: str
    source: str
    clause: str
    year: int
    local_setting: str | None = None

    def cited(self) -> dict[str, Any]:
        """The rule with its citation, as reported."""
        return asdict(self)


TOWN_SEAT = Criterion("town.county_seat", "镇", "凡县级地方国家机关所在地，均应设置镇的建制", TOWN_SOURCE, "一", 1984)
TOWN_SMALL = Criterion(
    "town.small_township",
    "镇",
    "总人口在二万以下的乡，乡政府驻地非农业人口超过二千的，可以建镇",
    TOWN_SOURCE,
    "二",
    1984,
)
TOWN_LARGE = Criterion(
    "town.large_township",
    "镇",
    "总人口在二万以上的乡，乡政府驻地非农业人口占全乡人口10%以上的，也可以建镇",
    TOWN_SOURCE,
    "二",
    1984,
)
TOWN_RELAXED = Criterion(
    "town.relaxation",
    "镇",
    "少数民族地区、人口稀少的边远地区、山区和小型工矿区、小港口、风景旅游区、边境口岸等地，非农业人口虽不足二千，"
    "如确有必要，也可设置镇的建制",
    TOWN_SOURCE,
    "三",
    1984,
)
STREET_POPULATION = Criterion(
    "street.population",
    "街道",
    "拟设街道常住人口不低于本局设定值",
    STREET_SOURCE,
    "第十一条",
    2018,
    "GAZ_DIVISION_STREET_MIN_POPULATION",
)
STREET_AREA = Criterion(
    "street.area",
    "街道",
    "拟设街道面积不低于本局设定值",
    STREET_SOURCE,
    "第十一条",
    2018,
    "GAZ_DIVISION_STREET_MIN_AREA_KM2",
)
STREET_NON_AGRICULTURAL = Criterion(
    "street.non_agricultural_share",
    "街道",
    "拟设街道非农业人口占总人口比例不低于本局设定值",
    STREET_SOURCE,
    "第十一条",
    2018,
    "GAZ_DIVISION_STREET_MIN_NON_AGRICULTURAL_SHARE",
)
CODE_RANGE = Criterion(
    "code.range",
    "街道/镇/乡",
    "乡级代码: 001-099 街道, 100-199 镇, 200-399 乡; 由小到大顺序编写, 已用代码不再使用",
    CODE_SOURCE,
    "乡级代码段",
    2003,
)
CRITERIA = (
    TOWN_SEAT,
    TOWN_SMALL,
    TOWN_LARGE,
    TOWN_RELAXED,
    STREET_POPULATION,
    STREET_AREA,
    STREET_NON_AGRICULTURAL,
    CODE_RANGE,
)


def code_range(kind: str) -> tuple[int, int]:
    """The township code range (digits 7-9) of a kind, or InvalidInput naming the accepted kinds."""
    if kind not in CODE_RANGES:
        raise InvalidInput(f"kind {kind!r} is not a township-level kind: one of {', '.join(TOWNSHIP_KINDS)}")
    return CODE_RANGES[kind]


def code_fits(code: str, kind: str) -> bool:
    """True when the 12-digit township ``code`` lies in the range of ``kind``."""
    low, high = code_range(kind)
    return low <= int(code[6:9]) <= high


def next_code(county: str, kind: str, used: set[str]) -> str:
    """The next code of ``kind`` under ``county`` (12 digits) after every code of its range ever used."""
    low, high = code_range(kind)
    taken = [int(c[6:9]) for c in used if c[:6] == county[:6] and low <= int(c[6:9]) <= high]
    number = max(taken) + 1 if taken else low
    if number > high:
        raise InvalidInput(f"county {county[:6]} has used every {kind} code ({low:03d}-{high:03d})")
    return f"{county[:6]}{number:03d}000"
