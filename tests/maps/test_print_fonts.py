"""Printed pages keep every pinyin vowel: the font stack (core.printing.PRINT_FONTS) puts a Latin face with the
whole pinyin alphabet first, since WenQuanYi Micro Hei has empty glyphs for the third-tone vowels ǎ ǐ ǒ ǔ. A
fixture place whose toned romanization holds all four is printed in the 地名志 draft: the text extracted from
the PDF (pdftotext) holds them, and in the browser each toned vowel draws as much ink as its plain vowel."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator

import httpx
import pytest
from sqlalchemy import Engine

from core.database import transaction
from core.values import GeoPoint
from gazetteer.places import service as gazetteer
from tests.cdp import Browser, wait_for

FIXTURE_NAME = "古米海口"  # Gǔmǐhǎikǒu: every third-tone vowel (a fixture name, made up)
THIRD_TONES = "ǎǐǒǔ"
# Ink (dark pixels) of a string drawn on a canvas in the font of the first toned romanization on the page.
INK = """
((text) => {
  const shown = [...document.querySelectorAll("small")].find((e) => /[ǎǐǒǔ]/.test(e.textContent));
  const canvas = document.createElement("canvas");
  canvas.width = 400; canvas.height = 80;
  const ctx = canvas.getContext("2d");
  ctx.font = "40px " + getComputedStyle(shown).fontFamily;
  ctx.fillText(text, 10, 50);
  const pixels = ctx.getImageData(0, 0, 400, 80).data;
  let ink = 0;
  for (let i = 3; i < pixels.length; i += 4) { if (pixels[i] > 128) { ink += 1; } }
  return ink;
})
"""


@pytest.fixture
def toned_place(api: httpx.Client, ordos_engine: Engine) -> Iterator[str]:
    with transaction(ordos_engine) as conn:
        gazetteer.create_place(
            conn,
            name=FIXTURE_NAME,
            category="6",
            unit="150603",
            point=GeoPoint.from_input(109.78, 39.61, "EPSG:4490"),
            actor="test",
        )
    yield "/api/v1/gazetteer-book/150603"


def test_printed_book_keeps_the_third_tone_vowels(api: httpx.Client, toned_place: str) -> None:
    page = api.get(toned_place).text
    assert all(v in page for v in THIRD_TONES), "the fixture's toned romanization is not on the page"
    pdftotext = shutil.which("pdftotext")
    if pdftotext is None:
        pytest.fail("pdftotext is not installed (apt-get install poppler-utils; scripts/setup.sh does it)")
    pdf = api.get(toned_place, params={"format": "pdf"})
    assert pdf.status_code == 200, pdf.text[:300]
    text = subprocess.run([pdftotext, "-", "-"], input=pdf.content, capture_output=True, check=True).stdout.decode()
    assert all(v in text for v in THIRD_TONES), [line for line in text.splitlines() if "Gu" in line or "gu" in line]


def test_every_toned_vowel_draws_ink(api: httpx.Client, toned_place: str) -> None:
    browser = Browser()
    try:
        browser.open(f"{api.base_url}{toned_place}")
        wait_for(lambda: browser.evaluate("document.fonts.status") == "loaded", "the fonts")
        for plain, toned in zip("aeiouü" * 4, "āēīōūǖáéíóúǘǎěǐǒǔǚàèìòùǜ", strict=True):
            ink = browser.evaluate(f"{INK}({toned!r})")
            assert ink >= 0.9 * browser.evaluate(f"{INK}({plain!r})"), f"{toned} prints blank or faint"
    finally:
        browser.close()
