"""Benchmark: the pauses of CPython's full garbage collections in a server worker under the search load, with the
long-lived heap frozen (core.heap.freeze_long_lived, as the service runs) and, as the baseline in the same run,
without (freezing switched off in that server only).

Usage: GAZ_DATABASE_URL=<the database benchmarks/search.py left behind, e.g. gaz_bench_search_national>
       .venv/bin/python benchmarks/gc_pauses.py [--duration 30] [--connections 16] [--rounds 2]

Each server is one uvicorn worker of the service's app (``app_logging_pauses``, a uvicorn factory) that logs every
generation-2 collection's duration to a file; wrk (2 threads, closed loop, the Lua of benchmarks/load.py) requests
the committed search queries (benchmarks/search_queries.csv, all kinds mixed) in random order for ``--duration``
seconds after a 5-second warm-up (the first search builds the worker's index of unit names). The two servers
alternate for ``--rounds`` rounds. Reports, per server: full collections, their median and longest pause, the share
of the run the worker stood still in them, requests/s and wrk's p50/p99 latency.
"""

from __future__ import annotations

import argparse
import csv
import gc
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode

from fastapi import FastAPI
from load import LUA, run_wrk
from serving import free_port, server_process

from app.main import create_app

BENCHMARKS = Path(__file__).resolve().parent
PAUSE_LOG = "GC_PAUSE_LOG"  # environment: the file a server logs its full collections' pauses to
NO_FREEZE = "GC_NO_FREEZE"  # environment: "1" switches freezing off in that server (the baseline)


def app_logging_pauses() -> FastAPI:
    """The service's app in a process that logs each full collection's pause (milliseconds, one per line)."""
    log = Path(os.environ[PAUSE_LOG]).open("a", buffering=1)
    started = [0.0]

    def note(phase: str, info: dict[str, int]) -> None:
        if info["generation"] != 2:
            return
        if phase == "start":
            started[0] = time.perf_counter()
        else:
            log.write(f"{1000 * (time.perf_counter() - started[0]):.2f}\n")

    gc.callbacks.append(note)
    if os.environ.get(NO_FREEZE) == "1":
        gc.freeze = lambda: None  # the baseline: the same server, nothing moved out of the collections' walk
    return create_app()


def serve_and_load(frozen: bool, lua: Path, args: argparse.Namespace, workdir: Path) -> dict[str, float]:
    """One server (frozen or not) under wrk; its pauses and wrk's figures."""
    log = workdir / f"pauses-{'frozen' if frozen else 'baseline'}-{time.monotonic_ns()}.txt"
    log.touch()
    port = free_port()
    env = {**os.environ, PAUSE_LOG: str(log), NO_FREEZE: "0" if frozen else "1"}
    command = [sys.executable, "-m", "uvicorn", "--factory", "gc_pauses:app_logging_pauses", "--app-dir"]
    command += [str(BENCHMARKS), "--port", str(port), "--log-level", "warning"]
    base_url = f"http://127.0.0.1:{port}"
    with server_process(command, port, env):
        run_wrk(base_url, lua, args.connections, 5)  # warm-up: the index of unit names is built
        warm = len(log.read_text().split())
        figures = run_wrk(base_url, lua, args.connections, args.duration)
    pauses = [float(p) for p in log.read_text().split()[warm:]]
    figures["collections"] = len(pauses)
    figures["median_ms"] = statistics.median(pauses) if pauses else 0.0
    figures["max_ms"] = max(pauses, default=0.0)
    figures["stalled_pct"] = 100 * sum(pauses) / 1000 / args.duration
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--duration", type=int, default=30)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores; Python {sys.version.split()[0]}")
    print(f"load average at the start: {os.getloadavg()[0]:.1f}")
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        with (BENCHMARKS / "search_queries.csv").open(encoding="utf-8") as queries:
            paths = [f"/api/v1/places/search?{urlencode({'q': row['query']})}" for row in csv.DictReader(queries)]
        (workdir / "paths.txt").write_text("\n".join(paths) + "\n")
        lua = workdir / "search.lua"
        lua.write_text(LUA % (workdir / "paths.txt"))
        print(f"{len(paths)} search queries, wrk -c{args.connections}, {args.duration} s per server and round")
        print("server    round  full collections  median ms  max ms  stalled %   req/s  p50 ms  p99 ms  errors")
        for round_ in range(1, args.rounds + 1):
            for frozen in (False, True):
                f = serve_and_load(frozen, lua, args, workdir)
                print(
                    f"{'frozen' if frozen else 'baseline':9} {round_:5} {f['collections']:17.0f} {f['median_ms']:10.1f}"
                    f" {f['max_ms']:7.1f} {f['stalled_pct']:10.2f} {f['rps']:7.0f} {f['p50'] / 1000:7.1f}"
                    f" {f['p99'] / 1000:7.1f} {f['errors'] + f['non2xx']:7.0f}"
                )


if __name__ == "__main__":
    main()
