"""The standards check of an application: each rule that applies to each proposed unit (divisions/rules.py, cited
clause and year), passed or failed with the figures it used; rules whose figure is a local setting left unset are
reported as not evaluated. Open dispute cases on a touched unit are flagged."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy.engine import Connection

from boundaries import service as boundaries
from core.settings import DivisionSettings
from divisions import queries, rules
from divisions.applications import open_cases, require_application

PASS, FAIL, NOT_EVALUATED, NOT_APPLICABLE = "pass", "fail", "not_evaluated", "not_applicable"


def _result(criterion: rules.Criterion, status: str, figures: dict[str, Any], reason: str) -> dict[str, Any]:
    return {**criterion.cited(), "status": status, "figures_used": figures, "reason": reason}


def town_results(figures: dict[str, Any], relaxation_ground: str | None) -> list[dict[str, Any]]:
    """The 1984 town criteria for a unit proposed as a new 镇 (or upgraded to one)."""
    population = figures.get("population")
    seat = figures.get("seat_non_agricultural_population")
    used = {"population": population, "seat_non_agricultural_population": seat}
    out = [
        _result(rules.TOWN_SEAT, PASS, {"county_seat": True}, "the county government sits in the unit")
        if figures.get("county_seat")
        else _result(rules.TOWN_SEAT, NOT_APPLICABLE, {"county_seat": False}, "not the county seat")
    ]
    if population is None or seat is None:
        missing = [k for k, v in used.items() if v is None]
        reason = f"figure(s) missing: {', '.join(missing)}"
        out += [
            _result(rules.TOWN_SMALL, NOT_EVALUATED, used, reason),
            _result(rules.TOWN_LARGE, NOT_EVALUATED, used, reason),
        ]
    elif population <= 20_000:
        ok = seat > 2_000
        out.append(
            _result(rules.TOWN_SMALL, PASS if ok else FAIL, used, f"驻地非农业人口 {seat} {'>' if ok else '≤'} 2000")
        )
        out.append(_result(rules.TOWN_LARGE, NOT_APPLICABLE, used, f"总人口 {population} ≤ 20000"))
    else:
        share = seat / population
        ok = share >= 0.10
        out.append(_result(rules.TOWN_SMALL, NOT_APPLICABLE, used, f"总人口 {population} > 20000"))
        out.append(
            _result(
                rules.TOWN_LARGE,
                PASS if ok else FAIL,
                {**used, "share": round(share, 4)},
                f"驻地非农业人口占 {share:.1%} {'≥' if ok else '<'} 10%",
            )
        )
    if relaxation_ground:
        out.append(
            _result(
                rules.TOWN_RELAXED,
                PASS,
                {"relaxation_ground": relaxation_ground, "seat_non_agricultural_population": seat},
                f"ground claimed: {relaxation_ground}; 确有必要 must be shown in the documents",
            )
        )
    else:
        out.append(_result(rules.TOWN_RELAXED, NOT_APPLICABLE, {"relaxation_ground": None}, "no ground claimed"))
    return out


def street_results(figures: dict[str, Any], settings: DivisionSettings) -> list[dict[str, Any]]:
    """The street-office criteria, their figures the bureau's local settings."""
    population, area = figures.get("population"), figures.get("area_km2")
    non_agricultural = figures.get("non_agricultural_population")
    share = None if not population or non_agricultural is None else round(non_agricultural / population, 4)
    checks = (
        (rules.STREET_POPULATION, settings.division_street_min_population, "population", population),
        (rules.STREET_AREA, settings.division_street_min_area_km2, "area_km2", area),
        (rules.STREET_NON_AGRICULTURAL, settings.division_street_min_non_agricultural_share, "share", share),
    )
    out = []
    for criterion, minimum, name, value in checks:
        used = {name: value, "minimum": minimum}
        if minimum is None:
            out.append(_result(criterion, NOT_EVALUATED, used, f"local setting {criterion.local_setting} not set"))
        elif value is None:
            out.append(_result(criterion, NOT_EVALUATED, used, f"figure missing: {name}"))
        else:
            ok = value >= minimum
            out.append(_result(criterion, PASS if ok else FAIL, used, f"{name} {value} {'≥' if ok else '<'} {minimum}"))
    return out


def check_application(conn: Connection, application_id: int, settings: DivisionSettings) -> dict[str, Any]:
    """Per proposed unit the criteria that apply, pass/fail with the figures used; the verdict (fail when one
    applicable criterion fails — for a town, when neither 一, 二 nor 三 passes) and the flags."""
    row = require_application(conn, application_id)
    day = row["effective_date"] - timedelta(days=1)
    before = boundaries.find_units(conn, list(row["touched_codes"]), as_of=day)
    units = []
    for unit in queries.proposed_units(conn, application_id):
        figures = dict(unit["figures"])
        was = before.get(unit["code"]) if unit["code_kept"] else None
        becomes = was is None or was["kind"] != unit["kind"]  # a new unit, or one changing kind
        results = [
            _result(
                rules.CODE_RANGE,
                PASS if rules.code_fits(unit["code"], unit["kind"]) else FAIL,
                {"code": unit["code"], "kind": unit["kind"], "kept": unit["code_kept"]},
                "kept code in its kind's range" if unit["code_kept"] else "new code after the highest used",
            )
        ]
        verdict = PASS
        if becomes and unit["kind"] == "镇":
            town = town_results(figures, row["relaxation_ground"])
            results += town
            if not any(r["status"] == PASS for r in town):
                verdict = FAIL if any(r["status"] == FAIL for r in town) else NOT_EVALUATED
        elif becomes and unit["kind"] == "街道":
            street = street_results(figures, settings)
            results += street
            if any(r["status"] == FAIL for r in street):
                verdict = FAIL
            elif any(r["status"] == NOT_EVALUATED for r in street):
                verdict = NOT_EVALUATED
        units.append(
            {"code": unit["code"], "name": unit["name"], "kind": unit["kind"], "verdict": verdict, "criteria": results}
        )
    verdicts = {u["verdict"] for u in units}
    overall = FAIL if FAIL in verdicts else NOT_EVALUATED if NOT_EVALUATED in verdicts else PASS
    return {
        "application_id": application_id,
        "kind": row["kind"],
        "verdict": overall,
        "units": units,
        "flags": open_cases(conn, list(row["touched_codes"])),
    }
