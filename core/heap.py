"""Long-lived objects kept out of the cyclic garbage collector's full collections.

A server worker holds a large, long-lived heap: the imported libraries and the in-process indexes (the unit names of
the written-in prefix, the polygons of batch reverse geocoding). CPython's full (generation 2) collection walks all of
it; measured under the national search load (one worker, 500 requests/s, 2026-12-05), it ran every 5-8 s, stalled
the worker 105-304 ms each time and collected nothing — the open-loop tail latency. ``gc.freeze`` moves the objects
alive now into a permanent generation that collections skip; frozen objects are still freed by reference counting
(only a frozen object in a reference cycle would never be reclaimed), so freezing is done once the long-lived state is
built — at startup and after an index is (re)built — never per request.
"""

from __future__ import annotations

import gc


def freeze_long_lived() -> None:
    """Collect what is garbage now, then move every surviving object out of the collector's view (``gc.freeze``)."""
    gc.collect()
    gc.freeze()
