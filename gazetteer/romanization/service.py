"""Romanization of place names by the national rules; each branch of the code names the clause it implements.

Sources (where two disagree, the newer national standard is followed):
- GB/T 16159-2012《汉语拼音正词法基本规则》6.2.2 (place names; 6.3 is capitalisation): specific and generic
  written apart, each part capitalised, also after a one-syllable specific (6.2.2.1: 泰山 Tài Shān, 鸭绿江 Yālù Jiāng);
  a one-syllable modifier is joined to the part it modifies (6.2.2.2: 西辽河 Xīliáo Hé, 景山后街 Jǐngshān Hòujiē);
  names that need no division into specific and generic (natural villages) are one word (6.2.2.4: 王村 Wángcūn).
- 中国地名汉语拼音字母拼写规则（汉语地名部分）, 1984 ("1984 rules"): rule 1 (specific/generic apart), rule 2
  (one-syllable modifiers joined, modifiers of two or more syllables written apart: 潮白新河 Cháobái Xīnhé),
  rule 3 (natural villages one word), rule 7 (codes and street ordinals in Arabic digits: 1203高地 1203 Gāodì,
  二马路 2 Mǎlù, 经五路 Jīng5 Lù), rule 8 (place readings of polyphones), rule 10 (capitals), rule 11 (apostrophe).
  The 1984 rules joined nothing the 2012 standard divides differently here; where older practice joined a
  one-syllable specific to its generic (Taishan), the 2012 standard's Tai Shan is followed.
- GB/T 38207-2019《中国地理实体通名汉语拼音字母拼写规则》: generic terms of human (Annex A) and natural (Annex B)
  geographical entities are spelt as words of their own (苏木 Sūmù, 开发区 Kāifāqū, 海峡 Hǎixiá, 淖尔 Nào'ěr, 社区
  Shèqū).
- 少数民族语地名汉语拼音字母音译转写法 (1976): names of Mongolian origin take their transcribed (official) form from
  data/romanization_lexicon.toml (Ordos, Otog, Nei Mongol, Ulan …), each entry with its published source; GB/T
  16159-2012 6.2.2.5 likewise (Urumqi, Hohhot, Lhasa).
- GB 3304-91: names of nationalities in a place name are words of their own, 族 joined as -zu (广西壮族自治区 Guangxi
  Zhuangzu Zizhiqu, 鄂伦春自治旗 Oroqen Zizhiqi), as in the 中国测绘科学研究院 examples of the 1984 rules (2000,
  item 6).
- Readings by place (1984 rule 8; 普通话异读词审音表 1985): data/place_readings.csv lists the phrases whose reading
  depends on the place (十里堡 Shilipu in Beijing, 大黄堡 Dahuangbao in Tianjin, 吴堡 Wubu), each with its place and
  source; a row with a unit code is read so only inside that unit when the romanizer is told where the name lies
  (``unit_code``: 大黄堡 Dahuangbao in 武清区 120114, elsewhere 堡 takes its default reading bǔ), and everywhere when
  it is not told; erhua (1984 rule 12, which GB/T 16159-2012 6.2.2 makes the rule for place names: 汉语地名按照
  [84]中地字第17号 的规定拼写) is written r only where the name writes 儿 and the table records an erhua (盆儿胡同
  Penr Hutong); elsewhere 儿 is the syllable er (鱼儿湾水库 Yu'erwan Shuiku in the national database).

Origin of a romanization: ``official`` when every non-generic part is an official form, ``partly_official`` when
some are, ``derived`` otherwise. The plain form has no tone marks; the toned form has them (official forms carry none).
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache

from core.errors import InvalidInput
from core.values import normalize_code
from gazetteer.romanization.lexicon import character_table, lexicon, nationality_names, official_starts, phrase_starts
from gazetteer.romanization.terms import (
    ASCII_DIGIT,
    AUTONOMY_GENERICS,
    DIGIT_RUN,
    DIGITS,
    DIRECTION_MODIFIERS,
    GENERIC_LENGTHS,
    GENERIC_SET,
    INNER_DIRECTIONS,
    MODIFIABLE_GENERICS,
    NESTED_GENERICS,
    NESTED_ZONES,
    ORDINALS,
    SHAPE_MODIFIERS,
    STREET_GENERICS,
    TONE_MARKS,
    UNIT_GENERICS,
    VILLAGE_GENERICS,
    ZONE_GENERICS,
    ZONE_MODIFIERS,
)


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
    """The romanized name: plain and toned forms, its origin (official, partly_official, derived) and its parts."""

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
def syllables(text: str, place: str = "") -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Toned syllables of a Hanzi string and the rule of each (phrases first, then characters); ``place`` (a 12-digit
    unit code, or '' when not known) skips the phrases whose reading belongs to another unit."""
    table, lex = character_table(), lexicon()
    starts = phrase_starts()
    result: list[str] = []
    rules: list[str] = []
    i = 0
    while i < len(text):
        for length in range(min(6, len(text) - i) if text[i] in starts else 0, 1, -1):
            phrase = text[i : i + length]
            if phrase in lex.phrases and (not place or place.startswith(lex.phrase_units.get(phrase, ""))):
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


