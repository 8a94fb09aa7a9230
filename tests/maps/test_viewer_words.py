"""The viewer's scripts carry no Chinese text of their own (issue 13, interface language: one place for the UI
strings): every word they show comes from maps/labels.py VIEWER_WORDS through say(key, values)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from maps.labels import VIEWER_WORDS

STATIC = Path(__file__).resolve().parents[2] / "maps" / "static"
SCRIPTS = ("viewer.js", "vectortiles.js")
# Han ideographs (CJK Unified and Extension A) and CJK and full-width punctuation (、；：（）…).
CHINESE = re.compile("[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uff00-\uffef]")


def without_comments(source: str) -> str:
    """The script with its /* */ and // comments blanked out (string literals kept whole, so a "//" inside one
    stays); line breaks kept, so positions still tell the line."""
    out, n, quote = [], 0, ""
    while n < len(source):
        char = source[n]
        if quote:
            out.append(char)
            if char == "\\":
                out.append(source[n + 1])
                n += 1
            elif char == quote:
                quote = ""
        elif char in "\"'`":
            quote = char
            out.append(char)
        elif source.startswith("/*", n):
            end = source.index("*/", n) + 2
            out.append(re.sub(r"[^\n]", " ", source[n:end]))
            n = end - 1
        elif source.startswith("//", n):
            end = source.find("\n", n)
            end = len(source) if end < 0 else end
            out.append(" " * (end - n))
            n = end - 1
        else:
            out.append(char)
        n += 1
    return "".join(out)


def chinese_outside_comments(source: str) -> list[str]:
    """The lines (numbered) where Chinese text is left once comments are out."""
    code = without_comments(source).splitlines()
    return [f"{k}: {line.strip()}" for k, line in enumerate(code, 1) if CHINESE.search(line)]


def test_the_scan_finds_chinese_literals_and_skips_comments() -> None:
    """The scan itself: a literal is found in any quotes, a comment is not, a "//" in a string hides nothing."""
    assert chinese_outside_comments('var a = "图层";') == ['1: var a = "图层";']
    assert chinese_outside_comments("x('、');\n`无`") == ["1: x('、');", "2: `无`"]
    assert chinese_outside_comments('var u = "http://x"; var b = "底图";')
    assert chinese_outside_comments('/* 图层\n 底图 */ var a = 1; // 日期\nvar s = "a\\"b";') == []


@pytest.mark.parametrize("script", SCRIPTS)
def test_no_chinese_text_in_the_scripts(script: str) -> None:
    """Chinese words (and punctuation) appear in the viewer's scripts only in comments: what they show is in
    maps/labels.py VIEWER_WORDS."""
    assert chinese_outside_comments((STATIC / script).read_text(encoding="utf-8")) == []


def test_every_word_the_viewer_asks_for_is_there_and_used() -> None:
    """say("key") names a phrase of VIEWER_WORDS, and every phrase is named in viewer.js (no dead words)."""
    source = without_comments((STATIC / "viewer.js").read_text(encoding="utf-8"))
    asked = set(re.findall(r'\bsay\("(\w+)"', source))
    assert asked and asked <= VIEWER_WORDS.keys(), asked - VIEWER_WORDS.keys()
    named = set(re.findall(r'"(\w+)"', source))
    assert VIEWER_WORDS.keys() <= named, VIEWER_WORDS.keys() - named
