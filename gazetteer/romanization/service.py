"""Romanization of place names per GB/T 16159-2012 and the place-name spelling rules.

Rules, in the order they apply (each part of the answer names the rule that decided it):
- ``generic-separate``: the name splits into a specific part and a generic term (东胜 + 区); both are
  written as separate words, each capitalised (Dongsheng Qu). A generic of several syllables is one word
  (苏木 -> Sumu, 开发区 -> Kaifaqu).
- ``monosyllabic-joined``: a one-syllable specific is joined to its generic (泰山 -> Taishan).
- ``modifier-joined``: a one-syllable modifier (前, 后, 中, 东, 西, 南, 北, 左, 右) between an official
  specific and the generic is joined to the generic (鄂托克前旗 -> Otog Qianqi).
- ``village-one-word``: village-level names (村, 嘎查, 社区 and names of that level) and names without a
  separable generic are one word (和平村 -> Hepingcun).
- ``lexicon:official``: an official form of a name of Mongolian origin (data/romanization_lexicon.toml)
  replaces the pinyin of its part; the romanization is then ``official``, otherwise ``derived``.
- ``lexicon:phrase`` / ``lexicon:character``: place-name readings of polyphones; ``char-table``: the
  per-character reading (pypinyin's table, first reading) for everything else.
- ``apostrophe``: inside a word, a syllable beginning with a, o or e after another syllable gets an
  apostrophe (Xi'an). ``numeral``: Arabic digits are read as Chinese numerals (12 -> shí'èr).
The plain form has no tone marks; the toned form has them. Official forms carry no tones in either.
"""

from __future__ import annotations

import re
import tomllib
import unicodedata
from dataclasses import dataclass, field
from functools import cache, lru_cache

from core.errors import InvalidInput
from core.settings import PROJECT_ROOT

LEXICON_PATH = PROJECT_ROOT / "data" / "romanization_lexicon.toml"

# Generic terms, longest first so that 自治旗 wins over 旗 and 开发区 over 区.
GENERIC_TERMS = (
    "自治区",
    "自治州",
    "自治县",
    "自治旗",
    "开发区",
    "工业园区",
    "示范区",
    "林场",
    "农场",
    "牧场",
    "园区",
    "地区",
    "街道",
    "苏木",
    "嘎查",
    "社区",
    "大街",
    "大道",
    "胡同",
    "广场",
    "公园",
    "水库",
    "省",
    "市",
    "盟",
    "县",
    "旗",
    "区",
    "镇",
    "乡",
    "村",
    "路",
    "街",
    "巷",
    "山",
    "河",
    "湖",
    "沟",
    "桥",
)
GENERIC_SET = frozenset(GENERIC_TERMS)
GENERIC_LENGTHS = sorted({len(g) for g in GENERIC_TERMS}, reverse=True)
VILLAGE_GENERICS = ("村", "嘎查", "社区")
MODIFIERS = "前后中东西南北左右"
DIGITS = "零一二三四五六七八九"
ASCII_DIGIT = re.compile("[0-9]")
TONE_MARKS = {"\u0304", "\u0301", "\u030c", "\u0300"}


@dataclass(frozen=True)
class Part:
    """One part of a name: its text, plain and toned forms, and the rule or lexicon entry that decided it."""

    text: str
    role: str  # specific, modifier, generic
    plain: str
    toned: str
    rule: str


@dataclass
class Romanization:
    """The romanized name: plain and toned forms, ``official`` or ``derived``, and its parts."""

    name: str
    plain: str
    toned: str
    origin: str
    parts: list[Part] = field(default_factory=list)
    rules: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, object]:
        """JSON-ready form (the API answer)."""
        return {
            "name": self.name,
            "plain": self.plain,
            "toned": self.toned,
            "origin": self.origin,
            "rules": self.rules,
            "parts": [vars(p) for p in self.parts],
        }


@dataclass(frozen=True)
class Lexicon:
    """The override lexicon: official forms, phrase readings, character readings."""

    official: dict[str, str]
    phrases: dict[str, list[str]]
    characters: dict[str, str]

    @property
    def phrase_starts(self) -> frozenset[str]:
        """First characters of the phrases (a cheap test before trying phrase lengths)."""
        return frozenset(k[0] for k in self.phrases)

    @property
    def official_starts(self) -> frozenset[str]:
        """First characters of the official entries."""
        return frozenset(k[0] for k in self.official)


