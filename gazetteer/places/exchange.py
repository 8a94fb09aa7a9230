"""The national exchange file: the registry of a unit in the record layout of the national place-name database
(国家地名信息库), so that the city's updates are filed upward without retyping (no web framework here).

One row per name record (standard, alias, historic and retired names; proposals are not filed), CSV in UTF-8 with
a byte-order mark. The layout follows the field list of the national database *as far as it is publicly known*
(the field names used by the second national place-name census and the national place-name information
database); the official data dictionary was not available here, so the column order, the code lists of
地名状态 and 密级 and the two fields marked *local* below are this office's reading, to be checked against the
specification the province issues before the first filing.

| column | from the registry | notes |
| --- | --- | --- |
| 标准名称 | name | |
| 罗马字母拼写 | romanization | plain form (GB/T 16159-2012 place-name rules, or the official Mongolian-based form) |
| 拼写依据 | romanization_origin | 官方 (official form) or 派生 (derived pinyin) — *local* |
| 地名类别代码 | category | GB/T 18521 code as the census uses it (e.g. 32 村, 7 交通运输设施) |
| 地名类别 | category name | |
| 所在行政区划代码 | unit_code | 12-digit NBS code of the unit the place lies in (所在政区) |
| 所在行政区 | unit path | names of that unit and its parents, top first, joined by / |
| 行政区划代码 | admin_code | the unit's own code when the record names an administrative unit |
| 经度, 纬度 | point on the location | CGCS2000 (EPSG:4490) decimal degrees; generalised for non-public records |
| 空间位置 | location as WKT | the point, line or polygon; generalised point for non-public records |
| 含义, 来历, 历史沿革 | meaning, origin, history | |
| 批准机关, 批准文号, 批准时间 | approving_body, document_number, approval_date | 批准时间 as YYYY-MM-DD |
| 地名状态 | status | 标准地名 / 别名 / 曾用名 / 已销名 |
| 启用时间, 停用时间 | valid_from, valid_to | the period the name was valid |
| 密级 | secrecy | 公开 / 内部 / 秘密 |
| 本地编号 | id | the record's id in this registry (to match later updates) — *local* |
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy.engine import Connection

from boundaries import service as boundaries
from core.errors import InvalidInput
from core.exports import csv_text
from core.values import CODE_LENGTHS, normalize_code, significant_code
from gazetteer.places import names, queries
from gazetteer.search import queries as search_queries

FILED_STATUSES = ("standard", "alias", "historic", "retired")
STATUS_LABELS = {"standard": "标准地名", "alias": "别名", "historic": "曾用名", "retired": "已销名"}
SECRECY_LABELS = {"public": "公开", "internal": "内部", "secret": "秘密"}
ORIGIN_LABELS = {"official": "官方", "derived": "派生"}
MICRODEGREE = Decimal("0.000001")
# (national field name, how the value is taken from a record and its unit path)
FIELDS: tuple[tuple[str, str], ...] = (
    ("标准名称", "name"),
    ("罗马字母拼写", "romanization"),
    ("拼写依据", "romanization_origin"),
    ("地名类别代码", "category"),
    ("地名类别", "category_name"),
    ("所在行政区划代码", "unit_code"),
    ("所在行政区", "unit_path"),
    ("行政区划代码", "admin_code"),
    ("经度", "lon"),
    ("纬度", "lat"),
    ("空间位置", "wkt"),
    ("含义", "meaning"),
    ("来历", "origin"),
    ("历史沿革", "history"),
    ("批准机关", "approving_body"),
    ("批准文号", "document_number"),
    ("批准时间", "approval_date"),
    ("地名状态", "status"),
    ("启用时间", "valid_from"),
    ("停用时间", "valid_to"),
    ("密级", "secrecy"),
    ("本地编号", "id"),
)


@dataclass(frozen=True)
class ExchangeFile:
    """The exchange file's bytes, its file name and the number of records in it."""

    content: bytes
    filename: str
    records: int


def exchange_file(conn: Connection, unit: str) -> ExchangeFile:
    """The records of ``unit`` (a city, banner, township or village code) in the national layout (module
    docstring): CSV, UTF-8 with BOM; non-public locations generalised."""
    code = normalize_code(unit)
    if boundaries.find_unit(conn, code) is None:
        raise InvalidInput(f"unit {unit!r} is not a current unit code")
    rows = queries.exchange_records(conn, significant_code(code), FILED_STATUSES)
    paths = _unit_paths(conn, {r["unit_code"] for r in rows if r["unit_code"]})
    content = csv_text([national for national, _ in FIELDS], ([_value(r, s, paths) for _, s in FIELDS] for r in rows))
    return ExchangeFile(content.encode("utf-8"), f"exchange-{significant_code(code)}.csv", len(rows))


def _value(row: Any, source: str, paths: dict[str, str]) -> Any:
    if source == "unit_path":
        return paths.get(row["unit_code"], "")
    if source == "category_name":
        return names.CATEGORIES.get(row["category"], "")
    if source in ("lon", "lat"):
        return None if row[source] is None else Decimal(row[source]).quantize(MICRODEGREE)  # a number, 6 places
    labels = {"status": STATUS_LABELS, "secrecy": SECRECY_LABELS, "romanization_origin": ORIGIN_LABELS}.get(source)
    value = row[source]
    if labels is not None:
        return labels.get(value, value)
    return "" if value is None else value


def _unit_paths(conn: Connection, codes: set[str]) -> dict[str, str]:
    """The unit path (names top first, joined by /) of each code, by the registry's current standard names."""
    chains = {
        code: [code[:n].ljust(12, "0") for n in CODE_LENGTHS if n <= len(significant_code(code))] for code in codes
    }
    found = search_queries.unit_names(conn, sorted({c for chain in chains.values() for c in chain}), None)
    return {code: "/".join(found[c] for c in chain if c in found) for code, chain in chains.items()}