def join_word(sylls: tuple[str, ...]) -> str:
    """Syllables written as one word: apostrophe before a/o/e after the first syllable, capitalised."""
    return _join(sylls, sylls)


def _join(sylls: tuple[str, ...], plain: tuple[str, ...]) -> str:
    # 1984 rule 11: apostrophe before a non-first syllable beginning with a, o or e; rule 10: first letter capital.
    out = "".join(
        ("'" + syl) if index and plain[index][:1] in ("a", "o", "e") else syl for index, syl in enumerate(sylls)
    )
    return out[:1].upper() + out[1:]


def _modifier_fits(modifier: str, rest: str) -> bool:
    # GB/T 16159-2012 6.2.2 / 1984 rule 2 (南小街 Nan Xiaojie, 景山后街 Jingshan Houjie; 湖北路 stays Hubei Lu); a
    # direction word also goes with the generic after a one-syllable shape word (小南街 Xiao Nanjie, 1984 rule 2).
    if modifier in SHAPE_MODIFIERS:
        return len(rest) >= 1
    return modifier in DIRECTION_MODIFIERS and (len(rest) >= 2 or (len(rest) == 1 and rest in SHAPE_MODIFIERS))


def split_name(name: str) -> tuple[str, str]:
    """(specific, generic) of a name; the generic is '' when none separates (the whole name is specific).

    The generic is the longest GB/T 38207-2019 generic term ending the name, with up to two one-syllable modifiers
    joined to a one-syllable street, river or banner generic (GB/T 16159-2012 6.2.2, 1984 rule 2)."""
    for length in GENERIC_LENGTHS:
        if len(name) > length and name[-length:] in GENERIC_SET:
            specific, generic = name[:-length], name[-length:]
            if generic in MODIFIABLE_GENERICS:
                for allowed in (SHAPE_MODIFIERS + DIRECTION_MODIFIERS, DIRECTION_MODIFIERS):  # 西小巷, 南后街
                    if specific and specific[-1] in allowed and _modifier_fits(specific[-1], specific[:-1]):
                        specific, generic = specific[:-1], specific[-1] + generic
                    else:
                        break
            return specific, generic
    return name, ""


