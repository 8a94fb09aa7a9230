"""The year-end facility figures (民政设施年度数据) computed from the registry, city-wide and per banner, each with
its definition, and compared with the office's own published figures where those are given (no web framework here).

Dates: a facility counts on ``as_of`` when one of its dated versions (facilities.versions) covers that day with
status operating, and with that version's beds and other attributes: opened on or before ``as_of``, not closed by
then. Units are the current division list. Population: each banner's latest imported figure not after the year of
``as_of``."""

from __future__ import annotations

import csv
import io
import math
from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Connection

from boundaries import service as boundaries
from core.errors import InvalidInput, ServiceUnavailable
from core.exports import csv_text
from core.values import normalize_code, significant_code
from facilities import coverage, queries
from facilities.registry import CITY_CODE, list_facilities

REPORTED_COLUMNS = ("as_of", "unit_code", "key", "value", "tolerance", "source")


@dataclass(frozen=True)
class Figure:
    """One figure of the report: its key, Chinese label, unit of measure and definition (how it is computed)."""

    key: str
    label: str
    unit: str
    definition: str


FIGURES = (
    Figure(
        "institutions",
        "养老机构",
        "个",
        "统计日在营的养老机构（kind eldercare_institution）：取统计日有效的版本，status operating，"
        "开业日期不晚于统计日且统计日前未关闭",
    ),
    Figure("institutions_public", "其中公办", "个", "养老机构中 ownership = public 的机构"),
    Figure("institutions_private", "其中民办", "个", "养老机构中 ownership = private 的机构"),
    Figure("beds", "养老机构床位", "张", "上述养老机构统计日的床位数（beds，床位变更后取统计日有效的版本）之和"),
    Figure("beds_public", "其中公办床位", "张", "公办养老机构的床位数之和"),
    Figure("beds_private", "其中民办床位", "张", "民办养老机构的床位数之和"),
    Figure(
        "beds_per_1000_aged",
        "每千名老年人养老床位",
        "张/千人",
        "养老机构床位 ÷ 60 周岁及以上常住人口 × 1000；人口取各旗区不晚于统计年度的最新导入数（unit_population），"
        "全市为有人口数的旗区之和（分子只计这些旗区的床位）；无人口数时为空",
    ),
    Figure(
        "nursing_bed_share",
        "护理型床位占比",
        "share",
        "护理型床位（nursing_beds，未填按 0 计）÷ 养老机构床位",
    ),
    Figure("institutions_with_infirmary", "内设医疗机构的养老机构", "个", "infirmary = true 的养老机构"),
    Figure(
        "institutions_with_medical_contract",
        "另与医疗机构签约的养老机构",
        "个",
        "无内设医疗机构、medical_contract = true 的养老机构（与上项不重复）",
    ),
    Figure(
        "medical_care_integration_rate",
        "医养结合率",
        "share",
        "内设医疗机构或与医疗机构签约的养老机构 ÷ 养老机构",
    ),
    Figure(
        "community_sites",
        "社区养老服务设施",
        "个",
        "统计日在营（同上，取统计日有效的版本）的社区养老服务设施（kind community_eldercare_site）",
    ),
    Figure(
        "community_sites_opened_in_year",
        "其中统计年度内新建",
        "个",
        "开业日期（opened_on）在统计年度 1 月 1 日至统计日之间的社区养老服务设施",
    ),
    Figure("communities", "社区（居委会）", "个", "区划名录中类别为社区的村级单位（现行区划）"),
    Figure(
        "community_site_coverage",
        "社区养老服务设施覆盖率",
        "share",
        "有参考点的社区中，距最近的社区养老服务设施不超过步行距离（默认 1000 米，一刻钟）的比例；"
        "有道路网时按路网距离（pgRouting），否则按直线（椭球面）距离；无参考点的社区不计入分母",
    ),
    Figure(
        "community_site_coverage_all",
        "社区养老服务设施覆盖率（全部社区）",
        "share",
        "全部社区（现行区划）中被覆盖的比例：有参考点的社区按上项判定；无参考点的社区，有在营设施登记在该社区"
        "（设施单位代码为该社区代码）的计为覆盖，否则计为未覆盖，故为下限",
    ),
    Figure("funeral_homes", "殡仪馆", "个", "统计日在营的殡仪馆（kind funeral_home）"),
    Figure("cemeteries", "公墓", "个", "统计日在营的公墓（kind cemetery）"),
    Figure("cemeteries_commercial", "其中经营性公墓", "个", "cemetery_type = commercial 的公墓"),
    Figure("cemeteries_public_welfare", "其中公益性公墓", "个", "cemetery_type = public_welfare 的公墓"),
    Figure(
        "township_public_welfare_coverage",
        "苏木乡镇公益性公墓覆盖率",
        "share",
        "有在营公益性公墓的苏木/乡/镇 ÷ 苏木/乡/镇（现行区划，不含街道和开发区）；公墓的苏木乡镇取其单位代码",
    ),
    Figure(
        "graves_in_prohibited_zones",
        "三沿七区内散埋乱葬坟墓",
        "座",
        "散埋乱葬坟墓（kind grave）点位在任一禁葬区图层要素缓冲距离（图层导入时给定）之内的座数（椭球面距离）",
    ),
)
BY_KEY = {f.key: f for f in FIGURES}
SHARES = {"nursing_bed_share", "medical_care_integration_rate", "community_site_coverage"}
SHARES |= {"community_site_coverage_all"}
SHARES |= {"township_public_welfare_coverage"}


