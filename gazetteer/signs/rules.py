"""The rules a place-name sign is checked against (no database): the printed name against the standard name, the
printed romanization against the form the project's romanizer gives (GB/T 16159-2012, official Mongolian forms).

Rules, each a finding with a severity (``error``: the sign must be corrected or replaced; ``warning``: the text is
readable but not in the standard form):
- ``name-differs`` (error): the printed name is not the standard name once full/half-width and spaces are
  normalised; ``traditional-characters`` (error) when it is the standard name in traditional characters;
  ``outdated-name`` (error) when it is a former name of the place (still standing after a 更名), ``alias-name``
  (error) when it is an alias; ``no-standard-name`` (error) when the place has no current standard name (retired,
  or a proposal never approved).
- ``romanization-missing`` (error): no romanization printed.
- ``english-word`` (error): English words mixed into the pinyin (Road, Street, Avenue, "Lu Road"…).
- ``mongolian-official-form`` (error): the derived pinyin printed where a name of Mongolian origin has an
  official form (Eerduosi for Ordos, Dalate Qi for Dalad Qi).
- ``spelling`` (error): other letters than the standard form (a wrong polyphone reading, a typo).
- ``apostrophe`` (error when missing — Xian reads 先 — warning when superfluous).
- ``word-split`` / ``capitalisation`` (warning): the same letters written into other words, or capitalised
  otherwise than the standard form (each word capitalised; all capitals, as signs often print, is accepted).
- ``tone-marks`` (warning): signs print the plain form.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from gazetteer.places.names import latin_key, to_simplified
from gazetteer.romanization.service import Romanization, pinyin_key
from gazetteer.romanization.terms import TONE_MARKS

BASIS_NAME = "地名管理条例（2022）：地名标志使用标准地名; GB 17733-2008《地名 标志》"
BASIS_ROMAN = "GB/T 16159-2012《汉语拼音正词法基本规则》; GB 17733-2008《地名 标志》"
BASIS_MONGOLIAN = "少数民族语地名汉语拼音字母音译转写法（1976）; 国家地名信息库的罗马字母拼写"
ENGLISH_WORDS = frozenset(
    "road rd street st avenue ave boulevard blvd lane alley way district county city town township village banner "
    "square plaza park garden gardens bridge river lake mountain hill community residential zone area industrial "
    "development new old east west north south middle central the of".split()
)
APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "`": "'", "\u00b4": "'", "\u02bc": "'"})


def finding(
    rule: str, severity: str, basis: str, sign_says: str | None, should_say: str, message: str
) -> dict[str, Any]:
    """One finding of the check."""
    return {
        "rule": rule,
        "severity": severity,
        "basis": basis,
        "sign_says": sign_says,
        "should_say": should_say,
        "message": message,
    }


def normalise_name(text: str) -> str:
    """A name as compared: full-width forms to half-width (NFKC), every space removed (ideographic ones too)."""
    return "".join(unicodedata.normalize("NFKC", text).split())


def check_name(printed: str, standard: str | None, other_names: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Findings on the printed name against the place's current standard name and its other names (each a dict
    with name, status, valid_to)."""
    said = normalise_name(printed)
    if standard is None:
        return [
            finding(
                "no-standard-name",
                "error",
                BASIS_NAME,
                printed,
                "",
                "the place has no current standard name (retired or never approved): remove or replace the sign",
            )
        ]
    if said == standard:
        return []
    if to_simplified(said) == standard:
        return [
            finding(
                "traditional-characters",
                "error",
                BASIS_NAME,
                printed,
                standard,
                "the standard name printed in traditional characters; signs use the standard simplified characters",
            )
        ]
    for other in other_names:
        if other["name"] == said and other["status"] in ("historic", "retired"):
            since = f" on {other['valid_to']}" if other["valid_to"] else ""
            return [
                finding(
                    "outdated-name",
                    "error",
                    BASIS_NAME,
                    printed,
                    standard,
                    f"{said} is a former name of the place: renamed {standard}{since}",
                )
            ]
        if other["name"] == said and other["status"] == "alias":
            return [
                finding(
                    "alias-name", "error", BASIS_NAME, printed, standard, f"{said} is an alias, not the standard name"
                )
            ]
    return [
        finding("name-differs", "error", BASIS_NAME, printed, standard, "the printed name is not the standard name")
    ]


