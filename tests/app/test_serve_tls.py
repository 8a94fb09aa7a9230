"""``gaz serve`` over HTTPS (phone browsers offer geolocation only in a secure context): a self-signed certificate
made for the test with openssl, the server run as a subprocess, the field form and the API fetched over TLS."""

from __future__ import annotations

import os
import socket
import ssl
import subprocess
import time
from pathlib import Path

import httpx
from sqlalchemy import Engine

from tests.app.test_cli import GAZ, gaz


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_gaz_serve_over_https(ordos_engine: Engine, tmp_path: Path) -> None:
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )  # fmt: skip
    port = free_port()
    env = {**os.environ, "GAZ_DATABASE_URL": ordos_engine.url.render_as_string(hide_password=False)}
    server = subprocess.Popen(
        [GAZ, "serve", "--port", str(port), "--ssl-certfile", cert, "--ssl-keyfile", key],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=(tmp_path / "serve.log").open("wb"),
    )
    try:
        with httpx.Client(
            base_url=f"https://127.0.0.1:{port}", verify=ssl.create_default_context(cafile=cert), timeout=10
        ) as client:
            deadline = time.monotonic() + 30
            while True:
                try:
                    health = client.get("/health")
                    break
                except httpx.ConnectError:
                    assert server.poll() is None and time.monotonic() < deadline, (tmp_path / "serve.log").read_text()
                    time.sleep(0.2)
            assert health.status_code == 200 and health.json()["status"] == "ok"
            assert client.get("/field/inspections/424242").status_code == 404
        with httpx.Client(verify=False, timeout=10) as plain:  # noqa: S501
            try:
                answer = plain.get(f"http://127.0.0.1:{port}/health")
                assert answer.status_code != 200  # plain HTTP is not served on the TLS port
            except httpx.HTTPError:
                pass
    finally:
        server.terminate()
        server.wait(timeout=20)


def test_serve_refuses_half_a_tls_configuration(ordos_engine: Engine, tmp_path: Path) -> None:
    done = gaz(ordos_engine, "serve", "--port", str(free_port()), "--ssl-certfile", tmp_path / "cert.pem")
    assert done.returncode != 0 and "needs both --ssl-certfile and --ssl-keyfile" in done.stderr
