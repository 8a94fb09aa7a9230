"""The romanization's lexicon (data/romanization_lexicon.toml: official forms with their published sources, phrase
and character readings, nationality names, numeral names) and the readings by place (data/place_readings.csv),
parsed once; and the toned reading of every character."""

from __future__ import annotations

import csv
import tomllib
from dataclasses import dataclass
from functools import cache

from core.settings import PROJECT_ROOT
from core.values import normalize_code, significant_code

LEXICON_PATH = PROJECT_ROOT / "data" / "romanization_lexicon.toml"


PLACE_READINGS_PATH = PROJECT_ROOT / "data" / "place_readings.csv"


@dataclass(frozen=True)
class Lexicon:
    """The override lexicon: official forms (as parts of a specific, or only as a whole specific), phrase readings,
    character readings."""

    official: dict[str, str]
    official_whole: dict[str, str]
    phrases: dict[str, list[str]]
    characters: dict[str, str]
    ethnic: dict[str, str]
    numeral_names: frozenset[str]
    phrase_units: dict[str, str]  # phrase -> significant code of the only unit where its reading applies

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
    """The lexicon file and the readings by place (data/place_readings.csv, which win over the lexicon's phrases),
    parsed once."""
    data = tomllib.loads(LEXICON_PATH.read_text(encoding="utf-8"))
    phrases = {k: v.split() for k, v in data.get("phrases", {}).items()}
    with PLACE_READINGS_PATH.open(encoding="utf-8", newline="") as handle:
        readings = list(csv.DictReader(handle))
    phrases.update({row["phrase"]: row["reading"].split() for row in readings})
    return Lexicon(
        official=dict(data.get("official", {})),
        official_whole=dict(data.get("official_whole", {})),
        phrases=phrases,
        characters=dict(data.get("characters", {})),
        ethnic=dict(data.get("ethnic", {})),
        numeral_names=frozenset(data.get("numeral_names", {})),
        phrase_units={
            r["phrase"]: significant_code(normalize_code(r["unit_code"])) for r in readings if r["unit_code"]
        },
    )


@cache
def character_table() -> dict[str, str]:
    """Toned reading of each character: pypinyin's first reading, overridden by the lexicon's characters."""
    from pypinyin.pinyin_dict import pinyin_dict

    table = {chr(code): readings.split(",", 1)[0] for code, readings in pinyin_dict.items()}
    table.update(lexicon().characters)
    return table


@cache
def phrase_starts() -> frozenset[str]:
    """First characters of the lexicon's phrases."""
    return lexicon().phrase_starts


@cache
def official_starts() -> frozenset[str]:
    """First characters of the official forms."""
    return lexicon().official_starts


@cache
def nationality_names() -> tuple[str, ...]:
    """The nationality names of the lexicon, longest first."""
    return tuple(sorted(lexicon().ethnic, key=len, reverse=True))