def _words(text: str) -> list[str]:
    return text.split()


def _without_tones(text: str) -> str:
    decomposed = unicodedata.normalize("NFD", text)
    return unicodedata.normalize("NFC", "".join(c for c in decomposed if c not in TONE_MARKS))


def check_romanization(printed: str | None, expected: Romanization) -> list[dict[str, Any]]:
    """Findings on the printed romanization against the standard form (see the module docstring)."""
    should = expected.plain
    if printed is None or not printed.strip():
        return [
            finding("romanization-missing", "error", BASIS_ROMAN, printed, should, "the sign carries no romanization")
        ]
    said = " ".join(unicodedata.normalize("NFKC", printed).translate(APOSTROPHES).split())
    if said in (should, should.upper()):
        return []
    found: list[dict[str, Any]] = []
    plain = _without_tones(said)
    if plain != said:
        found.append(
            finding("tone-marks", "warning", BASIS_ROMAN, printed, should, "signs print the plain form, without tones")
        )
    kept = [w for w in _words(plain) if w.lower().strip(".,") not in ENGLISH_WORDS]
    english = [w for w in _words(plain) if w.lower().strip(".,") in ENGLISH_WORDS]
    if english:
        found.append(
            finding(
                "english-word",
                "error",
                BASIS_ROMAN,
                printed,
                should,
                f"English word(s) {', '.join(english)} mixed in: the whole name, generic term included, is written "
                "in pinyin",
            )
        )
    rest = " ".join(kept)
    if rest in (should, should.upper()):
        return found
    letters = latin_key(rest)
    mongolian = _mongolian_findings(printed, letters, expected)
    found.extend(mongolian)
    for item in mongolian:
        letters = letters.replace(item.pop("_derived"), item.pop("_official"))
    specific = latin_key(" ".join(p.plain for p in expected.parts if p.role != "generic"))
    if letters != latin_key(should):
        if not (english and letters == specific):  # the English word stood for the generic term
            found.append(
                finding("spelling", "error", BASIS_ROMAN, printed, should, "the letters differ from the standard form")
            )
        return found
    if mongolian:
        return found
    compact = re.sub(r"[\s\-]", "", rest).lower()
    expected_compact = should.replace(" ", "").lower()
    if compact != expected_compact:
        missing = compact.count("'") < expected_compact.count("'")
        found.append(
            finding(
                "apostrophe",
                "error" if missing else "warning",
                BASIS_ROMAN,
                printed,
                should,
                "apostrophe missing before a syllable beginning with a, o or e"
                if missing
                else "apostrophe where the standard form has none",
            )
        )
        return found
    if [w.lower() for w in _words(rest)] != [w.lower() for w in _words(should)]:
        found.append(
            finding(
                "word-split",
                "warning",
                BASIS_ROMAN,
                printed,
                should,
                "specific and generic are written as separate words, village-level names as one word",
            )
        )
    elif rest not in (should, should.upper()):
        found.append(
            finding(
                "capitalisation",
                "warning",
                BASIS_ROMAN,
                printed,
                should,
                "each word begins with a capital (or the whole name in capitals)",
            )
        )
    return found


def _mongolian_findings(printed: str, letters: str, expected: Romanization) -> list[dict[str, Any]]:
    """A finding for each official part of the name printed in its derived pinyin (Eerduosi for Ordos)."""
    found = []
    for part in expected.parts:
        if not part.rule.startswith("lexicon:official"):
            continue
        derived, official = pinyin_key(part.text)[0], latin_key(part.plain)
        if derived in letters and official not in letters.replace(derived, " "):  # Wulan hides Ulan
            item = finding(
                "mongolian-official-form",
                "error",
                BASIS_MONGOLIAN,
                printed,
                expected.plain,
                f"{part.text} is of Mongolian origin: its official form is {part.plain}, not the pinyin "
                f"{derived.capitalize()}",
            )
            found.append({**item, "_derived": derived, "_official": official})
    return found