def _word(text: str, role: str, rule: str = "", place: str = "") -> Part:
    """One word of the name; Arabic digits stay digits inside it (1984 rule 7: 1203高地 1203 Gaodi)."""
    plain_out: list[str] = []
    toned_out: list[str] = []
    rules: list[str] = []
    for index, piece in enumerate(DIGIT_RUN.split(text)):
        if not piece:
            continue
        if index % 2:
            plain_out.append(piece)
            toned_out.append(piece)
            rules.append("arabic-digits")
            continue
        sylls, decided = syllables(piece, place)
        plain = tuple(strip_tones(syl) for syl in sylls)
        joined_plain, joined_toned = _join(plain, plain), _join(sylls, plain)
        plain_out.append(joined_plain)
        toned_out.append(joined_toned)
        rules.extend(decided)
    decided_rules = sorted(set(rules), key=rules.index)
    rule_text = rule or (",".join(decided_rules) if decided_rules else "char-table")
    plain_word, toned_word = "".join(plain_out), "".join(toned_out)
    return Part(text, role, plain_word[:1].upper() + plain_word[1:], toned_word[:1].upper() + toned_word[1:], rule_text)


def _official_part(piece: str, form: str) -> Part:
    return Part(piece, "specific", form, form, f"lexicon:official:{piece}")


def _specific_parts(specific: str, generic: str, place: str) -> list[Part]:
    """The specific as words: official forms (1976 rules, lexicon), a nested unit name with its own generic
    (鄂尔多斯市 in 鄂尔多斯市高新技术产业园区), modifiers of a zone's generic (1984 rule 2), the rest joined."""
    lex = lexicon()
    if specific in lex.official_whole:
        return [_official_part(specific, lex.official_whole[specific])]
    for zone in NESTED_ZONES:  # 空港物流园区 + 虚拟 (社区): the zone's name keeps its own words
        end = specific.find(zone) + len(zone)
        if len(zone) < end < len(specific):
            head, tail = split_name(specific[:end])
            zone_parts = [*_specific_parts(head, tail, place), _word(tail, "nested-generic")]
            return zone_parts + _specific_parts(specific[end:], generic, place)
    modifiers: list[str] = []
    if generic in ZONE_GENERICS:
        peeled = True
        while peeled:
            peeled = False
            for word in ZONE_MODIFIERS:
                if specific.endswith(word) and len(specific) > len(word):
                    modifiers.insert(0, word)
                    specific = specific[: -len(word)]
                    peeled = True
    if generic in ZONE_GENERICS:
        head, unit = split_name(specific)
        if head and unit.endswith(tuple(UNIT_GENERICS)):
            # 1984 rule 14 (浙江/省/测绘局); the national place-name database: 襄垣县森林公园 Xiangyuan Xian Senlin
            # Gongyuan.
            unit_parts = [*_specific_parts(head, unit, place), _word(unit, "nested-generic")]
            return unit_parts + [_word(word, "modifier") for word in modifiers]
    official = lex.official
    starts = official_starts()
    specific, nationalities = _nationalities(specific, generic)
    parts: list[Part] = []
    numeral_end = 1
    while numeral_end < len(specific) and specific[numeral_end] in ORDINALS:
        numeral_end += 1
    if specific.startswith("第") and 1 < numeral_end < len(specific):
        # 1984 rule 6 and rule 2: an ordinal prefix is a word of its own (第二松花江 Di'er Songhua Jiang).
        parts.append(_word(specific[:numeral_end], "modifier", place=place))
        specific = specific[numeral_end:]
    pending = ""
    i = 0
    while i < len(specific):
        for length in range(len(specific) - i if specific[i] in starts else 0, 1, -1):
            piece = specific[i : i + length]
            if piece in official:
                if pending:
                    parts.extend(_divided_words(pending, generic, place))
                    pending = ""
                parts.append(_official_part(piece, official[piece]))
                i += length
                rest = specific[i:]
                nested = next((g for g in NESTED_GENERICS if rest.startswith(g) and len(rest) > len(g)), None)
                if nested:
                    parts.append(_word(nested, "nested-generic"))
                    i += len(nested)
                break
        else:
            pending += specific[i]
            i += 1
    if pending:
        parts.extend(_divided_words(pending, generic, place))
    parts.extend(nationalities)
    parts.extend(_word(word, "modifier") for word in modifiers)
    return parts


