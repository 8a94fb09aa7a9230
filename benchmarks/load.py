"""Load test: a mixed read workload driven by wrk on loopback, at concurrency 16 and 64.

Usage: GAZ_DATABASE_URL=... .venv/bin/python benchmarks/load.py [--workers 2] [--duration 20]
       [--base-url http://127.0.0.1:8000]   (default: start `gaz serve` on a free port for the run)

The request mix is built from the loaded data (the Ordos manifest or more): unit lookups by code,
children lists, reverse lookups at the loaded unit points (given in WGS84 and GCJ-02), and /health.
Needs wrk (Debian package `wrk`). Prints requests/s, p50/p95/p99 latency and the error count.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import platform
import random
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from serving import served
from sqlalchemy import create_engine, text

from core.crs import transform_point
from core.settings import Settings

LUA = """
local paths = {}
for line in io.lines("%s") do paths[#paths + 1] = line end
math.randomseed(42)
request = function()
  return wrk.format("GET", paths[math.random(#paths)])
end
done = function(summary, latency, requests)
  io.write(string.format("RESULT requests=%%d duration_us=%%d errors=%%d non2xx=%%d p50=%%d p95=%%d p99=%%d\\n",
    summary.requests, summary.duration,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    summary.errors.status, latency:percentile(50), latency:percentile(95), latency:percentile(99)))
end
"""


def request_mix(database_url: str, size: int = 2000) -> list[str]:
    """Paths of a mixed read workload drawn from the loaded data."""
    engine = create_engine(database_url)
    with engine.connect() as conn:
        codes = list(
            conn.execute(text("SELECT code FROM admin_unit WHERE NOT is_grouping AND valid_to IS NULL")).scalars()
        )
        parents = list(
            conn.execute(text("SELECT DISTINCT parent_code FROM admin_unit WHERE parent_code IS NOT NULL")).scalars()
        )
        points = [
            tuple(r)
            for r in conn.execute(
                text("SELECT ST_X(geom), ST_Y(geom) FROM reference_point WHERE unit_code IS NOT NULL")
            )
        ]
    engine.dispose()
    rng = random.Random(7)
    paths = []
    for i in range(size):
        kind = i % 10
        if kind < 4:
            paths.append(f"/api/v1/units/{rng.choice(codes)}")
        elif kind < 6:
            paths.append(f"/api/v1/units/{rng.choice(parents)}/children")
        elif kind < 8:
            lon, lat = rng.choice(points)
            paths.append(f"/api/v1/reverse?lon={lon:.6f}&lat={lat:.6f}")
        elif kind < 9:
            x, y = rng.choice(points)
            lon, lat = transform_point(x, y, "EPSG:4490", "GCJ-02")
            paths.append(f"/api/v1/reverse?lon={lon:.6f}&lat={lat:.6f}&crs=gcj02")
        else:
            paths.append("/health")
    return paths


def run_wrk(base_url: str, lua: Path, connections: int, duration: int) -> dict[str, float]:
    output = subprocess.run(
        ["wrk", "-t2", f"-c{connections}", f"-d{duration}s", "--timeout", "10s", "-s", str(lua), base_url],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    match = re.search(r"RESULT (.*)", output)
    assert match, output
    values = {k: float(v) for k, v in (pair.split("=") for pair in match.group(1).split())}
    values["rps"] = values["requests"] / (values["duration_us"] / 1e6)
    return values


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--duration", type=int, default=20)
    parser.add_argument("--base-url")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk not found: apt-get install wrk")
    settings = Settings()
    paths = request_mix(settings.database_url)
    workdir = Path(tempfile.mkdtemp(prefix="gazload."))
    (workdir / "paths.txt").write_text("\n".join(paths) + "\n")
    lua = workdir / "mix.lua"
    lua.write_text(LUA % (workdir / "paths.txt"))
    with contextlib.ExitStack() as stack:
        base_url = args.base_url or stack.enter_context(served(workers=args.workers))
        try:
            measure(base_url, lua, paths, settings, args)
        finally:
            shutil.rmtree(workdir, ignore_errors=True)


def measure(base_url: str, lua: Path, paths: list[str], settings: Settings, args: argparse.Namespace) -> None:
    """Run wrk at concurrency 16 and 64 and print the figures."""
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores; server: uvicorn, {args.workers} worker(s), "
        f"pool {settings.pool_size}/worker; load generator wrk (2 threads) on the same machine"
    )
    print(f"mix: {len(paths)} paths (40% unit, 20% children, 30% reverse incl. GCJ-02, 10% health)")
    for connections in (16, 64):
        run_wrk(base_url, lua, connections, 3)  # warm-up
        r = run_wrk(base_url, lua, connections, args.duration)
        print(
            f"c={connections}: {r['rps']:,.0f} req/s, p50 {r['p50'] / 1000:.1f} ms, p95 {r['p95'] / 1000:.1f} ms, "
            f"p99 {r['p99'] / 1000:.1f} ms, errors {int(r['errors'])}, non-2xx {int(r['non2xx'])}, "
            f"{int(r['requests'])} requests in {args.duration} s"
        )


if __name__ == "__main__":
    main()