def _ratio(numerator: int, denominator: int) -> float | None:
    return round(numerator / denominator, 4) if denominator else None


def load_reported(path: Path | None) -> list[dict[str, Any]]:
    """The office's published figures from a CSV (as_of, unit_code, key, value, tolerance, source); none when the
    path is None. A file that cannot be read answers 503 naming it (the service is misconfigured)."""
    if path is None:
        return []
    try:
        rows = list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8-sig"))))
    except (OSError, UnicodeDecodeError) as exc:
        raise ServiceUnavailable(f"reported figures {path}: cannot be read ({exc})") from None
    missing = [c for c in REPORTED_COLUMNS if rows and c not in rows[0]]
    if missing:
        raise ServiceUnavailable(f"reported figures {path}: missing column(s) {', '.join(missing)}")
    out = []
    for number, row in enumerate(rows, start=2):
        try:
            if row.get("key") not in BY_KEY:
                raise ValueError(f"key {row.get('key')!r} is not one of the report's figures")
            value, tolerance = float(row["value"]), float(row["tolerance"])
            if not (math.isfinite(value) and math.isfinite(tolerance) and tolerance >= 0):
                raise ValueError("value and tolerance must be finite, tolerance >= 0")
            out.append(
                {
                    "as_of": date.fromisoformat(row["as_of"]),
                    "unit_code": normalize_code(row["unit_code"]),
                    "key": row["key"],
                    "value": value,
                    "tolerance": tolerance,
                    "source": row.get("source") or "",
                }
            )
        except (KeyError, TypeError, ValueError, InvalidInput) as exc:
            raise ServiceUnavailable(f"reported figures {path}, line {number}: {exc}") from None
    return out


