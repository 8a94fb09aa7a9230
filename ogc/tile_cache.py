"""The vector tiles a worker has built, kept by entity tag so the next visitor of the same view is not made to wait.

A tile's entity tag (core.conditional) names everything its bytes depend on: the data versions of the contexts,
today's date (the default ``datetime``), the request target (collection, z/x/y, ``datetime``), its Accept header
and the server's settings. Any committed write bumps a data version, so a tile of the old data is never served
again; it just ages out. The cache is bounded in bytes (setting ``GAZ_TILE_CACHE_MB``, 0 keeps none) and drops the
least recently used tiles first. Routes are plain functions run in worker threads, hence the lock.
"""

from __future__ import annotations

import threading
from collections import OrderedDict


class TileCache:
    """Tiles by entity tag, least recently used dropped first once ``limit_bytes`` is exceeded."""

    def __init__(self, limit_bytes: int) -> None:
        self.limit_bytes = limit_bytes
        self._tiles: OrderedDict[str, bytes] = OrderedDict()
        self._size = 0
        self._lock = threading.Lock()

    def get(self, tag: str) -> bytes | None:
        """The tile kept under ``tag``, or None."""
        with self._lock:
            tile = self._tiles.get(tag)
            if tile is not None:
                self._tiles.move_to_end(tag)
            return tile

    def put(self, tag: str, tile: bytes) -> None:
        """Keep ``tile`` under ``tag`` (a tile larger than the whole cache is not kept)."""
        if len(tile) > self.limit_bytes:
            return
        with self._lock:
            old = self._tiles.pop(tag, None)
            self._size += len(tile) - (len(old) if old is not None else 0)
            self._tiles[tag] = tile
            while self._size > self.limit_bytes:
                _, dropped = self._tiles.popitem(last=False)
                self._size -= len(dropped)

    @property
    def size_bytes(self) -> int:
        """Bytes of tiles kept now."""
        return self._size
