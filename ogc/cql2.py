"""A small CQL2-text parser (OGC API - Features Part 3) that compiles to parameterised SQL.

Supported: comparisons ``= <> < <= > >=``, ``[NOT] LIKE``, ``[NOT] BETWEEN``, ``[NOT] IN (...)``,
``IS [NOT] NULL``, ``AND``/``OR``/``NOT`` with parentheses, literals (strings in single quotes,
numbers, ``TRUE``/``FALSE``, ``DATE('...')``, ``TIMESTAMP('...')``) and ``S_INTERSECTS``,
``S_WITHIN``, ``S_CONTAINS``, ``S_DISJOINT`` between the geometry property and a WKT literal
(``POINT``, ``LINESTRING``, ``POLYGON``, ``MULTI*``) or ``BBOX(x1, y1, x2, y2)``.

Only declared properties may be named; every literal becomes a bound parameter, cast to the
property's type. Nothing of the user's text reaches the SQL except through parameters.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

import shapely

from core.errors import InvalidInput

GEOMETRY_NAMES = ("geom", "geometry")
SQL_TYPES = {"string": "text", "integer": "bigint", "number": "float8", "boolean": "boolean", "date": "date"}
COMPARISONS = ("=", "<>", "<=", ">=", "<", ">")
SPATIAL = {"S_INTERSECTS": "ST_Intersects", "S_WITHIN": "ST_Within", "S_CONTAINS": "ST_Contains",
           "S_DISJOINT": "ST_Disjoint"}  # fmt: skip
MAX_NESTING = 64  # parentheses and NOTs around one condition; deeper text is refused, never recursed into
WKT_TYPES = ("POINT", "LINESTRING", "POLYGON", "MULTIPOINT", "MULTILINESTRING", "MULTIPOLYGON")

_TOKEN = re.compile(
    r"\s*(?:(?P<string>'(?:[^']|'')*')|(?P<number>[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)"
    r"|(?P<op><>|<=|>=|=|<|>)|(?P<punct>[(),])|(?P<word>[A-Za-z_][A-Za-z0-9_:.]*)|(?P<quoted>\"[^\"]+\"))"
)


@dataclass
class Token:
    kind: str
    text: str
    position: int


def tokenize(source: str) -> list[Token]:
    """The tokens of a CQL2 text expression, or InvalidInput at the first character not understood."""
    tokens: list[Token] = []
    position = 0
    source = source.rstrip()
    while position < len(source):
        match = _TOKEN.match(source, position)
        if match is None or match.end() == position:
            raise InvalidInput(f"filter: cannot read {source[position : position + 20]!r} at character {position + 1}")
        kind = match.lastgroup or ""
        tokens.append(Token(kind, match.group(kind), match.start(kind)))
        position = match.end()
    return tokens


@dataclass(frozen=True)
class GeometryFilter:
    """How the geometry literals of a filter are read: a function turning WKT into SQL with a bound parameter."""

    to_sql: Callable[[str], str]  # parameter name (bound to WKT, east-first) -> SQL expression in EPSG:4490
    check: Callable[[shapely.Geometry], None]  # InvalidInput when the (east-first) geometry is outside the CRS
    north_first: bool  # the filter-crs gives latitude/northing first: swap to east-first


class Compiler:
    """Recursive-descent parser producing a SQL boolean expression over ``alias``'s declared properties."""

    def __init__(
        self,
        source: str,
        properties: Mapping[str, str],
        geometry: GeometryFilter,
        alias: str = "t",
        prefix: str = "ogc_f",
    ) -> None:
        if not source.strip():
            raise InvalidInput("filter is empty")
        self.source = source
        self.tokens = tokenize(source)
        self.index = 0
        self.properties = properties
        self.geometry = geometry
        self.alias = alias
        self.prefix = prefix
        self.params: dict[str, Any] = {}
        self.depth = 0

    # --- token helpers ---------------------------------------------------------------------------
    def _peek(self, offset: int = 0) -> Token | None:
        position = self.index + offset
        return self.tokens[position] if position < len(self.tokens) else None

    def _is_word(self, *words: str, offset: int = 0) -> bool:
        token = self._peek(offset)
        return token is not None and token.kind == "word" and token.text.upper() in words

    def _next(self) -> Token:
        token = self._peek()
        if token is None:
            raise InvalidInput(f"filter: unexpected end of {self.source!r}")
        self.index += 1
        return token

    def _expect(self, text: str) -> None:
        token = self._next()
        if token.text.upper() != text:
            raise InvalidInput(f"filter: expected {text!r} at character {token.position + 1}, found {token.text!r}")

    def _error(self, message: str) -> InvalidInput:
        token = self._peek()
        where = f" at character {token.position + 1} ({token.text!r})" if token else " at the end"
        return InvalidInput(f"filter: {message}{where}")

    def _bind(self, value: Any) -> str:
        name = f"{self.prefix}{len(self.params)}"
        self.params[name] = value
        return name

    # --- grammar -----------------------------------------------------------------------------------
    def compile(self) -> tuple[str, dict[str, Any]]:
        """The SQL expression and its parameters."""
        sql = self._or()
        if self._peek() is not None:
            raise self._error("unexpected text")
        return sql, self.params

    def _or(self) -> str:
        parts = [self._and()]
        while self._is_word("OR"):
            self.index += 1
            parts.append(self._and())
        return parts[0] if len(parts) == 1 else "(" + " OR ".join(parts) + ")"

    def _and(self) -> str:
        parts = [self._not()]
        while self._is_word("AND"):
            self.index += 1
            parts.append(self._not())
        return parts[0] if len(parts) == 1 else "(" + " AND ".join(parts) + ")"

    def _nested(self, part: Callable[[], str]) -> str:
        """``part()`` one level deeper; refused past MAX_NESTING levels (the parser recurses per level)."""
        if self.depth >= MAX_NESTING:
            raise self._error(f"conditions nest deeper than {MAX_NESTING} levels of parentheses and NOT")
        self.depth += 1
        try:
            return part()
        finally:
            self.depth -= 1

    def _not(self) -> str:
        if self._is_word("NOT"):
            self.index += 1
            return f"(NOT {self._nested(self._not)})"
        return self._predicate()

    def _predicate(self) -> str:
        token = self._peek()
        if token is None:
            raise self._error("a condition is missing")
        if token.text == "(":
            self.index += 1
            inner = self._nested(self._or)
            self._expect(")")
            return f"({inner})"
        if token.kind == "word" and token.text.upper() in SPATIAL:
            return self._spatial()
        left, left_type = self._operand()
        negate = ""
        if self._is_word("NOT") and self._is_word("LIKE", "BETWEEN", "IN", offset=1):
            self.index += 1
            negate = "NOT "
        token = self._peek()
        if token is not None and token.kind == "op":
            self.index += 1
            right, right_type = self._operand(expected=left_type)
            self._check_types(left_type, right_type, token.text)
            return f"({left} {token.text} {right})"
        if self._is_word("LIKE"):
            self.index += 1
            pattern, pattern_type = self._operand(expected="string")
            self._check_types(left_type, "string", "LIKE")
            self._check_types(pattern_type, "string", "LIKE")
            return f"({left} {negate}LIKE {pattern})"
        if self._is_word("BETWEEN"):
            self.index += 1
            low, low_type = self._operand(expected=left_type)
            self._expect("AND")
            high, high_type = self._operand(expected=left_type)
            self._check_types(left_type, low_type, "BETWEEN")
            self._check_types(left_type, high_type, "BETWEEN")
            return f"({left} {negate}BETWEEN {low} AND {high})"
        if self._is_word("IN"):
            self.index += 1
            self._expect("(")
            items = []
            while True:
                item, item_type = self._operand(expected=left_type)
                self._check_types(left_type, item_type, "IN")
                items.append(item)
                if self._peek() is not None and self._peek().text == ",":  # type: ignore[union-attr]
                    self.index += 1
                    continue
                self._expect(")")
                break
            return f"({left} {negate}IN ({', '.join(items)}))"
        if self._is_word("IS"):
            self.index += 1
            not_ = "NOT " if self._is_word("NOT") else ""
            if not_:
                self.index += 1
            self._expect("NULL")
            return f"({left} IS {not_}NULL)"
        raise self._error("expected a comparison, LIKE, BETWEEN, IN or IS NULL")

    def _check_types(self, left: str | None, right: str | None, operator: str) -> None:
        numeric = {"integer", "number"}
        if left is None or right is None or left == right or (left in numeric and right in numeric):
            return
        raise InvalidInput(f"filter: cannot compare a {left} with a {right} using {operator}")

    def _operand(self, expected: str | None = None) -> tuple[str, str | None]:
        """SQL of a property or a literal, with its type (None for an untyped literal such as NULL)."""
        token = self._next()
        if token.kind == "string":
            string = token.text[1:-1].replace("''", "'")
            if expected == "date":
                return self._date_literal(string), "date"
            return f"CAST(:{self._bind(string)} AS text)", "string"
        if token.kind == "number":
            is_integer = re.fullmatch(r"[+-]?\d+", token.text) is not None
            kind = "integer" if is_integer else "number"
            number: Any = int(token.text) if is_integer else float(token.text)
            if not math.isfinite(number) or (is_integer and not -(2**63) <= number < 2**63):
                raise InvalidInput(f"filter: the number {token.text} is out of range")
            return f"CAST(:{self._bind(number)} AS {SQL_TYPES[kind]})", kind
        if token.kind in ("word", "quoted"):
            word = token.text.strip('"')
            upper = word.upper()
            if token.kind == "word" and upper in ("TRUE", "FALSE"):
                return f"CAST(:{self._bind(upper == 'TRUE')} AS boolean)", "boolean"
            if token.kind == "word" and upper in ("DATE", "TIMESTAMP") and self._peek() and self._peek().text == "(":  # type: ignore[union-attr]
                self._expect("(")
                literal = self._next()
                if literal.kind != "string":
                    raise InvalidInput(f"filter: {upper}(...) takes a quoted date, found {literal.text!r}")
                self._expect(")")
                return self._date_literal(literal.text[1:-1][:10]), "date"
            if word in self.properties:
                return f'{self.alias}."{word}"', self.properties[word]
            if word.lower() in GEOMETRY_NAMES:
                raise InvalidInput(f"filter: the geometry {word!r} can only be used in S_INTERSECTS and the like")
            raise InvalidInput(
                f"filter: unknown property {word!r}; queryable: {', '.join(self.properties)}",
                extra={"property": word},
            )
        raise InvalidInput(f"filter: expected a property or a value at character {token.position + 1}, "
                           f"found {token.text!r}")  # fmt: skip

    def _date_literal(self, value: str) -> str:
        try:
            day = date.fromisoformat(value)
        except ValueError:
            raise InvalidInput(f"filter: {value!r} is not a date (YYYY-MM-DD)") from None
        return f"CAST(:{self._bind(day)} AS date)"

    # --- spatial -----------------------------------------------------------------------------------
    def _spatial(self) -> str:
        function = SPATIAL[self._next().text.upper()]
        self._expect("(")
        first = self._geometry_argument()
        self._expect(",")
        second = self._geometry_argument()
        self._expect(")")
        return f"{function}({first}, {second})"

    def _geometry_argument(self) -> str:
        token = self._peek()
        if token is None:
            raise self._error("a geometry is missing")
        upper = token.text.strip('"').upper()
        if token.kind in ("word", "quoted") and token.text.strip('"').lower() in GEOMETRY_NAMES:
            self.index += 1
            return f"{self.alias}.geom"
        if token.kind == "word" and upper == "BBOX":
            self.index += 1
            self._expect("(")
            numbers = [self._number()]
            while self._peek() is not None and self._peek().text == ",":  # type: ignore[union-attr]
                self.index += 1
                numbers.append(self._number())
            self._expect(")")
            if len(numbers) != 4:
                raise InvalidInput("filter: BBOX takes four numbers (x1, y1, x2, y2)")
            x1, y1, x2, y2 = numbers
            if self.geometry.north_first:
                x1, y1, x2, y2 = y1, x1, y2, x2
            box = shapely.box(min(x1, x2), min(y1, y2), max(x1, x2), max(y1, y2))
            self.geometry.check(box)
            return self.geometry.to_sql(self._bind(box.wkt))
        if token.kind == "word" and upper in WKT_TYPES:
            return self._wkt_literal()
        if token.kind in ("word", "quoted"):
            raise InvalidInput(f"filter: {token.text!r} is not the geometry property (geom) or a geometry literal")
        raise self._error("expected a geometry")

    def _number(self) -> float:
        token = self._next()
        if token.kind != "number":
            raise InvalidInput(f"filter: expected a number at character {token.position + 1}, found {token.text!r}")
        return float(token.text)

    def _wkt_literal(self) -> str:
        start = self._next()
        depth = 0
        end = start
        while True:
            token = self._next()
            if token.text == "(":
                depth += 1
            elif token.text == ")":
                depth -= 1
            elif token.kind not in ("number", "punct"):
                raise InvalidInput(f"filter: unexpected {token.text!r} inside the {start.text.upper()} literal")
            end = token
            if depth == 0:
                break
        text_ = self.source[start.position : end.position + 1]
        try:
            shape = shapely.from_wkt(text_)
        except shapely.errors.ShapelyError as exc:
            raise InvalidInput(f"filter: {start.text.upper()} literal is not valid WKT: {exc}") from None
        if self.geometry.north_first:
            shape = shapely.transform(shape, lambda xy: xy[:, ::-1])
        if shape.is_empty:
            raise InvalidInput(f"filter: the {start.text.upper()} literal is empty")
        self.geometry.check(shape)
        return self.geometry.to_sql(self._bind(shape.wkt))


def compile_filter(
    source: str, properties: Mapping[str, str], geometry: GeometryFilter, alias: str = "t"
) -> tuple[str, dict[str, Any]]:
    """Compile CQL2 text over the declared ``properties`` into (SQL condition, bound parameters)."""
    return Compiler(source, properties, geometry, alias).compile()