def _scope_values(
    places: list[dict[str, Any]],
    circle: dict[str, int],
    towns: tuple[int, int],
    graves: int,
    aged: int | None,
    aged_beds: int,
    communities: tuple[int, int],
    year_start: date,
) -> dict[str, dict[str, Any]]:
    """The figures of one scope (the city or a banner) as value, numerator, denominator."""
    by_kind: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for place in places:
        by_kind[place["kind"]].append(place)
    homes = by_kind["eldercare_institution"]
    public = [h for h in homes if h["ownership"] == "public"]
    private = [h for h in homes if h["ownership"] == "private"]
    beds = sum(h["beds"] or 0 for h in homes)
    nursing = sum(h["nursing_beds"] or 0 for h in homes)
    infirmary = sum(1 for h in homes if h["infirmary"])
    contract = sum(1 for h in homes if h["medical_contract"] and not h["infirmary"])
    sites = by_kind["community_eldercare_site"]
    cemeteries = by_kind["cemetery"]
    values: dict[str, dict[str, Any]] = {
        "institutions": {"value": len(homes)},
        "institutions_public": {"value": len(public)},
        "institutions_private": {"value": len(private)},
        "beds": {"value": beds},
        "beds_public": {"value": sum(h["beds"] or 0 for h in public)},
        "beds_private": {"value": sum(h["beds"] or 0 for h in private)},
        "beds_per_1000_aged": {
            "value": round(aged_beds * 1000 / aged, 2) if aged else None,
            "numerator": aged_beds,
            "denominator": aged,
        },
        "nursing_bed_share": {"value": _ratio(nursing, beds), "numerator": nursing, "denominator": beds},
        "institutions_with_infirmary": {"value": infirmary},
        "institutions_with_medical_contract": {"value": contract},
        "medical_care_integration_rate": {
            "value": _ratio(infirmary + contract, len(homes)),
            "numerator": infirmary + contract,
            "denominator": len(homes),
        },
        "community_sites": {"value": len(sites)},
        "community_sites_opened_in_year": {
            "value": sum(1 for s in sites if s["opened_on"] is not None and s["opened_on"] >= year_start)
        },
        "communities": {"value": communities[1]},
        "community_site_coverage": {
            "value": _ratio(circle["covered"], circle["located"]),
            "numerator": circle["covered"],
            "denominator": circle["located"],
        },
        "community_site_coverage_all": {
            "value": _ratio(*communities),
            "numerator": communities[0],
            "denominator": communities[1],
        },
        "funeral_homes": {"value": len(by_kind["funeral_home"])},
        "cemeteries": {"value": len(cemeteries)},
        "cemeteries_commercial": {"value": sum(1 for c in cemeteries if c["cemetery_type"] == "commercial")},
        "cemeteries_public_welfare": {"value": sum(1 for c in cemeteries if c["cemetery_type"] == "public_welfare")},
        "township_public_welfare_coverage": {
            "value": _ratio(towns[0], towns[1]),
            "numerator": towns[0],
            "denominator": towns[1],
        },
        "graves_in_prohibited_zones": {"value": graves},
    }
    return values