@cache
def lexicon() -> Lexicon:
    """The lexicon file, parsed once."""
    data = tomllib.loads(LEXICON_PATH.read_text(encoding="utf-8"))
    return Lexicon(
        official=dict(data.get("official", {})),
        phrases={k: v.split() for k, v in data.get("phrases", {}).items()},
        characters=dict(data.get("characters", {})),
    )


@cache
def character_table() -> dict[str, str]:
    """Toned reading of each character: pypinyin's first reading, overridden by the lexicon's characters."""
    from pypinyin.pinyin_dict import pinyin_dict

    table = {chr(code): readings.split(",", 1)[0] for code, readings in pinyin_dict.items()}
    table.update(lexicon().characters)
    return table


@lru_cache(maxsize=20_000)
def strip_tones(syllable: str) -> str:
    """The syllable without tone marks (ü kept)."""
    decomposed = unicodedata.normalize("NFD", syllable)
    return unicodedata.normalize("NFC", "".join(c for c in decomposed if c not in TONE_MARKS))


def numeral_text(number: int) -> str:
    """Chinese numeral reading of 0..99999 (12 -> 十二, 105 -> 一百零五)."""
    if number < 10:
        return DIGITS[number]
    units = ((10000, "万"), (1000, "千"), (100, "百"), (10, "十"))
    out, zero_pending = "", False
    for value, unit in units:
        digit, number = divmod(number, value)
        if digit:
            if zero_pending and out:
                out += "零"
            out += ("" if (unit == "十" and digit == 1 and not out) else DIGITS[digit]) + unit
            zero_pending = False
        elif out:
            zero_pending = True
    if number:
        out += ("零" if zero_pending else "") + DIGITS[number]
    return out


def _expand_digits(text: str) -> str:
    if not ASCII_DIGIT.search(text):
        return text
    out, run = [], ""
    for ch in text + "\0":
        if ch.isascii() and ch.isdigit():
            run += ch
            continue
        if run:
            out.append(numeral_text(int(run)) if len(run) <= 5 else "".join(DIGITS[int(d)] for d in run))
            run = ""
        if ch != "\0":
            out.append(ch)
    return "".join(out)


