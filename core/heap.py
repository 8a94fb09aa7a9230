"""Long-lived objects kept out of the cyclic garbage collector's full collections.

A server worker holds a large, long-lived heap: the imported libraries and the in-process index of unit names (the
written-in prefix). CPython's full (generation 2) collection walks all of it; measured under the national search load
(one worker, 500 requests/s, 2026-12-05), it ran every 5-8 s, stalled the worker 105-304 ms each time and collected
nothing — the open-loop tail latency. ``gc.freeze`` moves the objects alive now into a permanent generation that
collections skip; frozen objects are still freed by reference counting. Freezing is done once the long-lived state is
built — at startup and after the unit-name index is rebuilt (after a write to the gazetteer) — never per request.
Each freeze first takes back what the previous one kept (``gc.unfreeze``) and collects it with the rest, so an object
frozen while alive that has since become cyclic garbage is reclaimed then, not kept for ever.

Only a server that owns its process freezes: one whose app started in the process's main thread (a uvicorn worker,
``gaz serve``). An app served from another thread — a test run's live servers, a program embedding the app — shares
the heap with its host, whose objects are not the server's to freeze: in the test suite each live server's start and
index rebuild ran a full collection of the whole test process (138 of them, 43 s of tests/gazetteer's 256 s).
"""

from __future__ import annotations

import gc
import threading

_server_process = False  # set once the app has started in the main thread (freeze_at_startup)


def freeze_at_startup() -> None:
    """The app's warm-up is done: the process is the server's own when the app started in its main thread, and then
    its long-lived heap is frozen (freeze_long_lived)."""
    global _server_process
    _server_process = _server_process or threading.current_thread() is threading.main_thread()
    freeze_long_lived()


def freeze_long_lived() -> None:
    """Collect what is garbage now (the heap frozen before included), then move every surviving object out of the
    collector's view (``gc.freeze``); nothing in a process that is not a server's own (see the module's text)."""
    if not _server_process:
        return
    gc.unfreeze()
    gc.collect()
    gc.freeze()