def facility_report(
    conn: Connection,
    *,
    as_of: date | None = None,
    unit: str = CITY_CODE,
    walk_m: float = coverage.DEFAULT_WALK_M,
    reported: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """The year-end figures on ``as_of`` (today when None) for the city or one banner, and per banner, each with its
    definition; where a reported figure for the same date and unit is given, the difference computed - reported,
    flagged when over its tolerance."""
    day = coverage.facilities_day(as_of)
    root = boundaries.require_unit(conn, unit)
    if root["level"] not in ("city", "county"):
        raise InvalidInput(f"unit {root['code']} ({root['name']}) is a {root['level']}: give the city or a banner")
    prefix = significant_code(root["code"])
    banners = [root] if root["level"] == "county" else boundaries.units_within(conn, prefix, "county")
    places = list_facilities(conn, unit=root["code"], status="operating", as_of=day)
    circle = coverage.eldercare_circle(conn, unit=root["code"], level="county", walk_m=walk_m, as_of=day)
    burial = coverage.burial(conn, unit=root["code"], as_of=day)
    counted = {p["id"] for p in places if p["kind"] == "grave"}
    graves = {
        h["facility_id"]: h["unit_code"]
        for h in coverage.prohibited_zones(conn, as_of=day)["hits"]
        if h["facility_id"] in counted
    }
    people = {p["unit_code"]: p for p in queries.latest_population(conn, prefix, day.year)}
    communities = [u for u in boundaries.units_within(conn, prefix, "village") if u["kind"] == coverage.COMMUNITY_KIND]
    # Every community counted: a located one as the circle found it, one without a point covered when an operating
    # site is registered in it (its unit code), else not (a lower bound).
    in_circle = {u["code"]: u["covered"] for u in circle["located"] if u["class"] == "community"}
    site_units = {p["unit_code"] for p in places if p["kind"] == "community_eldercare_site"}
    covered = {u["code"] for u in communities if in_circle.get(u["code"], u["code"] in site_units)}
    scopes = []
    for scope in [root] if root["level"] == "county" else [root, *banners]:
        code = significant_code(scope["code"])
        within = [b for b in banners if b["code"].startswith(code)]
        with_figure = [b for b in within if b["code"] in people]
        aged = sum(people[b["code"]]["aged_60_plus"] for b in with_figure) if with_figure else None
        aged_beds = sum(
            p["beds"] or 0
            for p in places
            if p["kind"] == "eldercare_institution" and any(p["unit_code"][:6] == b["code"][:6] for b in with_figure)
        )
        circle_rows = [a for a in circle["areas"] if a["class"] == "community" and a["code"].startswith(code)]
        towns = [t for t in burial["townships"] if t["class"] == "苏木/乡/镇" and t["code"].startswith(code)]
        values = _scope_values(
            [p for p in places if p["unit_code"].startswith(code)],
            {k: sum(a[k] for a in circle_rows) for k in ("covered", "located")},
            (sum(1 for t in towns if t["has_public_welfare_cemetery"]), len(towns)),
            sum(1 for c in graves.values() if c.startswith(code)),
            aged,
            aged_beds,
            (
                sum(1 for c in covered if c.startswith(code)),
                sum(1 for u in communities if u["code"].startswith(code)),
            ),
            date(day.year, 1, 1),
        )
        _compare(values, [r for r in reported or [] if r["as_of"] == day and r["unit_code"] == scope["code"]])
        scopes.append(
            {
                "code": scope["code"],
                "name": scope["name"],
                "level": scope["level"],
                "population_years": sorted({people[b["code"]]["year"] for b in with_figure}),
                "figures": values,
            }
        )
    illustrative = sum(1 for p in places if p["illustrative"])
    return {
        "title": f"{root['name']}民政设施年度数据",
        "as_of": day.isoformat(),
        "unit": {"code": root["code"], "name": root["name"], "level": root["level"]},
        "figures": [{"key": f.key, "label": f.label, "unit": f.unit, "definition": f.definition} for f in FIGURES],
        "scopes": scopes,
        "method": {
            "dates": "a facility counts when its dated version covering as_of is operating (opened on or before "
            "as_of, not closed by then; without an opening date since before the records), with that version's "
            "beds and attributes",
            "units": "the current division list (banners, 苏木/乡/镇, communities)",
            "population": f"per banner the latest imported aged-60+ figure not after {day.year}",
            "community_site_coverage": circle["method"],
            "walk_m": walk_m,
            "township_public_welfare_coverage": burial["method"],
            "graves_in_prohibited_zones": "straight-line geodesic distance within each prohibited-zone layer's "
            "buffer width (as imported)",
        },
        "illustrative_records": illustrative,
        "illustrative_note": (
            f"{illustrative} of the {len(places)} facilities counted are illustrative (made-up demo records): these "
            "figures describe no real registry"
            if illustrative
            else None
        ),
    }


def _compare(values: dict[str, dict[str, Any]], reported: list[dict[str, Any]]) -> None:
    """Add the reported figure, the difference computed - reported and whether it exceeds the tolerance."""
    for figure in values.values():
        figure.setdefault("numerator", None)
        figure.setdefault("denominator", None)
        figure.update(reported=None, difference=None, tolerance=None, flagged=None, reported_source=None)
    for row in reported:
        figure = values[row["key"]]
        figure.update(reported=row["value"], tolerance=row["tolerance"], reported_source=row["source"])
        if figure["value"] is not None:
            difference = round(figure["value"] - row["value"], 4)
            figure.update(difference=difference, flagged=abs(difference) > row["tolerance"])


def report_csv(report: dict[str, Any]) -> str:
    """One row per scope and figure (UTF-8 with BOM, cells safe for spreadsheets)."""
    columns = [
        "as_of",
        "scope_code",
        "scope_name",
        "key",
        "label",
        "unit",
        "value",
        "numerator",
        "denominator",
        "reported",
        "difference",
        "tolerance",
        "flagged",
        "definition",
    ]
    rows = (
        [
            report["as_of"],
            scope["code"],
            scope["name"],
            f.key,
            f.label,
            f.unit,
            scope["figures"][f.key]["value"],
            scope["figures"][f.key]["numerator"],
            scope["figures"][f.key]["denominator"],
            scope["figures"][f.key]["reported"],
            scope["figures"][f.key]["difference"],
            scope["figures"][f.key]["tolerance"],
            scope["figures"][f.key]["flagged"],
            f.definition,
        ]
        for scope in report["scopes"]
        for f in FIGURES
    )
    return csv_text(columns, rows)
