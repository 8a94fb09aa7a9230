"""core.heap: the long-lived heap moved out of the full collections, garbage collected first."""

from __future__ import annotations

import gc
import weakref

from sqlalchemy import Engine

from core.heap import freeze_long_lived
from tests.conftest import LiveServer


class _Node:
    def __init__(self) -> None:
        self.partner: _Node | None = None


def test_garbage_is_collected_and_the_survivors_frozen() -> None:
    kept = [_Node() for _ in range(1000)]
    cycle_a, cycle_b = _Node(), _Node()
    cycle_a.partner, cycle_b.partner = cycle_b, cycle_a
    dropped = weakref.ref(cycle_a)
    del cycle_a, cycle_b  # garbage only a collection finds (a reference cycle)
    gc.unfreeze()
    assert dropped() is not None
    freeze_long_lived()
    assert dropped() is None  # collected, not frozen for ever
    assert gc.get_freeze_count() >= len(kept)
    gc.unfreeze()


def test_a_cycle_frozen_alive_is_reclaimed_by_the_next_freeze() -> None:
    cycle_a, cycle_b = _Node(), _Node()
    cycle_a.partner, cycle_b.partner = cycle_b, cycle_a
    dropped = weakref.ref(cycle_a)
    freeze_long_lived()  # frozen while alive
    del cycle_a, cycle_b
    gc.collect()
    assert dropped() is not None  # a collection does not see the permanent generation
    freeze_long_lived()
    assert dropped() is None  # the next freeze took it back and collected it
    gc.unfreeze()


def test_a_server_freezes_its_heap_at_startup_and_after_building_an_index(ordos_engine: Engine) -> None:
    gc.unfreeze()  # a database of its own (ordos_engine): its index of unit names is not built yet
    with LiveServer(ordos_engine.url.render_as_string(hide_password=False)) as client:
        assert gc.get_freeze_count() > 0  # after the lifespan's warm-up
        gc.unfreeze()
        first = client.get("/api/v1/places/search", params={"q": "内蒙古自治区鄂尔多斯市东胜区"})
        assert first.status_code == 200 and first.json()["results"]
        # the index of unit names the written-in prefix needs was built for this server's database, then frozen
        assert gc.get_freeze_count() > 0
        gc.unfreeze()
        again = client.get("/api/v1/places/search", params={"q": "内蒙古自治区鄂尔多斯市康巴什区"})
        assert again.status_code == 200 and gc.get_freeze_count() == 0  # built once: nothing frozen per request
