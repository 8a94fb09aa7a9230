"""Load test: a mixed read workload driven by wrk on loopback, at concurrency 16 and 64.

Usage: GAZ_DATABASE_URL=... .venv/bin/python benchmarks/load.py [--workers 2] [--duration 20]
       [--base-url http://127.0.0.1:8000]   (default: start `gaz serve` on a free port for the run)

The request mix is built from the loaded data (the Ordos manifest or the national files): unit lookups by
code, children lists, reverse lookups at seeded random points inside the registered polygons (given in WGS84
and GCJ-02), place-name searches (a standard name in Hanzi or its romanization), OGC items in a small bbox
(county polygons, place names), and /health. Besides requests/s and latency it reports the CPU the server's
processes and PostgreSQL's spent per request (when both run here): that figure holds on a shared machine.
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
from urllib.parse import quote

from serving import postgres_cpu_seconds, postmaster_pid, served, server_pid, tree_cpu_seconds
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


MIX = (
    "30% unit, 10% children, 20% reverse (a quarter in GCJ-02), 25% name search (Hanzi and pinyin), "
    "10% OGC items, 5% health"
)


def request_mix(database_url: str, size: int = 2000) -> list[str]:
    """Paths of a mixed read workload drawn from the loaded data (any scale: Ordos or national)."""
    engine = create_engine(database_url)
    with engine.connect() as conn:
        codes = list(
            conn.execute(text("SELECT code FROM admin_unit WHERE NOT is_grouping AND valid_to IS NULL")).scalars()
        )
        parents = list(
            conn.execute(
                text("SELECT DISTINCT parent_code FROM admin_unit a WHERE parent_code IN (SELECT code FROM admin_unit)")
            ).scalars()
        )
        points = [  # seeded random points inside the registered polygons
            tuple(r)
            for r in conn.execute(
                text(
                    "SELECT ST_X(g.geom), ST_Y(g.geom) FROM unit_polygon p,"
                    " ST_Dump(ST_GeneratePoints(p.geom, 2, 7)) g WHERE p.status = 'registered' AND p.valid_to IS NULL"
                )
            )
        ]
        names = [
            tuple(r)
            for r in conn.execute(
                text(
                    "SELECT name, coalesce(romanization, name) FROM place_name WHERE status = 'standard'"
                    " ORDER BY md5(id::text) LIMIT 2000"
                )
            )
        ]
    engine.dispose()
    rng = random.Random(7)
    paths = []
    for i in range(size):
        kind = i % 20
        if kind < 6:
            paths.append(f"/api/v1/units/{rng.choice(codes)}")
        elif kind < 8:
            paths.append(f"/api/v1/units/{rng.choice(parents)}/children")
        elif kind < 11:
            lon, lat = rng.choice(points)
            paths.append(f"/api/v1/reverse?lon={lon:.6f}&lat={lat:.6f}")
        elif kind < 12:
            x, y = rng.choice(points)
            lon, lat = transform_point(x, y, "EPSG:4490", "GCJ-02")
            paths.append(f"/api/v1/reverse?lon={lon:.6f}&lat={lat:.6f}&crs=gcj02")
        elif kind < 17:
            hanzi, latin = rng.choice(names)
            paths.append(f"/api/v1/places/search?q={quote(hanzi if kind < 15 else latin.lower())}")
        elif kind < 19:
            lon, lat = rng.choice(points)
            bbox = f"{lon - 0.05:.4f},{lat - 0.05:.4f},{lon + 0.05:.4f},{lat + 0.05:.4f}"
            collection = "units-county" if kind == 17 else "place-names"
            paths.append(f"/ogc/collections/{collection}/items?bbox={bbox}&limit=10&f=json")
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
    """Run wrk at concurrency 16 and 64 and print the figures, with the CPU the server and PostgreSQL spent per
    request when both run on this machine (a figure that holds on a shared machine, unlike requests/s)."""
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores; server: uvicorn, {args.workers} worker(s), "
        f"pool {settings.pool_size}/worker; load generator wrk (2 threads) on the same machine"
    )
    print(f"mix: {len(paths)} paths ({MIX})")
    engine = create_engine(settings.database_url)
    with engine.connect() as conn:
        database = postmaster_pid(conn)
    engine.dispose()
    processes = {who: pid for who, pid in (("server", server_pid(base_url)), ("PostgreSQL", database)) if pid}
    spent = {"server": tree_cpu_seconds, "PostgreSQL": postgres_cpu_seconds}
    for connections in (16, 64):
        run_wrk(base_url, lua, connections, 3)  # warm-up
        before = {who: spent[who](pid) for who, pid in processes.items()}
        r = run_wrk(base_url, lua, connections, args.duration)
        per_request = ", ".join(
            f"{who} {(spent[who](pid) - before[who]) * 1000 / r['requests']:.2f} ms CPU/request"
            for who, pid in processes.items()
        )
        print(
            f"c={connections}: {r['rps']:,.0f} req/s, p50 {r['p50'] / 1000:.1f} ms, p95 {r['p95'] / 1000:.1f} ms, "
            f"p99 {r['p99'] / 1000:.1f} ms, errors {int(r['errors'])}, non-2xx {int(r['non2xx'])}, "
            f"{int(r['requests'])} requests in {args.duration} s" + (f"; {per_request}" if per_request else "")
        )


if __name__ == "__main__":
    main()
