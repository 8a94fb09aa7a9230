"""A least-recently-used store bounded by the total weight of what it keeps (bytes of vector tiles, one per count),
shared by the threads of one worker (routes are plain functions run in worker threads, hence the lock)."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


def _one(_: object) -> int:
    return 1


class LRU(Generic[K, V]):
    """Values by key, the least recently used dropped first once their weights add up to more than ``limit``.

    ``weight`` of a value defaults to 1 (``limit`` is then a number of entries); a value heavier than ``limit`` is
    not kept (nothing is dropped for it), so a limit of 0 keeps nothing."""

    def __init__(self, limit: int, weight: Callable[[V], int] = _one) -> None:
        self.limit = limit
        self._weight = weight
        self._kept: OrderedDict[K, tuple[V, int]] = OrderedDict()
        self._total = 0
        self._lock = threading.Lock()

    def get(self, key: K) -> V | None:
        """The value kept under ``key`` (now the most recently used), or None."""
        with self._lock:
            found = self._kept.get(key)
            if found is None:
                return None
            self._kept.move_to_end(key)
            return found[0]

    def put(self, key: K, value: V) -> None:
        """Keep ``value`` under ``key`` (replacing what was there), dropping the least recently used beyond the
        limit."""
        weight = self._weight(value)
        if self.limit <= 0 or weight > self.limit:
            return
        with self._lock:
            old = self._kept.pop(key, None)
            self._total += weight - (old[1] if old is not None else 0)
            self._kept[key] = (value, weight)
            while self._total > self.limit:
                _, (_, dropped) = self._kept.popitem(last=False)
                self._total -= dropped

    @property
    def weight(self) -> int:
        """The weight of everything kept now."""
        return self._total
