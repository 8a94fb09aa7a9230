"""Benchmark: the sign inventory (import and check) and the gazetteer draft, on the Ordos data.

Usage: GAZ_DATABASE_URL=... .venv/bin/python benchmarks/signs.py [--signs 5000] [--data-root DIR]

Creates a scratch database next to the configured one, loads the Ordos manifest, then times in one run:
  1. importing N made-up (illustrative) signs from one CSV (one transaction, all rows validated first), against
     the named baseline: the same signs created one by one through signs.create_sign (one transaction each);
  2. the check of all N signs (one SQL statement for the signs and the current standard names, one for the
     places' other names, the romanizer's cached per-character table), against the named baseline: the same check
     reading each sign's place and other names with one query per sign (both must list the same findings);
  3. the gazetteer draft (HTML) of every banner.
The signs are random points near the unit points naming random units, their text standard or deliberately off
(English words, a dropped apostrophe, the derived pinyin of an official form, split words): illustrative data for
timing only, never shown as real.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text

from core.database import transaction
from core.settings import Settings
from gazetteer.book import service as book
from gazetteer.signs import queries
from gazetteer.signs import rules as sign_rules
from gazetteer.signs import service as signs

sys.path.insert(0, str(Path(__file__).resolve().parent))
from coverage_maps import fresh_ordos_database  # noqa: E402

from gazetteer.signs import check as sign_check

BANNERS = ("150602", "150603", "150621", "150622", "150623", "150624", "150625", "150626", "150627")


def printed_romanization(rng: random.Random, plain: str) -> str:
    """The standard form, or one of the faults the check looks for."""
    kind = rng.random()
    if kind < 0.6:
        return plain
    if kind < 0.7:
        return plain + " Road"
    if kind < 0.8:
        return plain.replace("'", "")
    if kind < 0.9:
        return plain.upper()
    return " ".join(w[:2] + " " + w[2:].lower() if len(w) > 3 else w for w in plain.split())


def sign_rows(conn: Any, count: int, rng: random.Random) -> list[str]:
    places = conn.execute(
        text(
            "SELECT id, name, romanization, ST_X(geom) AS lon, ST_Y(geom) AS lat FROM place_name"
            " WHERE status = 'standard' AND geom IS NOT NULL AND romanization IS NOT NULL"
        )
    ).all()
    rows = ["inventory_no,place_name_id,printed_name,printed_romanization,condition,installed_on,lon,lat"]
    for number in range(count):
        place = places[rng.randrange(len(places))]
        name = place.name if rng.random() < 0.95 else place.name[:-1] + "路"
        roman = printed_romanization(rng, place.romanization)
        condition = rng.choice(("good", "good", "faded", "damaged", "missing"))
        lon, lat = place.lon + rng.uniform(-0.01, 0.01), place.lat + rng.uniform(-0.01, 0.01)
        rows.append(f"ILL-{number:06d},{place.id},{name},{roman},{condition},2020-01-01,{lon:.7f},{lat:.7f}")
    return rows


def check_one_query_per_sign(conn: Any) -> int:
    """Baseline: the same findings, reading each sign's place and its other names one sign at a time."""
    findings = 0
    for row in queries.list_signs(conn):
        place = queries.place_record(conn, row["place_name_id"])
        assert place is not None
        standard = conn.execute(
            text(
                "SELECT name, admin_code FROM place_name WHERE place_id = :p AND status = 'standard'"
                " AND valid_to IS NULL ORDER BY id DESC LIMIT 1"
            ),
            {"p": place["place_id"]},
        ).first()
        others = [dict(r) for r in queries.other_names(conn, [place["place_id"]])]
        found = sign_rules.check_name(row["printed_name"], standard.name if standard else None, others)
        if standard is not None:
            expected = sign_check.expected_romanization(standard.name, standard.admin_code)
            if expected is not None:
                found += sign_rules.check_romanization(row["printed_romanization"], expected)
        findings += len(found)
    return findings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--signs", type=int, default=5000)
    parser.add_argument("--data-root", type=Path, default=Settings().data_root)
    args = parser.parse_args()
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    url = fresh_ordos_database(Settings().database_url, "gaz_bench_signs", args.data_root)
    engine = create_engine(url)
    rng = random.Random(20261129)
    with engine.connect() as conn:
        rows = sign_rows(conn, args.signs, rng)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "signs.csv"
        path.write_text("\n".join(rows) + "\n", encoding="utf-8")
        started = time.perf_counter()
        with transaction(engine) as conn:
            report = signs.import_signs(conn, path, crs="EPSG:4490", actor="bench")
        imported = time.perf_counter() - started
        started = time.perf_counter()
        with transaction(engine) as conn:
            again = signs.import_signs(conn, path, crs="EPSG:4490", actor="bench")
        reimported = time.perf_counter() - started
    print(
        f"import {report.inserted:,} signs (CSV, one transaction): {imported:.2f} s,"
        f" {report.inserted / imported:,.0f} rows/s"
    )
    print(f"re-import, {again.unchanged:,} unchanged: {reimported:.2f} s")
    baseline_n = min(1000, args.signs)
    header, *body = rows
    started = time.perf_counter()
    for line in body[:baseline_n]:
        number, place, name, roman, condition, installed, lon, lat = line.split(",")
        with transaction(engine) as conn:
            signs.create_sign(
                conn,
                values={
                    "inventory_no": "ONE-" + number,
                    "place_name_id": int(place),
                    "printed_name": name,
                    "printed_romanization": roman,
                    "condition": condition,
                    "installed_on": installed,
                },
                lon=float(lon),
                lat=float(lat),
                crs="EPSG:4490",
                actor="bench",
            )
    one_by_one = time.perf_counter() - started
    print(
        f"baseline, {baseline_n:,} signs created one by one: {one_by_one:.2f} s, {baseline_n / one_by_one:,.0f} rows/s"
    )
    total = args.signs + baseline_n
    with engine.connect() as conn:
        started = time.perf_counter()
        result = sign_check.check_signs(conn)
        checked = time.perf_counter() - started
        started = time.perf_counter()
        baseline_findings = check_one_query_per_sign(conn)
        per_sign = time.perf_counter() - started
    findings = sum(len(s["findings"]) for s in result["signs"])
    assert result["checked"] == total and findings == baseline_findings
    print(
        f"check of {total:,} signs: {checked:.2f} s ({result['with_findings']:,} with {findings:,} findings:"
        f" {result['by_rule']}); baseline, one query per sign: {per_sign:.2f} s"
    )
    with engine.connect() as conn:
        for code in BANNERS:
            started = time.perf_counter()
            page = book.book_html(conn, code)
            print(f"gazetteer draft {code}: {time.perf_counter() - started:.3f} s, {len(page) / 1024:,.0f} KiB")
    engine.dispose()


if __name__ == "__main__":
    main()
