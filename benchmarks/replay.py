"""Benchmark: rebuilding a database from the audit log and the import archive, against loading it the first time.

Usage: GAZ_DATABASE_URL=... .venv/bin/python benchmarks/replay.py [--data-root DIR] [--national]

Creates two scratch databases next to the configured one and migrates them, keeps the import archive in a temporary
folder, then in one run:
  1. the named baseline: the first load into the first database — the Ordos manifest (data/ordos.toml: 1,109 units,
     three polygon files, three point files, the unit place names), and with ``--national`` the national province,
     city, county, township and village codes (~665k units) after it;
  2. `app.replay.replay_log` of that log, from entry 1, into the second (empty) database: every import re-run from
     the archive, in one transaction;
  3. the check that both databases are the same: row count and an MD5 over every row of every table.
Prints the machine, the data size and the figures.
"""

from __future__ import annotations

import argparse
import os
import platform
import tempfile
import time
from datetime import date
from pathlib import Path

from sqlalchemy import Engine, create_engine, inspect, text
from sqlalchemy.engine import make_url

from app import schema
from app.manifest import load_manifest
from app.replay import replay_log
from boundaries.units import service
from core.database import transaction
from core.settings import PROJECT_ROOT, Settings

NATIONAL = [
    "national/china_provinces_nbs2023.csv",
    "national/china_cities_nbs2023.csv",
    "national/china_areas_nbs2023.csv",
    "national/china_streets_nbs2023.csv.gz",
    "national/china_villages_nbs2023.csv.gz",
]
SCRATCH = ("gaz_bench_replay_source", "gaz_bench_replay_target")


def scratch_database(url: str, name: str) -> Engine:
    admin = create_engine(make_url(url).set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    engine = create_engine(make_url(url).set(database=name))
    schema.upgrade(engine)
    return engine


def fingerprints(engine: Engine) -> dict[str, tuple[int, str]]:
    """Row count and MD5 of every row's text, per table (as tests/app/test_integrity.py compares a restore)."""
    digest_sql = "SELECT count(*), md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) FROM {} t"
    result = {}
    with engine.connect() as conn:
        for table in sorted(set(inspect(engine).get_table_names()) - {"spatial_ref_sys"}):
            quoted = conn.dialect.identifier_preparer.quote(table)  # a name from the catalogue
            count, digest = conn.execute(text(digest_sql.format(quoted))).one()
            result[table] = (count, digest)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-root", type=Path, default=Settings().data_root)
    parser.add_argument("--national", action="store_true", help="also load the ~665k national units")
    args = parser.parse_args()
    url = Settings().database_url
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, {platform.system()}")
    with tempfile.TemporaryDirectory(prefix="gaz-bench-archive-") as archive:
        os.environ["GAZ_IMPORT_ARCHIVE_DIR"] = archive  # read by every importer
        source, target = (scratch_database(url, name) for name in SCRATCH)
        try:
            started = time.perf_counter()
            reports = load_manifest(source, PROJECT_ROOT / "data" / "ordos.toml", args.data_root, progress=False)
            if args.national:
                for relative in NATIONAL:
                    with transaction(source) as conn:
                        reports.append(
                            service.import_divisions(conn, args.data_root / relative, valid_from=date(2023, 6, 30))
                        )
            first_load = time.perf_counter() - started
            rows = sum(r.read for r in reports)
            archived = sum(p.stat().st_size for p in Path(archive).rglob("*") if p.is_file())
            print(f"data: {len(reports)} imports, {rows:,} input rows, archive {archived / 1e6:.1f} MB")
            print(f"1. first load (baseline):      {first_load:7.1f} s")
            started = time.perf_counter()
            done = replay_log(source, target, 1, Path(archive))
            replayed = time.perf_counter() - started
            print(
                f"2. replay of {sum(done.values())} log entries:  {replayed:7.1f} s"
                f"  ({replayed / first_load:.2f}× the load)"
            )
            for kind, count in sorted(done.items()):
                print(f"     {kind}: {count}")
            started = time.perf_counter()
            same = fingerprints(source) == fingerprints(target)
            print(f"3. every table identical: {same} (compared in {time.perf_counter() - started:.1f} s)")
            with source.connect() as conn:
                units = conn.execute(text("SELECT count(*) FROM admin_unit")).scalar_one()
            print(f"   admin_unit rows: {units:,}")
        finally:
            source.dispose()
            target.dispose()
            admin = create_engine(make_url(url).set(database="postgres"), isolation_level="AUTOCOMMIT")
            with admin.connect() as conn:
                for name in SCRATCH:
                    conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()


if __name__ == "__main__":
    main()
