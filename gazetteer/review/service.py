"""Naming review: the checks the office runs on a proposed name before approval (no web framework here).

Each finding names its rule and basis (地名管理条例 2022, 第十一条 on naming; its implementing rules) and a
severity: ``error`` (the name should not be approved as proposed) or ``warning`` (needs a reasoned decision).
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlalchemy.engine import Connection

from boundaries import service as boundaries
from core.errors import InvalidInput
from core.values import GeoPoint, normalize_code, significant_code
from gazetteer.places import names
from gazetteer.romanization.service import pinyin_key, romanize, split_name
from gazetteer.search import queries

BASIS_NAMING = "地名管理条例（2022）第十一条"
RETIRED_WITHIN_YEARS = 5
MAX_NAME_LENGTH = 12
NEARBY_RADIUS_M = 5000
# The generic terms a category takes (a name with another category's generic does not fit).
GENERICS_BY_CATEGORY: dict[str, tuple[str, ...]] = {
    "21": ("省", "自治区"),
    "22": ("市", "盟"),
    "23": ("区", "旗", "县", "市", "自治旗", "自治县"),
    "24": ("镇", "乡", "苏木", "街道"),
    "31": ("社区",),
    "32": ("村", "嘎查"),
    "41": ("开发区", "园区", "示范区", "工业园区"),
    "7": ("路", "街", "巷", "大街", "胡同", "桥"),
}
ENTERPRISE_WORDS = ("公司", "集团", "有限", "股份", "酒店", "商贸", "地产", "置业", "®", "™")
FOREIGN_PLACE_WORDS = (
    "纽约",
    "巴黎",
    "伦敦",
    "曼哈顿",
    "威尼斯",
    "维也纳",
    "罗马",
    "加州",
    "香榭丽舍",
    "好莱坞",
    "迪拜",
)
EXAGGERATION_WORDS = ("国际", "世界", "环球", "宇宙", "帝王", "皇家", "帝国", "至尊")


def _finding(severity: str, rule: str, message: str, related: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {"severity": severity, "rule": rule, "basis": BASIS_NAMING, "message": message, "related": related or []}


def _related(rows: list[Any]) -> list[dict[str, Any]]:
    seen: dict[int, dict[str, Any]] = {}
    for r in rows:
        seen.setdefault(
            r["id"],
            {
                "id": r["id"],
                "name": r["name"],
                "romanization": r["romanization"],
                "status": r["status"],
                "unit_code": r["unit_code"],
                "admin_code": r["admin_code"],
                "valid_to": r["valid_to"],
            },
        )
    return list(seen.values())


def review_name(
    conn: Connection,
    *,
    name: str,
    category: str,
    unit: str,
    point: GeoPoint | None = None,
    review_date: date | None = None,
) -> dict[str, Any]:
    """Findings on a proposed name in ``unit`` of ``category`` (see the module docstring), with a memo text; the
    "recently retired" window is measured back from ``review_date`` (today when not given)."""
    proposed = names.normalize_query(name).replace(" ", "")
    if names.is_latin(proposed):
        raise InvalidInput(f"name {name!r} must be written in Chinese characters")
    category = names.check_category(category)
    code = normalize_code(unit)
    found_unit = boundaries.find_unit(conn, code)
    if found_unit is None:
        raise InvalidInput(f"unit {unit!r} is not a current unit code")
    banner = significant_code(code)[:6]
    scope: dict[str, Any] = {"unit_prefix": banner, "category": None, "as_of": None}
    current = ("standard", "alias", "proposed")
    core, generic = split_name(proposed)
    findings: list[dict[str, Any]] = []

    same = queries.find_by_keys(
        conn, [proposed, core], ("exact", "core", "statistical"), statuses=current, limit=50, **scope
    )
    duplicates = [r for r in same if r["category"][:1] == category[:1] and names.core_of(r["name"]) == core]
    if duplicates:
        findings.append(
            _finding(
                "error",
                "重名 duplicate",
                f"“{proposed}” is already in use for the same kind of feature in banner {banner}",
                _related(duplicates),
            )
        )

    try:
        full, core_full = pinyin_key(proposed)[0], pinyin_key(core)[0]
        romanized = romanize(proposed, unit_code=code)
    except InvalidInput:  # a character without a reading: reported below as a rare character
        full = core_full = ""
        romanized = None
    sound_keys = {full, core_full} - {""}
    if romanized is not None and romanized.origin != "derived":  # the official form sounds too (Otog = 鄂托克)
        official_parts = [p.plain for p in romanized.parts if p.rule.startswith("lexicon:official")]
        sound_keys |= {names.latin_key(romanized.plain), *(names.latin_key(p) for p in official_parts)}
    kinds = ("pinyin", "pinyin_core", "official", "official_core")
    sounds = queries.find_by_keys(conn, sorted(sound_keys), kinds, statuses=current, limit=50, **scope)
    homophones = [r for r in sounds if r["name"] != proposed and r["id"] not in {d["id"] for d in duplicates}]
    if homophones:
        findings.append(
            _finding(
                "warning",
                "同音 homophone",
                f"“{proposed}” ({full}) sounds like existing names in banner {banner} (tones ignored)",
                _related(homophones),
            )
        )

    since = (review_date or date.today()) - timedelta(days=365 * RETIRED_WITHIN_YEARS)
    old = queries.find_by_keys(
        conn, [proposed], ("exact", "statistical"), statuses=("retired", "historic"), limit=50, **scope
    )
    recent = [r for r in old if r["valid_to"] is not None and r["valid_to"] >= since]
    if recent:
        findings.append(
            _finding(
                "warning",
                "recently retired",
                f"“{proposed}” was in use until less than {RETIRED_WITHIN_YEARS} years ago",
                _related(recent),
            )
        )

    expected = GENERICS_BY_CATEGORY.get(category) or GENERICS_BY_CATEGORY.get(category[:1])
    if expected and generic not in expected:
        other = next((c for c, terms in GENERICS_BY_CATEGORY.items() if generic in terms), None)
        label = names.CATEGORIES[category]
        message = (
            f"the generic “{generic}” belongs to category {other} {names.CATEGORIES.get(other or '', '')},"
            f" not {category} {label}"
            if generic and other
            else f"“{proposed}” has no generic term of category {category} {label} ({'、'.join(expected)})"
        )
        findings.append(_finding("error" if generic and other else "warning", "generic does not fit category", message))

    findings.extend(_pattern_findings(proposed))
    if point is not None:
        near = queries.nearby(conn, point.lon, point.lat, NEARBY_RADIUS_M, category=None, statuses=current, limit=100)
        similar = [r for r in near if r["name"] != proposed and _one_edit(names.core_of(r["name"]), core)]
        if similar:
            findings.append(
                _finding(
                    "warning",
                    "near-identical nearby",
                    f"names within {NEARBY_RADIUS_M / 1000:g} km differ from “{proposed}” by one character",
                    _related(similar),
                )
            )

    verdict = (
        "refuse or revise"
        if any(f["severity"] == "error" for f in findings)
        else ("decide with reasons" if findings else "no objection found")
    )
    result = {
        "name": proposed,
        "category": category,
        "category_name": names.CATEGORIES[category],
        "unit": {"code": found_unit["code"], "name": found_unit["name"]},
        "verdict": verdict,
        "findings": findings,
    }
    result["memo"] = _memo(result)
    return result


def _pattern_findings(proposed: str) -> list[dict[str, Any]]:
    findings = []
    for words, rule, what in (
        (ENTERPRISE_WORDS, "enterprise or brand name", "names of enterprises or brands are not place names"),
        (FOREIGN_PLACE_WORDS, "foreign place name", "foreign place names are not used to name places"),
        (EXAGGERATION_WORDS, "exaggerated wording", "exaggerated or grandiose wording"),
    ):
        hits = [w for w in words if w in proposed]
        if hits:
            findings.append(_finding("error", rule, f"“{proposed}” contains {'、'.join(hits)}: {what}"))
    rare = [c for c in proposed if not _in_common_set(c)]
    if rare:
        findings.append(
            _finding(
                "warning",
                "rare character",
                f"{'、'.join(rare)} outside the common GB 2312 set: check against 通用规范汉字表",
            )
        )
    if len(proposed) > MAX_NAME_LENGTH:
        findings.append(
            _finding("warning", "over-long name", f"{len(proposed)} characters (more than {MAX_NAME_LENGTH})")
        )
    return findings


def _in_common_set(ch: str) -> bool:
    try:
        ch.encode("gb2312")
    except UnicodeEncodeError:
        return False
    return True


def _one_edit(a: str, b: str) -> bool:
    if abs(len(a) - len(b)) > 1 or a == b:
        return False
    if len(a) == len(b):
        return sum(x != y for x, y in zip(a, b, strict=True)) == 1
    short, long_ = (a, b) if len(a) < len(b) else (b, a)
    return any(long_[:i] + long_[i + 1 :] == short for i in range(len(long_)))


def _memo(result: dict[str, Any]) -> str:
    """The review as plain text for a review memo."""
    lines = [
        f"地名审核意见 — 拟用名称：{result['name']}（{result['category']} {result['category_name']}），"
        f"所在政区：{result['unit']['name']}（{result['unit']['code']}）",
        f"结论：{result['verdict']}",
    ]
    for number, f in enumerate(result["findings"], start=1):
        related = "；".join(f"{r['name']}（{r['status']}，{r['admin_code'] or r['unit_code']}）" for r in f["related"])
        lines.append(
            f"{number}. [{f['severity']}] {f['rule']}：{f['message']}" + (f"。相关：{related}" if related else "")
        )
        lines.append(f"   依据：{f['basis']}")
    if not result["findings"]:
        lines.append("未发现重名、同音、近期销名、通名不符或禁用情形。")
    return "\n".join(lines)
