"""Benchmark: an open-loop load of name searches — requests go out on a fixed schedule, not when an answer arrives.

Usage: GAZ_DATABASE_URL=<the database benchmarks/search.py left behind, e.g. gaz_bench_search_national>
       .venv/bin/python benchmarks/open_loop.py [--rate 200] [--duration 60] [--workers 2] [--base-url URL]

The queries are the committed query set (benchmarks/search_queries.csv, every kind mixed, seeded order), sent to
``GET /api/v1/places/search?q=`` at ``--rate`` requests per second for ``--duration`` seconds after a 3-second
warm-up at the same rate (not counted: each worker builds its in-process index of unit names on its first
search). Request i is due at start + i / rate; it goes out then on an idle keep-alive connection, or on a new one
when none is idle, so a slow answer never holds back the next request, and its latency runs from the time it was
due to the last byte of the answer: queueing anywhere (generator, server, database) shows in the figures, which a
closed-loop generator (wrk, benchmarks/search_http.py) hides. The client is a minimal HTTP/1.1 client on asyncio
streams, so the generator costs little of the shared cores. An error is a failed connection, an answer other than
200, or no answer within 10 s. Reports p50/p90/p99/max, errors, the rate achieved and the CPU the server and
PostgreSQL spent per request (when they run on this machine); the server is `gaz serve` unless ``--base-url``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import csv
import os
import platform
import random
import statistics
import time
from collections import Counter
from pathlib import Path
from urllib.parse import quote, urlsplit

from serving import postgres_cpu_seconds, postmaster_pid, served, server_pid, tree_cpu_seconds
from sqlalchemy import create_engine

from core.settings import Settings

QUERY_FILE = Path(__file__).resolve().parent / "search_queries.csv"
TIMEOUT_S = 10.0
KEEP_ALIVE_S = 4.0


class Client:
    """Keep-alive HTTP/1.1 connections to one host: an idle one is reused, otherwise a new one is opened. A connection
    idle for longer than KEEP_ALIVE_S is closed instead of reused: the server may have closed it (uvicorn's
    keep-alive timeout is 5 s), as any HTTP client does."""

    def __init__(self, base_url: str) -> None:
        parts = urlsplit(base_url)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 80
        self.idle: list[tuple[asyncio.StreamReader, asyncio.StreamWriter, float]] = []

    async def _connection(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        while self.idle:
            reader, writer, since = self.idle.pop()
            if time.perf_counter() - since < KEEP_ALIVE_S and not reader.at_eof():
                return reader, writer
            writer.close()
        return await asyncio.open_connection(self.host, self.port)

    async def get(self, path: str) -> int:
        """The status of ``GET path`` (the body read to its end)."""
        reader, writer = await self._connection()
        try:
            writer.write(f"GET {path} HTTP/1.1\r\nHost: {self.host}\r\n\r\n".encode("ascii"))
            head = await reader.readuntil(b"\r\n\r\n")
            lines = head.decode("latin-1").split("\r\n")
            headers = dict(line.lower().split(": ", 1) for line in lines[1:] if ": " in line)
            await reader.readexactly(int(headers["content-length"]))
        except BaseException:
            writer.close()
            raise
        self.idle.append((reader, writer, time.perf_counter()))
        return int(lines[0].split()[1])

    def close(self) -> None:
        for _, writer, _ in self.idle:
            writer.close()


async def timed(client: Client, path: str, due: float, results: list[tuple[float, str]]) -> None:
    """Send ``path`` and note (latency from ``due`` in ms, outcome: the status, or the error's name)."""
    try:
        outcome = str(await asyncio.wait_for(client.get(path), TIMEOUT_S))
    except (TimeoutError, OSError, asyncio.IncompleteReadError, KeyError, ValueError) as error:
        outcome = type(error).__name__
    results.append(((time.perf_counter() - due) * 1000, outcome))


async def open_loop(base_url: str, paths: list[str], rate: float, duration: float) -> list[tuple[float, str]]:
    """Send ``paths`` in turn at ``rate`` per second for ``duration`` seconds, each at its due time."""
    client = Client(base_url)
    results: list[tuple[float, str]] = []
    tasks = []
    start = time.perf_counter() + 0.1
    for i in range(int(rate * duration)):
        due = start + i / rate
        delay = due - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(timed(client, paths[i % len(paths)], due, results)))
    await asyncio.gather(*tasks)
    client.close()
    return results


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rate", type=float, default=200.0, help="requests per second")
    parser.add_argument("--duration", type=float, default=60.0, help="seconds")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--base-url")
    args = parser.parse_args()
    settings = Settings()
    with QUERY_FILE.open(encoding="utf-8") as handle:
        queries = [row["query"] for row in csv.DictReader(handle)]
    random.Random(14).shuffle(queries)
    paths = [f"/api/v1/places/search?q={quote(q)}" for q in queries]
    engine = create_engine(settings.database_url)
    with engine.connect() as conn:
        database = postmaster_pid(conn)
    engine.dispose()
    with contextlib.ExitStack() as stack:
        base_url = args.base_url or stack.enter_context(served(workers=args.workers))
        processes = {who: pid for who, pid in (("server", server_pid(base_url)), ("PostgreSQL", database)) if pid}
        spent = {"server": tree_cpu_seconds, "PostgreSQL": postgres_cpu_seconds}
        print(
            f"machine: {platform.machine()}, {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f};"
            f" server: {args.workers} worker(s), pool {settings.pool_size}/worker; open loop {args.rate:.0f} req/s"
            f" for {args.duration:.0f} s, {len(paths)} queries (every kind of the committed set, mixed)"
        )
        asyncio.run(open_loop(base_url, paths[::-1], args.rate, 3.0))  # warm-up, not counted
        before = {who: spent[who](pid) for who, pid in processes.items()}
        own = time.process_time()
        started = time.perf_counter()
        results = asyncio.run(open_loop(base_url, paths, args.rate, args.duration))
        elapsed = time.perf_counter() - started
        cpu = {who: (spent[who](pid) - before[who]) * 1000 / len(results) for who, pid in processes.items()}
    latencies = [ms for ms, outcome in results if outcome == "200"]
    errors = Counter(outcome for _, outcome in results if outcome != "200")
    print(
        f"sent {len(results)} in {elapsed:.1f} s ({len(results) / elapsed:.0f} req/s),"
        f" errors {sum(errors.values())} {dict(errors) if errors else ''};"
        f" latency from the due time: p50 {statistics.median(latencies):.1f} ms, p90 {percentile(latencies, 0.9):.1f},"
        f" p99 {percentile(latencies, 0.99):.1f}, max {max(latencies):.1f} ms; load average {os.getloadavg()[0]:.1f}"
    )
    per_request = ", ".join(f"{who} {ms:.2f}" for who, ms in cpu.items())
    generator = (time.process_time() - own) * 1000 / len(results)
    print(f"CPU ms per request: {per_request}; the generator {generator:.2f}")


if __name__ == "__main__":
    main()
