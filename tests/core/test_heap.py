"""core.heap: the long-lived heap of a server's process moved out of the full collections, garbage collected first;
an app served from another thread (the live servers of this test run) leaves the host's heap alone."""

from __future__ import annotations

import gc
import subprocess
import sys
import weakref

import pytest
from sqlalchemy import Engine

from core import heap
from core.heap import freeze_long_lived
from tests.conftest import LiveServer


@pytest.fixture
def server_process(monkeypatch: pytest.MonkeyPatch) -> None:
    """This test process taken for a server's own while the test runs."""
    monkeypatch.setattr(heap, "_server_process", True)


class _Node:
    def __init__(self) -> None:
        self.partner: _Node | None = None


def test_garbage_is_collected_and_the_survivors_frozen(server_process: None) -> None:
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


def test_a_cycle_frozen_alive_is_reclaimed_by_the_next_freeze(server_process: None) -> None:
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


def test_a_server_freezes_its_heap_at_startup_and_after_building_an_index(
    ordos_engine: Engine, server_process: None
) -> None:
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


def test_an_app_started_in_the_main_thread_freezes_and_one_served_from_a_thread_does_not(ordos_engine: Engine) -> None:
    url = ordos_engine.url.render_as_string(hide_password=False)
    started = (  # the app's lifespan in a fresh process's main thread, as a uvicorn worker runs it
        "import asyncio, gc\n"
        "from app.main import create_app\n"
        "from core.settings import Settings\n"
        f"app = create_app(Settings(database_url={url!r}))\n"
        "async def start():\n"
        "    async with app.router.lifespan_context(app):\n"
        "        print(gc.get_freeze_count())\n"
        "asyncio.run(start())\n"
    )
    frozen = subprocess.run([sys.executable, "-c", started], capture_output=True, text=True, check=True, timeout=120)
    assert int(frozen.stdout.split()[-1]) > 10_000
    gc.unfreeze()
    with LiveServer(url) as client:  # in a thread of this test process
        found = client.get("/api/v1/places/search", params={"q": "内蒙古自治区鄂尔多斯市东胜区"})
        assert found.status_code == 200 and found.json()["results"]
        assert gc.get_freeze_count() == 0
