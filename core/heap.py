"""Long-lived objects kept out of the cyclic garbage collector's full collections.

A server worker holds a large, long-lived heap: the imported libraries and the in-process index of unit names (the
written-in prefix). CPython's full (generation 2) collection walks all of it; measured under the national search load
(one worker, 500 requests/s, 2026-12-05), it ran every 5-8 s, stalled the worker 105-304 ms each time and collected
nothing — the open-loop tail latency. ``gc.freeze`` moves the objects alive now into a permanent generation that
collections skip; frozen objects are still freed by reference counting. Freezing is done once the long-lived state is
built — at startup and after the unit-name index is rebuilt (after a write to the gazetteer) — never per request.
Each freeze first takes back what the previous one kept (``gc.unfreeze``) and collects it with the rest, so an object
frozen while alive that has since become cyclic garbage is reclaimed then, not kept for ever.
"""

from __future__ import annotations

import gc


def freeze_long_lived() -> None:
    """Collect what is garbage now (the heap frozen before included), then move every surviving object out of the
    collector's view (``gc.freeze``)."""
    gc.unfreeze()
    gc.collect()
    gc.freeze()
