"""The service under measurement: `gaz serve` on a free loopback port for the length of a benchmark."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx


@contextmanager
def served(workers: int = 1, start_timeout_s: float = 120) -> Iterator[str]:
    """Start `gaz serve` (same environment, so the same GAZ_DATABASE_URL), yield its base URL, stop it."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    gaz = str(Path(sys.executable).parent / "gaz")
    server = subprocess.Popen(
        [gaz, "serve", "--port", str(port), "--workers", str(workers)],
        env=os.environ.copy(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base_url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + start_timeout_s
        while not _healthy(base_url):
            if time.monotonic() > deadline or server.poll() is not None:
                sys.exit("the server did not start")
            time.sleep(0.2)
        yield base_url
    finally:
        server.terminate()
        server.wait()


def _healthy(base_url: str) -> bool:
    try:
        return httpx.get(base_url + "/health", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False