@lru_cache(maxsize=1_000_000)
def syllables(text: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Toned syllables of a Hanzi string and the rule of each (phrases first, then characters)."""
    table, lex = character_table(), lexicon()
    starts = _phrase_starts()
    result: list[str] = []
    rules: list[str] = []
    i = 0
    while i < len(text):
        for length in range(min(6, len(text) - i) if text[i] in starts else 0, 1, -1):
            phrase = text[i : i + length]
            if phrase in lex.phrases:
                result.extend(lex.phrases[phrase])
                rules.extend([f"lexicon:phrase:{phrase}"] * length)
                i += length
                break
        else:
            ch = text[i]
            if ch in table:
                result.append(table[ch])
                rules.append(f"lexicon:character:{ch}" if ch in lex.characters else "char-table")
            elif not ch.isspace() and unicodedata.category(ch)[0] not in "PZ":
                raise InvalidInput(f"no reading for the character {ch!r} (U+{ord(ch):04X}) in {text!r}")
            i += 1
    return tuple(result), tuple(rules)


@cache
def _phrase_starts() -> frozenset[str]:
    return lexicon().phrase_starts


@cache
def _official_starts() -> frozenset[str]:
    return lexicon().official_starts


def join_word(sylls: tuple[str, ...]) -> str:
    """Syllables written as one word: apostrophe before a/o/e after the first syllable, capitalised."""
    return _join(sylls, sylls)


def _join(sylls: tuple[str, ...], plain: tuple[str, ...]) -> str:
    out = "".join(
        ("'" + syl) if index and plain[index][:1] in ("a", "o", "e") else syl for index, syl in enumerate(sylls)
    )
    return out[:1].upper() + out[1:]


def split_name(name: str) -> tuple[str, str]:
    """(specific, generic) of a name; the generic is '' when none separates (the whole name is specific)."""
    for length in GENERIC_LENGTHS:
        if len(name) > length and name[-length:] in GENERIC_SET:
            return name[:-length], name[-length:]
    return name, ""


def _word(text: str, role: str) -> Part:
    sylls, rules = syllables(text)
    plain = tuple(strip_tones(syl) for syl in sylls)
    decided = sorted(set(rules), key=rules.index)
    rule = ",".join(decided) if decided else "char-table"
    return Part(text, role, _join(plain, plain), _join(sylls, plain), rule)


def _specific_parts(specific: str) -> list[Part]:
    """The specific split into official segments (their own words) and pinyin segments (joined)."""
    official = lexicon().official
    starts = _official_starts()
    parts: list[Part] = []
    pending = ""
    i = 0
    while i < len(specific):
        for length in range(len(specific) - i if specific[i] in starts else 0, 1, -1):
            piece = specific[i : i + length]
            if piece in official:
                if pending:
                    parts.append(_word(pending, "specific"))
                    pending = ""
                form = official[piece]
                parts.append(Part(piece, "specific", form, form, f"lexicon:official:{piece}"))
                i += length
                break
        else:
            pending += specific[i]
            i += 1
    if pending:
        parts.append(_word(pending, "specific"))
    return parts


@lru_cache(maxsize=1_000_000)
def romanize(name: str, *, village: bool | None = None) -> Romanization:
    """Romanize a place name; ``village`` forces (or forbids) the one-word village rule.

    Without ``village`` the rule applies when the generic is a village-level term (村, 嘎查, 社区).
    """
    text = unicodedata.normalize("NFKC", name).strip()
    if not text:
        raise InvalidInput("the name to romanize is empty")
    rules: list[str] = []
    expanded = _expand_digits(text)
    if expanded != text:
        rules.append("numeral")
    specific, generic = split_name(expanded)
    is_village = village if village is not None else generic in VILLAGE_GENERICS
    maybe_official = any(ch in _official_starts() for ch in specific)
    parts = _specific_parts(specific) if maybe_official or not is_village else []
    is_official = any(p.rule.startswith("lexicon:official") for p in parts)
    modifier: Part | None = None
    if generic and is_official and len(parts) == 2 and parts[-1].text in MODIFIERS:
        modifier = parts.pop()
        rules.append("modifier-joined")
    if is_village and not is_official:
        whole = _word(specific + generic, "name")
        parts = [Part(specific + generic, "name", whole.plain, whole.toned, whole.rule)]
        rules.append("village-one-word" if generic else "no-separable-generic")
    elif generic:
        generic_word = _word((modifier.text if modifier else "") + generic, "generic")
        if len(parts) == 1 and len(parts[0].text) == 1 and not is_official:
            joined = _word(specific + generic, "name")
            parts = [Part(specific + generic, "name", joined.plain, joined.toned, joined.rule)]
            rules.append("monosyllabic-joined")
        else:
            parts.append(generic_word)
            rules.append("generic-separate")
    else:
        rules.append("no-separable-generic")
    plain = " ".join(p.plain for p in parts)
    toned = " ".join(p.toned for p in parts)
    if "'" in plain:
        rules.append("apostrophe")
    return Romanization(
        name=name, plain=plain, toned=toned, origin="official" if is_official else "derived", parts=parts, rules=rules
    )


@lru_cache(maxsize=1_000_000)
def pinyin_key(text: str) -> tuple[str, str]:
    """(full toneless pinyin, initials) of a Hanzi string, lower case without separators (kangbashi, kbs)."""
    full, initials, _ = pinyin_keys(text)
    return full, initials


def pinyin_keys(text: str) -> tuple[str, str, tuple[str, ...]]:
    """(full pinyin, initials, key syllables) of a Hanzi string; the syllables let a caller key a prefix of the
    string (its core) without reading it again."""
    sylls, _ = syllables(_expand_digits(text))
    plain = tuple(_key_syllable(s) for s in sylls)
    return "".join(plain), "".join(s[:1] for s in plain), plain


@lru_cache(maxsize=20_000)
def _key_syllable(syllable: str) -> str:
    return strip_tones(syllable).replace("ü", "v").lower()
