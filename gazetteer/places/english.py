"""English forms of administrative units (alternate names of kind ``english``): loaded from a documented list
(data/unit_english_names.csv, one source per form), searched case- and spacing-insensitively, shown on the record.

English generic words in a query are read as the generic terms they translate (Banner → Qi, District → Qu, City →
Shi, Town → Zhen, Township → Xiang, Subdistrict → Jiedao, Village → Cun, Community → Shequ; Sumu and Gacha are
the pinyin already), so "Xini Town" finds 锡尼镇 (Xini Zhen) without an English form loaded for it."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Connection

from core.errors import InvalidInput
from core.settings import PROJECT_ROOT
from core.values import normalize_code
from gazetteer.places.names import latin_key

ENGLISH_NAMES_PATH = PROJECT_ROOT / "data" / "unit_english_names.csv"
ENGLISH_GENERICS = {
    "banner": "qi",
    "district": "qu",
    "city": "shi",
    "town": "zhen",
    "township": "xiang",
    "subdistrict": "jiedao",
    "village": "cun",
    "community": "shequ",
    "league": "meng",
    "sumu": "sumu",
    "gacha": "gacha",
}


def load_english_names(conn: Connection, path: Path = ENGLISH_NAMES_PATH) -> int:
    """Replace the English forms of the units listed in ``path`` (columns code, name, english, source); the
    number of forms loaded. Idempotent."""
    with path.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    forms = []
    for line, row in enumerate(rows, start=2):
        english, source = (row.get("english") or "").strip(), (row.get("source") or "").strip()
        if not english or not source or not latin_key(english):
            raise InvalidInput(f"{path.name} line {line}: an English form and its source are required")
        forms.append(
            {"code": normalize_code(row["code"]), "name": english, "key": latin_key(english), "source": source}
        )
    codes = sorted({f["code"] for f in forms})
    conn.execute(text("DELETE FROM unit_english_name WHERE admin_code = ANY(:codes)"), {"codes": codes})
    if forms:
        conn.execute(
            text(
                "INSERT INTO unit_english_name (admin_code, name, key, source) VALUES (:code, :name, :key, :source)"
                " ON CONFLICT DO NOTHING"
            ),
            forms,
        )
    return len(forms)


def english_names_of(conn: Connection, admin_code: str | None) -> list[dict[str, Any]]:
    """The English forms of a unit (name and source), for its record."""
    if admin_code is None:
        return []
    rows = conn.execute(
        text("SELECT name, source FROM unit_english_name WHERE admin_code = :code ORDER BY name"),
        {"code": admin_code},
    )
    return [{"name": r.name, "kind": "english", "source": r.source} for r in rows]


def generic_read_keys(query: str) -> list[str]:
    """Keys of a Latin query whose last word is an English generic, read as the pinyin generic
    ("Dongsheng District" → dongshengqu); none otherwise."""
    words = query.split()
    if len(words) < 2 or words[-1].lower() not in ENGLISH_GENERICS:
        return []
    return [latin_key(" ".join(words[:-1])) + ENGLISH_GENERICS[words[-1].lower()]]
