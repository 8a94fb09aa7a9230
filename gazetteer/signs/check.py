"""The sign check: every sign whose printed name or romanization disagrees with the standard name and the rules, as
findings (JSON or CSV)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.engine import Connection

from core.errors import InvalidInput
from core.exports import csv_text
from core.values import level_of_code, normalize_code, significant_code
from gazetteer.romanization.service import Romanization, romanize
from gazetteer.search import queries as search_queries
from gazetteer.signs import queries as sign_queries
from gazetteer.signs import rules as sign_rules
from gazetteer.signs.service import _sign_out, _unit_prefix

CHECK_COLUMNS = (
    "sign_id",
    "inventory_no",
    "place_name_id",
    "unit_path_text",
    "lon",
    "lat",
    "location_generalised",
    "condition",
    "printed_name",
    "printed_romanization",
    "standard_name",
    "expected_romanization",
    "rule",
    "severity",
    "sign_says",
    "should_say",
    "message",
    "basis",
)


# --- the check -------------------------------------------------------------------------------------
def expected_romanization(name: str, admin_code: str | None, unit_code: str | None = None) -> Romanization | None:
    """What a sign of the standard name should print (village-level names one word, 1984 rule 3; a 社区 name in two,
    GB/T 38207-2019), read where the place lies — its own unit (``admin_code``) or the unit it is in (``unit_code``):
    readings by place, 1984 rule 8; None when unreadable."""
    village = True if admin_code and level_of_code(admin_code) == "village" else None
    try:
        return romanize(name, village=village, unit_code=admin_code or unit_code)
    except InvalidInput:
        return None


def _unit_paths(conn: Connection, codes: set[str]) -> dict[str, str]:
    """The unit path text (names of the 所在政区 chain, top first, joined by /) of each code."""
    chains = {
        code: [code[:n].ljust(12, "0") for n in (2, 4, 6, 9, 12) if n <= len(significant_code(code))] for code in codes
    }
    found = search_queries.unit_names(conn, sorted({c for chain in chains.values() for c in chain}), None)
    return {code: "/".join(found[c] for c in chain if c in found) for code, chain in chains.items()}


def check_signs(conn: Connection, *, unit: str | None = None) -> dict[str, Any]:
    """Every sign (within ``unit``) whose printed name differs from the standard name or whose romanization breaks
    the rules, each with its findings (rule, severity, basis, what the sign says, what it should say)."""
    rows = sign_queries.signs_to_check(conn, _unit_prefix(conn, unit))
    others: dict[int, list[dict[str, Any]]] = {}
    for other in sign_queries.other_names(conn, sorted({r["place_id"] for r in rows})):
        others.setdefault(other["place_id"], []).append(dict(other))
    paths = _unit_paths(conn, {r["place_unit_code"] for r in rows if r["place_unit_code"]})
    listed = []
    by_rule: dict[str, int] = {}
    for row in rows:
        findings = sign_rules.check_name(row["printed_name"], row["standard_name"], others.get(row["place_id"], []))
        expected = None
        if row["standard_name"] is not None:
            expected = expected_romanization(row["standard_name"], row["standard_admin_code"], row["place_unit_code"])
            if expected is not None:
                findings += sign_rules.check_romanization(row["printed_romanization"], expected)
        if not findings:
            continue
        for item in findings:
            by_rule[item["rule"]] = by_rule.get(item["rule"], 0) + 1
        sign = _sign_out(row)
        sign.update(
            unit_path_text=paths.get(row["place_unit_code"] or "", ""),
            standard_name=row["standard_name"],
            expected_romanization=expected.plain if expected else None,
            expected_romanization_origin=expected.origin if expected else None,
            findings=findings,
        )
        listed.append(sign)
    return {
        "unit": normalize_code(unit) if unit else None,
        "checked": len(rows),
        "with_findings": len(listed),
        "by_rule": dict(sorted(by_rule.items())),
        "signs": listed,
    }


def check_csv(result: dict[str, Any]) -> str:
    """The check as CSV, one row per finding, UTF-8 with a byte-order mark (Excel reads the Chinese correctly)."""
    rows = []
    for sign in result["signs"]:
        base = {
            **sign,
            "sign_id": sign["id"],
            "lon": sign["point"]["lon"],
            "lat": sign["point"]["lat"],
            "location_generalised": sign["point"]["generalised"],
        }
        for item in sign["findings"]:
            flat = {**base, **item}
            rows.append([flat.get(c) for c in CHECK_COLUMNS])
    return csv_text(CHECK_COLUMNS, rows)
