"""Place-name rules without the database: unit names, categories, search keys, query normalization.

Place name of an administrative unit from its NBS statistical name (rules applied in this order):
1. …嘎查村民委员会 / …嘎查村委员会 / …嘎查村委会 / …嘎查村 -> …嘎查 (嘎查 is the village; the 村 is the
   statistical doubling).
2. …村民委员会 / …村委员会 / …村委会 -> …村 (和平村委会 -> 和平村); a doubled 村 is the village's own
   name plus the committee's (哈日木乎尔村村委会 -> 哈日木乎尔村, 四村村委会 -> 四村).
3. …社区居民委员会 / …社区居委会 -> …社区 (新村社区居委会 -> 新村社区).
4. …居民委员会 / …居委会 (no 社区) -> …社区 (the committee's area is a community).
5. …街道办事处 -> …街道; …办事处 -> … .
6. …苏木乡 -> …苏木 (a doubled generic of the statistical form); …管理委员会 -> … (the committee of an area).
Anything else is already a place name. Both the place name and the statistical name are searchable.
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache, lru_cache

from core.errors import InvalidInput
from core.imports import has_control_characters
from gazetteer.romanization.service import pinyin_key, pinyin_keys, romanize, split_name

UNIT_NAME_RULES: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"嘎查(村民委员会|村委员会|村委会|村)$"), "嘎查"),
    (re.compile(r"村?村(民委员会|委员会|委会)$"), "村"),
    (re.compile(r"社区(居民委员会|居委会)$"), "社区"),
    (re.compile(r"(居民委员会|居委会)$"), "社区"),
    (re.compile(r"街道办事处$"), "街道"),
    (re.compile(r"办事处$"), ""),
    (re.compile(r"苏木乡$"), "苏木"),
    (re.compile(r"管理委员会$"), ""),
)
# Category codes after GB/T 18521-2001 as used by the national place-name census (the ones this registry uses).
CATEGORIES = {
    "1": "自然地理实体",
    "2": "行政区域",
    "21": "省级行政区域",
    "22": "地级行政区域",
    "23": "县级行政区域",
    "24": "乡级行政区域",
    "3": "群众自治组织",
    "31": "社区（居委会）",
    "32": "村（村委会、嘎查）",
    "4": "非行政区域",
    "41": "开发区、园区",
    "5": "居民点",
    "51": "城镇居民点",
    "52": "农村居民点",
    "6": "具有地名意义的单位",
    "7": "交通运输设施（含街巷）",
    "8": "水利电力通信设施",
    "9": "纪念地、旅游景点",
}
LEVEL_RANK = {"province": 1, "city": 2, "county": 3, "township": 4, "village": 5}
NON_UNIT_RANK = 6
GROUPING_KIND = "统计分组"  # the kind boundaries gives the grouping rows of the national files (市辖区…)
# Province-level names a query may start with (a prefix written in: 内蒙古自治区鄂尔多斯市东胜区).
PROVINCE_NAMES = (
    "北京市 天津市 河北省 山西省 内蒙古自治区 辽宁省 吉林省 黑龙江省 上海市 江苏省 浙江省 安徽省 福建省 江西省 山东省 "
    "河南省 湖北省 湖南省 广东省 广西壮族自治区 海南省 重庆市 四川省 贵州省 云南省 西藏自治区 陕西省 甘肃省 青海省 "
    "宁夏回族自治区 新疆维吾尔自治区 内蒙古"
).split()
MAX_QUERY_LENGTH = 100  # spaced pinyin of a long village name runs to ~100
TONE_DIGITS = re.compile(r"(?<=[a-zü])[1-5]")
LATIN_QUERY = re.compile(r"^[a-z0-9ü' \-·.]+$")


def unit_place_name(statistical_name: str) -> str:
    """The place name of a unit from its NBS statistical name (rules in the module docstring)."""
    name = statistical_name.strip()
    for pattern, replacement in UNIT_NAME_RULES:
        if pattern.search(name):
            derived = pattern.sub(replacement, name)
            return derived if derived else name
    return name


def unit_category(level: str, kind: str) -> str:
    """The GB/T 18521 category code of a unit of ``level`` and ``kind``."""
    if level == "province":
        return "21"
    if level == "city":
        return "22"
    if level == "county":
        return "23"
    if level == "township":
        return "41" if kind not in ("街道", "镇", "乡", "苏木", "民族乡", "民族苏木") else "24"
    return "31" if kind in ("社区", "居委会") else "32"


def check_category(code: str) -> str:
    """The category code if known, else InvalidInput listing the codes."""
    if code not in CATEGORIES:
        known = ", ".join(f"{k} {v}" for k, v in CATEGORIES.items())
        raise InvalidInput(f"unknown category code {code!r}; known: {known}")
    return code


@cache
def _converters() -> tuple[object, object]:
    import opencc

    return opencc.OpenCC("s2t"), opencc.OpenCC("t2s")


def warm_up() -> None:
    """Load the romanizer's dictionaries and the OpenCC converters now, at startup, not in the first request that
    needs them: loading holds the GIL in long C calls (pypinyin's dictionary is one JSON document, decoded in
    400-900 ms) and stalled every other request of the worker meanwhile."""
    romanize("鄂尔多斯市康巴什区")
    pinyin_key("康巴什")
    to_traditional("康巴什")
    to_simplified("康巴什")


def to_traditional(text: str) -> str:
    """Traditional characters of a simplified string (OpenCC s2t)."""
    return str(_converters()[0].convert(text))  # type: ignore[attr-defined]


def to_simplified(text: str) -> str:
    """Simplified characters of a traditional (or mixed) string (OpenCC t2s)."""
    return str(_converters()[1].convert(text))  # type: ignore[attr-defined]


def core_of(name: str) -> str:
    """The name without its generic term (鄂托克旗 -> 鄂托克); the name itself when none separates."""
    return split_name(name)[0]


def latin_key(text: str) -> str:
    """A romanized string as a key: lower case, no tone marks, spaces, apostrophes or hyphens (Otog Qi -> otogqi)."""
    decomposed = unicodedata.normalize("NFD", text.lower())
    plain = "".join(c for c in decomposed if unicodedata.category(c) != "Mn" or c == "\u0308")
    plain = unicodedata.normalize("NFC", plain).replace("ü", "v")
    plain = TONE_DIGITS.sub("", plain)
    return "".join(c for c in plain if c.isalnum())


def deletions(core: str) -> set[str]:
    """The strings one character shorter than ``core`` (SymSpell deletions); none for one character."""
    if len(core) < 2:
        return set()
    return {core[:i] + core[i + 1 :] for i in range(len(core))}


def search_keys(
    name: str, statistical_name: str | None, romanization: str | None, origin: str
) -> list[tuple[str, str]]:
    """Every (key, kind) of a place name for the key table: exact, core (generic dropped), statistical name,
    traditional, pinyin and pinyin of the core, initials, official form (and of its core). The deletions of the
    core that the typo search needs are kept per distinct core (queries.replace_keys writes them)."""
    keys = list(_name_keys(name, romanization, origin))
    if statistical_name and statistical_name != name:
        keys.append((statistical_name, "statistical"))
    return keys


@lru_cache(maxsize=1_000_000)
def _name_keys(name: str, romanization: str | None, origin: str) -> tuple[tuple[str, str], ...]:
    """The keys that depend on the name alone (cached: village names repeat across the country)."""
    keys: dict[tuple[str, str], None] = {}
    core = core_of(name)

    def add(key: str, kind: str) -> None:
        if key:
            keys[(key, kind)] = None

    add(name, "exact")
    if core != name:
        add(core, "core")
    traditional = to_traditional(name)
    if traditional != name:
        add(traditional, "traditional")
    try:
        full, initials, sylls = pinyin_keys(name)
        add(full, "pinyin")
        add(initials, "initials")
        if core != name:  # one syllable per character: the core's pinyin is a prefix of the name's
            add("".join(sylls[: len(core)]) if len(sylls) == len(name) else pinyin_key(core)[0], "pinyin_core")
    except InvalidInput:
        pass  # a character without a reading: the name is still found by its Hanzi keys
    if romanization and origin != "derived":  # official or partly_official: the official form is searchable
        add(latin_key(romanization), "official")
        official_core = " ".join(romanization.split()[:-1]) if core != name else ""
        add(latin_key(official_core), "official_core")
    return tuple(keys)


def normalize_query(raw: str) -> str:
    """The query as searched: NFKC (full-width -> half-width), trimmed, inner whitespace collapsed; refuses
    empty, over-long and control-character input."""
    if has_control_characters(raw):
        raise InvalidInput(f"q {raw!r} contains control characters")
    text = " ".join(unicodedata.normalize("NFKC", raw).split())
    if not text:
        raise InvalidInput("q is empty: give a name, pinyin, initials or an official romanization")
    if len(text) > MAX_QUERY_LENGTH:
        raise InvalidInput(f"q is {len(text)} characters long; at most {MAX_QUERY_LENGTH} are accepted")
    return text


def is_latin(text: str) -> bool:
    """True for a romanized query (pinyin, initials, official form)."""
    decomposed = unicodedata.normalize("NFD", text.lower())
    return bool(LATIN_QUERY.match("".join(c for c in decomposed if unicodedata.category(c) != "Mn")))


def unit_romanization(name: str, level: str | None, code: str) -> tuple[str | None, str | None, str]:
    """(plain, toned, origin) of a unit's name read in the unit (``code``: readings by place); village-level names
    one word; (None, None, derived) when unreadable."""
    try:
        result = romanize(name, village=True if level == "village" else None, unit_code=code)
    except InvalidInput:
        return None, None, "derived"
    return result.plain, result.toned, result.origin
