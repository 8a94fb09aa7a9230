"""Longer run of the OpenAPI fuzzer (tests/app/test_fuzz_api.py): more cases per operation, random seeds.

Usage: GAZ_DATABASE_URL=... .venv/bin/python benchmarks/fuzz_long.py [--cases 200]

Runs the suite's fuzz test in a subprocess with GAZ_FUZZ_CASES=<cases> (schema-valid and schema-breaking
cases, each up to <cases> per operation) and GAZ_FUZZ_RANDOM=1, against a live server on a fresh Ordos
database with an admin key; prints the machine, the number of operations and requests, the time, and the
failures found (5xx, undeclared status, response outside the declared schema).
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import subprocess
import sys
import time
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=200, help="cases per operation and generation mode")
    args = parser.parse_args()
    env = {**os.environ, "GAZ_FUZZ_CASES": str(args.cases), "GAZ_FUZZ_RANDOM": "1"}
    started = time.perf_counter()
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-s", "tests/app/test_fuzz_api.py"],
        cwd=PROJECT,
        env=env,
        capture_output=True,
        text=True,
    )
    seconds = time.perf_counter() - started
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    summary = re.search(r"fuzzed (\d+) operations with (\d+) requests", run.stdout)
    if summary:
        print(f"{summary.group(1)} operations, {summary.group(2)} requests, {args.cases} cases max per mode")
    print(f"time: {seconds:.0f} s; result: {'no failure' if run.returncode == 0 else 'FAILURES'}")
    if run.returncode != 0:
        print(run.stdout[-20000:])
    return run.returncode


if __name__ == "__main__":
    raise SystemExit(main())
