"""English forms of the units (data/unit_english_names.csv): loaded with the units, found by search case- and
spacing-insensitively, shown on the record; English generic words read as the generic terms they translate."""

from __future__ import annotations

import csv

import httpx
import pytest

from gazetteer.places.english import ENGLISH_NAMES_PATH

SEARCH = "/api/v1/places/search"


def english_rows() -> list[dict[str, str]]:
    with ENGLISH_NAMES_PATH.open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_every_form_names_its_source() -> None:
    rows = english_rows()
    assert len(rows) == 10 and all(r["source"].strip() and r["english"].strip() for r in rows)


@pytest.mark.parametrize("row", english_rows(), ids=lambda r: r["english"])
def test_each_english_form_finds_its_unit_first(ordos_api: httpx.Client, row: dict[str, str]) -> None:
    for q in (row["english"], row["english"].upper(), row["english"].replace(" ", ""), f"  {row['english'].lower()} "):
        top = ordos_api.get(SEARCH, params={"q": q}).json()["results"][0]
        assert (top["name"], top["admin_code"], top["match"]) == (row["name"], row["code"], "exact"), q


@pytest.mark.parametrize(
    ("q", "name"),
    [
        ("Xini Town", "锡尼镇"),
        ("Tianjiao Subdistrict", "天骄街道"),
        ("Otog banner", "鄂托克旗"),
        ("Galutu Town", "嘎鲁图镇"),
    ],
)
def test_english_generic_words_read_as_generic_terms(ordos_api: httpx.Client, q: str, name: str) -> None:
    assert ordos_api.get(SEARCH, params={"q": q}).json()["results"][0]["name"] == name


def test_the_record_shows_the_english_forms(ordos_api: httpx.Client) -> None:
    hit = ordos_api.get(SEARCH, params={"q": "Ejin Horo Banner"}).json()["results"][0]
    record = ordos_api.get(f"/api/v1/places/{hit['id']}").json()
    assert record["english_names"] == [
        {
            "name": "Ejin Horo Banner",
            "kind": "english",
            "source": next(r["source"] for r in english_rows() if r["english"] == "Ejin Horo Banner"),
        }
    ]
    village = ordos_api.get(SEARCH, params={"q": "锡尼镇"}).json()["results"][0]
    assert ordos_api.get(f"/api/v1/places/{village['id']}").json()["english_names"] == []
