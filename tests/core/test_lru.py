"""core.lru.LRU: the least recently used dropped first by weight (bytes of tiles, one per count), a value heavier
than the limit not kept, a limit of 0 keeping nothing, and its totals right under several threads."""

from __future__ import annotations

import random
import sys
import threading
from collections.abc import Iterator

import pytest

from core.lru import LRU


def test_the_least_recently_used_are_dropped_beyond_the_weight() -> None:
    cache = LRU[str, bytes](10, weight=len)
    cache.put("a", b"1234")
    cache.put("b", b"5678")
    assert cache.get("a") == b"1234"  # a is now the most recently used
    cache.put("c", b"90ab")
    assert cache.get("b") is None and cache.get("a") == b"1234" and cache.get("c") == b"90ab"
    assert cache.weight == 8
    cache.put("d", b"123456789")  # drops a and c, both older, to fit
    assert cache.get("a") is None and cache.get("c") is None and cache.weight == 9
    cache.put("d", b"12")  # replaced: its weight counted once
    assert cache.get("d") == b"12" and cache.weight == 2


def test_a_value_heavier_than_the_limit_is_not_kept_and_drops_nothing() -> None:
    cache = LRU[str, bytes](10, weight=len)
    cache.put("a", b"1234")
    cache.put("huge", b"x" * 11)
    assert cache.get("huge") is None and cache.get("a") == b"1234" and cache.weight == 4
    cache.put("full", b"x" * 10)  # exactly the limit: kept, the rest dropped
    assert cache.get("full") == b"x" * 10 and cache.get("a") is None and cache.weight == 10


def test_a_limit_of_zero_keeps_nothing() -> None:
    cache = LRU[str, bytes](0, weight=len)
    cache.put("empty", b"")  # an empty tile too (weight 0)
    cache.put("a", b"1")
    assert cache.get("empty") is None and cache.get("a") is None and cache.weight == 0


def test_by_default_each_entry_weighs_one() -> None:
    cache = LRU[tuple[str, ...], int](2)
    cache.put(("v1", "a"), 10)
    cache.put(("v1", "b"), 20)
    assert cache.get(("v1", "a")) == 10
    cache.put(("v1", "c"), 30)
    assert cache.get(("v1", "b")) is None and cache.get(("v1", "a")) == 10 and cache.weight == 2


@pytest.fixture
def switching_often() -> Iterator[None]:
    """Threads switched every microsecond, so that their steps interleave as much as they can."""
    before = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    yield
    sys.setswitchinterval(before)


@pytest.mark.usefixtures("switching_often")
def test_several_threads_keep_the_totals_right() -> None:
    cache = LRU[int, bytes](500, weight=len)
    keys = range(40)
    errors: list[BaseException] = []
    start = threading.Barrier(8)

    def work(seed: int) -> None:
        rng = random.Random(seed)
        start.wait()
        try:
            for _ in range(20_000):
                key = rng.choice(keys)
                if rng.random() < 0.5:
                    cache.put(key, bytes(rng.randrange(1, 60)))
                else:
                    got = cache.get(key)
                    assert got is None or 1 <= len(got) < 60
        except BaseException as error:  # noqa: BLE001  (reported by the test below)
            errors.append(error)

    threads = [threading.Thread(target=work, args=(seed,)) for seed in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    kept = [value for key in keys if (value := cache.get(key)) is not None]
    assert cache.weight == sum(len(v) for v in kept) <= 500
    assert len(kept) > 5  # the cache was in use to the end
