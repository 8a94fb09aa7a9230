"""Imports received over HTTP run in a worker process, never in the server's own.

An import is seconds of Python (validation, romanization, geometry) plus a large write. Run in a thread of the
server, it shares the interpreter lock with every other request of that worker: measured here, readers' p99 went from
~10 ms to 200-450 ms while one 1,500-row import ran, whatever the thread switch interval; the same import run by the
``gaz`` CLI in another process left them under 50 ms. So the route (a plain ``def`` in the thread pool) hands the
importer and its arguments to a worker process, waits for the report and answers it. The worker opens its own
connection with the import limits (``GAZ_IMPORT_STATEMENT_TIMEOUT_S``) and runs the importer in one transaction, as
the CLI does: all or nothing, the per-source lock, the archive and the audit row included.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.engine import Connection

from core.database import make_engine, transaction
from core.errors import ServiceUnavailable
from core.imports import ImportReport
from core.settings import Settings, install

Importer = Callable[..., ImportReport]
_worker_engine: Engine | None = None


def _start_worker(settings_json: str, server_pid: int) -> None:
    """In each worker process: the engine of the server's settings, with the import statement limit, and a watch
    that ends the worker when the server is gone (killed without a shutdown), so no worker outlives it."""
    global _worker_engine
    settings = install(Settings.model_validate_json(settings_json))
    _worker_engine = make_engine(settings, statement_timeout_s=settings.import_statement_timeout_s)

    def watch() -> None:
        while os.getppid() == server_pid:
            time.sleep(1)
        os._exit(0)

    threading.Thread(target=watch, daemon=True, name="server-watch").start()


def _run(importer: Importer, args: tuple[Any, ...], kwargs: dict[str, Any]) -> dict[str, Any]:
    """In a worker process: the importer in one transaction, its report as plain data."""
    assert _worker_engine is not None, "the worker was started without its engine"
    conn: Connection
    with transaction(_worker_engine) as conn:
        return importer(conn, *args, **kwargs).as_dict()


class ImportRunner:
    """The server's import workers (``GAZ_CONCURRENT_IMPORTS`` processes, started at the first import)."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._pool: ProcessPoolExecutor | None = None
        self._lock = threading.Lock()

    def run(self, importer: Importer, *args: Any, **kwargs: Any) -> dict[str, Any]:
        """Run ``importer(conn, *args, **kwargs)`` in a worker and answer its report; the service's errors it raises
        are raised here; a worker that died (killed, out of memory) answers 503 and is replaced at the next import."""
        pool = self._started()
        try:
            return pool.submit(_run, importer, args, kwargs).result()
        except BrokenProcessPool as exc:
            with self._lock:
                if self._pool is pool:
                    self._pool = None
            raise ServiceUnavailable("the import worker stopped before it finished: nothing was imported") from exc

    def _started(self) -> ProcessPoolExecutor:
        with self._lock:
            if self._pool is None:
                # spawn: a fresh interpreter, never a fork of this multi-threaded server (about 2 s, once).
                self._pool = ProcessPoolExecutor(
                    max_workers=self._settings.concurrent_imports,
                    mp_context=multiprocessing.get_context("spawn"),
                    initializer=_start_worker,
                    initargs=(self._settings.model_dump_json(), os.getpid()),
                )
            return self._pool

    def close(self) -> None:
        """Stop the workers: imports not started are cancelled, one running finishes first (bounded by the import
        statement limit)."""
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)