def _divided_words(text: str, generic: str, place: str) -> list[Part]:
    """The words of a street's specific: split before a direction word that has two or more syllables on each side
    (``INNER_DIRECTIONS``, 1984 rule 2: 广安门北滨河 Guang'anmen Beibinhe); other specifics are one word."""
    for index in range(2, len(text) - 2) if generic in STREET_GENERICS else ():
        if text[index] in INNER_DIRECTIONS:
            return [_word(text[:index], "specific", place=place), *_divided_words(text[index:], generic, place)]
    return [_word(text, "specific", place=place)]


def numeral_value(text: str) -> int | None:
    """The value of a written Chinese numeral of 1 to 99 (四, 十, 十二, 二十, 四十二), None for anything else (三八 is
    a name of two numerals, not a number: 三八路 Sanba Lu, 1984 rule 6)."""
    digits = [ORDINALS.get(ch) for ch in text]
    if not text or None in digits:
        return None
    if "十" not in text:
        return int(ORDINALS[text]) if len(text) == 1 else None
    tens, _, ones = text.partition("十")
    if len(tens) > 1 or len(ones) > 1 or "十" in tens + ones:
        return None
    return int(ORDINALS[tens] if tens else 1) * 10 + (int(ORDINALS[ones]) if ones else 0)


def _ordinal_split(specific: str) -> tuple[str, int] | None:
    """(head, ordinal) of a street's specific that ends in a numeral: the head a name of the lexicon that ends in a
    numeral itself (东四 in 东四十二条), else all the numerals ending the specific when they make one number."""
    for name in lexicon().numeral_names:
        value = numeral_value(specific[len(name) :]) if specific.startswith(name) else None
        if value is not None:
            return name, value
    head = specific.rstrip("".join(ORDINALS))
    value = numeral_value(specific[len(head) :])
    return None if value is None else (head, value)


def _street_ordinal(specific: str, generic: str, place: str) -> list[Part] | None:
    """1984 rule 7: the ordinal of a street in Arabic digits (二马路 2 Malu, 三环路 3 Huanlu), joined to a one-syllable
    head (经五路 Jing5 Lu), after 第 with a hyphen (第九弄 Di-9 Long), apart from a longer head (大川淀一巷
    Dachuandian 1 Xiang, 东四十二条 Dongsi 12 Tiao, as modifiers of two or more syllables in rule 2); a number that
    is a name (三八路 Sanba Lu, a date) is no numeral and stays in pinyin (1984 rule 6)."""
    split = _ordinal_split(specific) if generic in STREET_GENERICS else None
    if split is None:
        return None
    head, value = split
    digit, numeral = str(value), specific[len(head) :]
    if not head:
        return [Part(specific, "specific", digit, digit, "street-ordinal")]
    if head == "第":
        return [Part(specific, "specific", f"Di-{digit}", f"Dì-{digit}", "street-ordinal")]
    if len(head) == 1:
        word = _word(head, "specific", place=place)
        return [Part(specific, "specific", word.plain + digit, word.toned + digit, "street-ordinal")]
    if len(head) > 3 and head[-1] == "里" and head[-2] in INNER_DIRECTIONS:
        # 1984 rules 2 and 10: a residential quarter's generic 里 with its direction word is a word of its own
        # (天宁寺/西里/一巷 Tianningsi Xili 1 Xiang).
        words = [_word(head[:-2], "specific", place=place), _word(head[-2:], "specific", place=place)]
    else:
        words = _divided_words(head, generic, place)
    return [*words, Part(numeral, "specific", digit, digit, "street-ordinal")]


