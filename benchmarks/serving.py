"""The servers under measurement: `gaz serve` (or another server command) on a free loopback port for the length of
a benchmark, and the CPU they and PostgreSQL spend."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError


def free_port() -> int:
    """A free loopback port."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextmanager
def server_process(
    command: list[str],
    port: int,
    env: dict[str, str] | None = None,
    start_timeout_s: float = 120,
    probe: str = "/health",
    cwd: Path | None = None,
) -> Iterator[subprocess.Popen[bytes]]:
    """Run ``command`` (a server on ``port``) until ``probe`` answers 200, yield the process, stop it; a server that
    does not start ends the benchmark with the end of what it wrote to stderr."""
    with tempfile.TemporaryFile() as errors:
        server = subprocess.Popen(
            command, env=env or os.environ.copy(), cwd=cwd, stdout=subprocess.DEVNULL, stderr=errors
        )
        try:
            deadline = time.monotonic() + start_timeout_s
            while not healthy(f"http://127.0.0.1:{port}", probe):
                if time.monotonic() > deadline or server.poll() is not None:
                    errors.seek(0)
                    written = errors.read().decode(errors="replace")[-2000:]
                    sys.exit(f"{command[0]} did not answer {probe} within {start_timeout_s:g} s; stderr: {written!r}")
                time.sleep(0.2)
            yield server
        finally:
            server.terminate()
            server.wait(timeout=20)


@contextmanager
def served(workers: int = 1, start_timeout_s: float = 120) -> Iterator[str]:
    """Start `gaz serve` (same environment, so the same GAZ_DATABASE_URL), yield its base URL, stop it."""
    port = free_port()
    gaz = str(Path(sys.executable).parent / "gaz")
    with server_process([gaz, "serve", "--port", str(port), "--workers", str(workers)], port, None, start_timeout_s):
        yield f"http://127.0.0.1:{port}"


def healthy(base_url: str, probe: str = "/health") -> bool:
    try:
        return httpx.get(base_url + probe, timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def _process_tree(root: int) -> list[int]:
    """``root`` and every process below it (from /proc)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    tree, todo = [], [root]
    while todo:
        pid = todo.pop()
        tree.append(pid)
        todo.extend(children.get(pid, []))
    return tree


def tree_cpu_seconds(root: int) -> float:
    """CPU time (user + system) used so far by the live processes of a process tree."""
    ticks = 0
    for pid in _process_tree(root):
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        ticks += int(fields[11]) + int(fields[12])
    return ticks / os.sysconf("SC_CLK_TCK")


def postgres_cpu_seconds(postmaster: int) -> float:
    """CPU time used so far by the PostgreSQL server of ``postmaster``: its live processes plus the backends that have
    exited (the postmaster's reaped children), so that a pool connection closed during a run still counts (summing
    the live processes only leaves it out). Run the benchmark on a cluster of its own: other databases' work counts."""
    reaped = Path(f"/proc/{postmaster}/stat").read_text().rsplit(")", 1)[1].split()[13:15]
    return tree_cpu_seconds(postmaster) + sum(map(int, reaped)) / os.sysconf("SC_CLK_TCK")


def server_pid(base_url: str) -> int | None:
    """The pid of the `gaz serve` started for ``base_url`` on this machine, if any."""
    port = base_url.rsplit(":", 1)[1]
    for entry in Path("/proc").iterdir():
        try:
            argv = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"serve" in argv and port.encode() in argv and any(a.endswith(b"gaz") for a in argv):
            return int(entry.name)
    return None


def postmaster_pid(conn: Connection) -> int | None:
    """The pid of the PostgreSQL server ``conn`` talks to, when it runs on this machine (superuser only)."""
    try:
        data_dir = conn.execute(text("SHOW data_directory")).scalar_one()
        return int((Path(data_dir) / "postmaster.pid").read_text().split()[0])
    except (OSError, ValueError, DBAPIError):
        return None
