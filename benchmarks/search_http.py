"""Benchmark: place-name search through HTTP, per query kind, at 16 concurrent connections, against a plain
pg_trgm route served by the same app in the same run.

Usage: GAZ_DATABASE_URL=<the database benchmarks/search.py left behind, e.g. gaz_bench_search_national>
       .venv/bin/python benchmarks/search_http.py [--workers 2] [--connections 16] [--duration 10] [--unit 150600]

The server is the service's own app (app.main.create_app under uvicorn, ``--workers`` workers, the configured
pool) plus one route for the baseline, ``GET /bench/trigram?q=``: the pg_trgm similarity query of
benchmarks/search.py (GIN trigram index), through the same framework, connection handling and JSON encoding, so
the difference is the search. For each kind of the committed query set (benchmarks/search_queries.csv), wrk
(2 threads, closed loop, on the same machine; Lua of benchmarks/load.py) requests that kind's queries in random
order for ``--duration`` seconds after a 2-second warm-up; requests/s, p50 and p99 latency, non-2xx answers, and
the CPU the server's processes and the database server spent per request (a figure that holds on a machine
shared with other work, unlike requests/s). No result cache anywhere: the 160 queries of a kind repeat, the
answers are computed every time.
"""

from __future__ import annotations

import argparse
import csv
import os
import platform
import shutil
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import FastAPI, Query
from load import LUA, run_wrk
from serving import free_port, postgres_cpu_seconds, postmaster_pid, server_process, tree_cpu_seconds
from sqlalchemy import Engine, create_engine

from app.main import create_app
from core.settings import Settings
from core.web import Db
from gazetteer.search import queries

BENCHMARKS = Path(__file__).resolve().parent
QUERY_FILE = BENCHMARKS / "search_queries.csv"
KINDS = ("exact", "traditional", "pinyin", "initials", "replaced", "dropped", "prefixed")


def app_with_baseline() -> FastAPI:
    """The service's app plus the pg_trgm baseline route (benchmark only; uvicorn factory)."""
    app = create_app()

    @app.get("/bench/trigram")
    def trigram(conn: Db, q: Annotated[str, Query(max_length=100)]) -> dict[str, Any]:
        return {"results": [dict(row) for row in queries.trigram_search(conn, q, 10)]}

    return app


def database_cpu_seconds(engine: Engine) -> float:
    """CPU time used so far by the PostgreSQL server of the benchmark's database (on this machine, superuser;
    serving.postgres_cpu_seconds)."""
    with engine.connect() as conn:
        pid = postmaster_pid(conn)
    return 0.0 if pid is None else postgres_cpu_seconds(pid)


@contextmanager
def served(workers: int) -> Iterator[tuple[str, int]]:
    """uvicorn serving app_with_baseline on a free loopback port for the length of the run: (base URL, pid)."""
    port = free_port()
    command = [sys.executable, "-m", "uvicorn", "--factory", "search_http:app_with_baseline", "--app-dir"]
    command += [str(BENCHMARKS), "--port", str(port), "--workers", str(workers), "--log-level", "warning"]
    with server_process(command, port) as server:
        yield f"http://127.0.0.1:{port}", server.pid


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--unit", help="scope our search to this unit (the baseline has no scope)")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk not found: apt-get install wrk")
    with QUERY_FILE.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    settings = Settings()
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores; server: uvicorn, {args.workers} worker(s), pool "
        f"{settings.pool_size}/worker; wrk 2 threads, {args.connections} connections, {args.duration} s per kind; "
        f"unit filter (ours): {args.unit or 'none'}"
    )
    print(
        "| kind | ours req/s | ours p50 ms | ours p99 ms | ours CPU ms/req (server + PostgreSQL) | trgm req/s"
        " | trgm p50 ms | trgm p99 ms | trgm CPU ms/req (server + PostgreSQL) | non-2xx |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    engine = create_engine(settings.database_url)
    workdir = Path(tempfile.mkdtemp(prefix="gazsearch."))
    try:
        with served(args.workers) as (base_url, pid):
            for kind in KINDS:
                line = [kind]
                failures = 0
                for route, extra in (("/api/v1/places/search", {"limit": 10}), ("/bench/trigram", {})):
                    if args.unit and route.startswith("/api"):
                        extra = {**extra, "unit": args.unit}
                    paths = [f"{route}?{urlencode({'q': r['query'], **extra})}" for r in rows if r["kind"] == kind]
                    (workdir / "paths.txt").write_text("\n".join(paths) + "\n")
                    lua = workdir / "mix.lua"
                    lua.write_text(LUA % (workdir / "paths.txt"))
                    run_wrk(base_url, lua, args.connections, 2)  # warm-up (and the pool's connections)
                    before = tree_cpu_seconds(pid), database_cpu_seconds(engine)
                    result = run_wrk(base_url, lua, args.connections, args.duration)
                    server_cpu = (tree_cpu_seconds(pid) - before[0]) * 1000 / result["requests"]
                    database_cpu = (database_cpu_seconds(engine) - before[1]) * 1000 / result["requests"]
                    failures += int(result["errors"] + result["non2xx"])
                    line += [
                        f"{result['rps']:,.0f}",
                        f"{result['p50'] / 1000:.1f}",
                        f"{result['p99'] / 1000:.1f}",
                        f"{server_cpu:.2f} + {database_cpu:.2f}",
                    ]
                print("| " + " | ".join([*line, str(failures)]) + " |", flush=True)
    finally:
        engine.dispose()
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
