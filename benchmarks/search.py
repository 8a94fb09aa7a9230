"""Benchmark: place-name search recall and latency per query kind, Ordos and national scale, vs pg_trgm.

Usage:
  GAZ_DATABASE_URL=... .venv/bin/python benchmarks/search.py --make-queries   # rewrite the committed query set
  GAZ_DATABASE_URL=... .venv/bin/python benchmarks/search.py [--scale ordos|national|both]

The query set (benchmarks/search_queries.csv, committed, seed 20261129) is built from the real Ordos unit
names (place names derived from the NBS 2023 file): exact, traditional, pinyin (spaced, no tones), initials,
one character replaced, one character dropped (both in the core, generic kept), prefixed (the full path
written in). A hit is the intended unit (by code) among the top 1 / top 10 answers.
Scales: a scratch database with the Ordos manifest (1,109 units); a scratch database with all national
division files (~665k units) whose place names are synced (timed), searched unscoped and scoped to 150600.
Baseline in the same run: a plain pg_trgm similarity query (GIN trigram index on place_name.name).
No result cache: each query runs once, in-process through the service (no HTTP), on one connection.
"""

from __future__ import annotations

import argparse
import csv
import os
import platform
import random
import statistics
import time
from collections import defaultdict
from collections.abc import Callable
from datetime import date
from pathlib import Path

from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url

from app import schema
from app.manifest import load_manifest
from boundaries import service as boundaries
from core.database import transaction
from core.settings import Settings
from gazetteer import names, queries, service
from gazetteer.romanization import pinyin_key, strip_tones, syllables

PROJECT = Path(__file__).resolve().parent.parent
QUERY_FILE = Path(__file__).resolve().parent / "search_queries.csv"
SEED = 20261129
PER_KIND = 160
KINDS = ("exact", "traditional", "pinyin", "initials", "replaced", "dropped", "prefixed")
NATIONAL_FILES = [
    "national/china_provinces_nbs2023.csv",
    "national/china_cities_nbs2023.csv",
    "national/china_areas_nbs2023.csv",
    "national/china_streets_nbs2023.csv.gz",
    "national/china_villages_nbs2023.csv.gz",
]


def make_queries(data_root: Path) -> None:
    """Write the seeded query set from the Ordos divisions file."""
    rng = random.Random(SEED)
    with (data_root / "ordos/codes/ordos_divisions_nbs2023.csv").open(encoding="utf-8") as handle:
        units = [r for r in csv.DictReader(handle)]
    by_code = {r["code"]: r for r in units}
    pool = [names.unit_place_name(r["name"]) for r in units]
    charset = sorted({c for n in pool for c in n})
    rows = []
    for kind in KINDS:
        for unit in rng.sample(units, PER_KIND):
            place = names.unit_place_name(unit["name"])
            core = names.core_of(place)
            generic = place[len(core) :]
            if kind == "exact":
                query = place
            elif kind == "traditional":
                query = names.to_traditional(place)
            elif kind == "pinyin":
                query = " ".join(strip_tones(s) for s in syllables(place)[0])
            elif kind == "initials":
                query = pinyin_key(place)[1]
            elif kind == "replaced":
                i = rng.randrange(len(core))
                query = core[:i] + rng.choice([c for c in charset if c != core[i]]) + core[i + 1 :] + generic
            elif kind == "dropped":
                if len(core) < 2:
                    continue
                i = rng.randrange(len(core))
                query = core[:i] + core[i + 1 :] + generic
            else:
                chain: list[str] = []
                code = unit["parent_code"]
                while code in by_code:
                    chain.insert(0, names.unit_place_name(by_code[code]["name"]))
                    code = by_code[code]["parent_code"]
                query = "内蒙古自治区" + "".join(chain) + place
            rows.append({"kind": kind, "query": query, "expected_code": unit["code"], "expected_name": place})
    with QUERY_FILE.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=["kind", "query", "expected_code", "expected_name"])
        writer.writeheader()
        writer.writerows(rows)
    print(f"wrote {len(rows)} queries to {QUERY_FILE}")


