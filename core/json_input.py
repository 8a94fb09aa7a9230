"""JSON input checked in one place before any model sees it: UTF-8 text (RFC 8259 §8.1), at most
``MAX_JSON_DEPTH`` levels of arrays and objects, and every string (member names too) made of Unicode scalar
values without control characters (tab, line feed and carriage return excepted). core.middleware's JsonBodyCheck
applies it to every JSON request body."""

from __future__ import annotations

import itertools
import json
import re
from typing import Any

from core.errors import InvalidInput

MAX_JSON_DEPTH = 64
ALLOWED_CONTROLS = frozenset("\t\n\r")
# A character no string may hold: C0 controls but tab/LF/CR, DEL, C1 controls, surrogates (not scalar values).
_FORBIDDEN = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")
# Cheap first look at the raw text: a \u escape that may write one of those, or a raw DEL or C1 character (JSON
# itself refuses raw C0 characters in strings). Only a body it matches is walked string by string.
_SUSPECT = re.compile(r"\\u(?:00[01]|00[78]|009|[dD][89a-fA-F])|[\x7f-\x9f]")
_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
_NOT_BRACKET = bytes(set(range(256)) - set(b"[]{}"))
_OPEN_CLOSE = bytes.maketrans(b"{}", b"[]")


def bad_character(value: str) -> str | None:
    """A description of the first character ``value`` may not hold (``U+0000 (a control character)``), or None."""
    found = _FORBIDDEN.search(value)
    if found is None:
        return None
    char = found.group()
    kind = "a lone surrogate, not a Unicode scalar value" if "\ud800" <= char <= "\udfff" else "a control character"
    kind = "NUL, " + kind if char == "\x00" else kind
    return f"U+{ord(char):04X} ({kind})"


def check_text(value: str, field: str) -> str:
    """``value`` if it holds no forbidden character; InvalidInput naming ``field`` and the character otherwise."""
    problem = bad_character(value)
    if problem:
        raise InvalidInput(f"{field}: holds {problem}")
    return value


def nesting_problem(raw: bytes, limit: int = MAX_JSON_DEPTH) -> str | None:
    """What is wrong with the nesting of arrays and objects of a JSON text: more than ``limit`` levels, or
    brackets that do not balance; None when neither. Counted without parsing, so a hostile document never reaches
    a recursive parser: strings are dropped, the brackets kept, and each pass removes the innermost pairs."""
    brackets = _STRING.sub(b"", raw).translate(_OPEN_CLOSE, _NOT_BRACKET)
    for _ in range(limit):
        if not brackets:
            return None
        brackets = brackets.replace(b"[]", b"")
    if not brackets:
        return None
    depths = list(itertools.accumulate(1 if b == ord("[") else -1 for b in brackets))
    if min(depths) < 0 or depths[-1] != 0:
        return "not JSON (its brackets do not balance)"
    return f"nested deeper than {limit} levels of arrays and objects"


def loads(raw: bytes | str, name: str = "body") -> Any:
    """Parse JSON text checked as :func:`check_json` does (GeoJSON files, CQL2-JSON...); InvalidInput names ``name``."""
    data = raw.encode("utf-8", "surrogatepass") if isinstance(raw, str) else raw
    check_json(data, name)
    try:
        return json.loads(data)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InvalidInput(f"{name}: not JSON ({exc})"[:300]) from None


def check_json(raw: bytes, name: str = "body") -> None:
    """Refuse JSON text that is not UTF-8, nests more than ``MAX_JSON_DEPTH`` levels, or has a string (value or
    member name) holding a forbidden character; the error names the place (``body.changes.meaning``)."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidInput(f"{name}: not UTF-8 (byte {exc.start}); JSON text is UTF-8 (RFC 8259 §8.1)") from None
    problem = nesting_problem(raw)
    if problem:
        raise InvalidInput(f"{name}: {problem}")
    if not _SUSPECT.search(text):
        return
    try:
        document = json.loads(text)
    except json.JSONDecodeError:
        return  # the parser that reads it next says what is wrong
    _walk(document, name)


def _walk(document: Any, name: str) -> None:
    pending: list[tuple[Any, str]] = [(document, name)]
    while pending:
        value, where = pending.pop()
        if isinstance(value, str):
            check_text(value, where)
        elif isinstance(value, dict):
            for key, item in value.items():
                problem = bad_character(key)
                if problem:
                    raise InvalidInput(f"{where}: a member name (key) holds {problem}")
                pending.append((item, f"{where}.{key}"))
        elif isinstance(value, list):
            pending.extend((item, f"{where}[{i}]") for i, item in enumerate(value))