def _nationalities(specific: str, generic: str) -> tuple[str, list[Part]]:
    """GB 3304-91 names of nationalities ending a specific, each a word with 族 joined as -zu (广西壮族自治区 Guangxi
    Zhuangzu Zizhiqu, 金平苗族瑶族傣族自治县 Jinping Miaozu Yaozu Daizu Zizhixian); before an autonomous unit's generic
    also without 族 when nothing or a name of two or more syllables precedes (鄂伦春自治旗 Oroqen Zizhiqi; 内蒙古 is not
    内 + 蒙古). A form that is not the pinyin of its Hanzi (Daur, Oroqen) is official. Returns the rest and the
    parts."""
    parts: list[Part] = []
    while generic and specific:
        piece = next((n + "族" for n in nationality_names() if specific.endswith(n + "族")), None)
        if piece is None and generic in AUTONOMY_GENERICS and not parts:
            piece = next((n for n in nationality_names() if specific.endswith(n) and _rest_fits(specific, n)), None)
        if piece is None:
            break
        name = piece.removesuffix("族")
        form = lexicon().ethnic[name]
        pinyin = _word(piece, "specific", f"gb3304:{name}")
        if form.lower() == _word(name, "specific").plain.lower():
            parts.insert(0, pinyin)  # the GB 3304 form is the pinyin: toned like any word (Huízú)
        else:
            official = form + ("zu" if piece.endswith("族") else "")
            parts.insert(0, Part(piece, "specific", official, official, f"lexicon:official:ethnic:{name}"))
        specific = specific[: -len(piece)]
    return specific, parts


def _rest_fits(specific: str, name: str) -> bool:
    rest = len(specific) - len(name)
    return rest == 0 or rest >= 2


@lru_cache(maxsize=1_000_000)
def romanize(name: str, *, village: bool | None = None, unit_code: str | None = None) -> Romanization:
    """Romanize a place name; ``village`` forces (or forbids) the one-word village rule; ``unit_code`` (NBS code of
    the unit the name lies in, 2-12 digits) applies the readings by place of that unit only (1984 rule 8).

    Without ``village`` the rule applies when the generic is 村 or 嘎查 (1984 rule 3, GB/T 16159-2012 6.2.2); a name
    ending in 社区 is never one word (社区 is a generic term, GB/T 38207-2019)."""
    text = unicodedata.normalize("NFKC", name).strip()
    if not text:
        raise InvalidInput("the name to romanize is empty")
    rules: list[str] = []
    if ASCII_DIGIT.search(text):
        rules.append("arabic-digits")
    specific, generic = split_name(text)
    if generic and generic not in GENERIC_SET:
        rules.append("modifier-joined")  # GB/T 16159-2012 6.2.2, 1984 rule 2 (景山后街 Jingshan Houjie)
    is_village = (village if village is not None else generic in VILLAGE_GENERICS) and generic != "社区"
    lex = lexicon()
    maybe_official = specific in lex.official_whole or any(ch in official_starts() for ch in specific)
    place = normalize_code(unit_code) if unit_code is not None else ""
    ordinal = _street_ordinal(specific, generic, place)
    if ordinal is not None:
        parts = ordinal
        rules.append("street-ordinal")
    else:
        parts = _specific_parts(specific, generic, place) if maybe_official or not is_village else []
    official_parts = [p for p in parts if p.rule.startswith("lexicon:official")]
    if is_village and not official_parts:
        # 1984 rule 3, GB/T 16159-2012 6.2.2: a village name is one word (王村 Wangcun).
        parts = [_word(specific + generic, "name", place=place)]
        rules.append("village-one-word" if generic else "no-separable-generic")
    elif generic:
        # GB/T 16159-2012 6.2.2, 1984 rule 1: specific and generic apart, also after one syllable (泰山 Tai Shan).
        parts.append(_word(generic, "generic"))
        rules.append("generic-separate")
    else:
        rules.append("no-separable-generic")
    named = [p for p in parts if p.role in ("specific", "modifier", "name")]
    if official_parts and len(official_parts) == len(named):
        origin = "official"
    elif official_parts:
        origin = "partly_official"
    else:
        origin = "derived"
    plain = " ".join(p.plain for p in parts)
    toned = " ".join(p.toned for p in parts)
    if "'" in plain:
        rules.append("apostrophe")
    return Romanization(name=name, plain=plain, toned=toned, origin=origin, parts=parts, rules=rules)


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