def fresh_database(url: str, name: str) -> Engine:
    admin = create_engine(make_url(url).set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    engine = create_engine(make_url(url).set(database=name))
    schema.upgrade(engine)
    return engine


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def measure(engine: Engine, label: str, rows: list[dict[str, str]], unit: str | None) -> None:
    """Recall@1/@10 and p50/p99 per kind for our search and the pg_trgm baseline."""
    results: dict[tuple[str, str], list[tuple[bool, bool, float]]] = defaultdict(list)
    with engine.connect() as conn:
        codes = {r.id: r.admin_code for r in conn.execute(text("SELECT id, admin_code FROM place_name"))}

        def ours(q: str) -> list[int]:
            return [h["id"] for h in service.search_places(conn, q, limit=10, unit=unit)["results"]]

        def trigram(q: str) -> list[int]:
            return [r["id"] for r in queries.trigram_search(conn, q, 10)]

        engines: dict[str, Callable[[str], list[int]]] = {"ours": ours, "pg_trgm": trigram}
        for row in rows:
            for name, run in engines.items():
                started = time.perf_counter()
                ids = run(row["query"])
                elapsed = (time.perf_counter() - started) * 1000
                found = [codes.get(i) for i in ids]
                results[(name, row["kind"])].append(
                    (found[:1] == [row["expected_code"]], row["expected_code"] in found, elapsed)
                )
        conn.rollback()
    print(f"\n## {label}  ({len(rows)} queries; unit filter: {unit or 'none'})")
    print(
        "| kind | n | ours R@1 | ours R@10 | ours p50 ms | ours p99 ms"
        " | trgm R@1 | trgm R@10 | trgm p50 ms | trgm p99 ms |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    for kind in (*KINDS, "all"):
        line = [kind]
        for name in ("ours", "pg_trgm"):
            data = [x for (n, k), v in results.items() if n == name and (k == kind or kind == "all") for x in v]
            if name == "ours":
                line.append(str(len(data)))
            top1 = 100 * sum(d[0] for d in data) / len(data)
            top10 = 100 * sum(d[1] for d in data) / len(data)
            times = [d[2] for d in data]
            line += [
                f"{top1:.1f}%",
                f"{top10:.1f}%",
                f"{statistics.median(times):.2f}",
                f"{percentile(times, 0.99):.2f}",
            ]
        print("| " + " | ".join(line) + " |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data-root", type=Path, default=Settings().data_root)
    parser.add_argument("--make-queries", action="store_true")
    parser.add_argument("--scale", choices=("ordos", "national", "both"), default="both")
    args = parser.parse_args()
    if args.make_queries:
        make_queries(args.data_root)
        return
    with QUERY_FILE.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    url = Settings().database_url
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    if args.scale in ("ordos", "both"):
        engine = fresh_database(url, "gaz_bench_search_ordos")
        load_manifest(engine, PROJECT / "data" / "ordos.toml", args.data_root, progress=False)
        with transaction(engine) as conn:
            queries.create_trigram_index(conn)
        measure(engine, "Ordos scale (1,109 units)", rows, None)
        engine.dispose()
    if args.scale in ("national", "both"):
        engine = fresh_database(url, "gaz_bench_search_national")
        started = time.perf_counter()
        for path in NATIONAL_FILES:
            with transaction(engine) as conn:
                boundaries.import_divisions(conn, args.data_root / path, valid_from=date(2023, 6, 30))
        imported = time.perf_counter() - started
        started = time.perf_counter()
        with transaction(engine) as conn:
            counts = service.sync_unit_names(conn)
        synced = time.perf_counter() - started
        with transaction(engine) as conn:
            keys = conn.execute(text("SELECT count(*) FROM place_key")).scalar_one()
            queries.create_trigram_index(conn)
        print(
            f"\nnational: divisions import {imported:.1f} s; place-name sync {synced:.1f} s "
            f"({counts['created']} names, {keys} keys, romanization and keys included)"
        )
        measure(engine, "National scale, unscoped", rows, None)
        measure(engine, "National scale, scoped to unit=150600", rows, "150600")
        engine.dispose()


if __name__ == "__main__":
    main()
