"""One thread hand-off per request (core.web.Route): the request's connection is checked out, used and given back
in the thread that runs the route, never on the event loop and never in threads of their own."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Annotated, Any, ClassVar, cast

import anyio.to_thread
import pytest
from fastapi import Depends, FastAPI
from pydantic import BaseModel, model_validator
from sqlalchemy import Engine, event, text

from core import web
from core.settings import Settings
from core.web import Db, Route, db
from tests.conftest import LiveServer
from tests.factories import role_key


def test_a_request_opens_uses_and_closes_its_connection_in_one_thread(
    shared_ordos_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    live = LiveServer(shared_ordos_engine.url.render_as_string(hide_password=False))
    seen: list[tuple[str, int]] = []
    run_in_thread, submit = anyio.to_thread.run_sync, web.ROUTE_THREADS.submit

    async def counted(*args: Any, **kwargs: Any) -> Any:  # every hand-off to anyio's worker threads, counted
        seen.append(("anyio hand-off", threading.get_ident()))
        return await run_in_thread(*args, **kwargs)

    def submitted(*args: Any, **kwargs: Any) -> Any:  # and every one to a route thread
        seen.append(("hand-off", threading.get_ident()))
        return submit(*args, **kwargs)

    monkeypatch.setattr(anyio.to_thread, "run_sync", counted)
    monkeypatch.setattr(web.ROUTE_THREADS, "submit", submitted)

    def note(name: str) -> Any:
        return lambda *args, **kwargs: seen.append((name, threading.get_ident()))

    with live as client:
        engine: Engine = cast(FastAPI, live.server.config.app).state.engine
        for name in ("checkout", "checkin"):
            event.listen(engine.pool, name, note(name))
        event.listen(engine, "before_cursor_execute", note("statement"))
        loop_thread = live.thread.ident
        for path in (
            "/api/v1/units/150603",
            "/api/v1/places/search?q=东胜区",
            "/ogc/collections/units/items?limit=2",
            "/api/v1/units/999999999999",  # 404: the connection still goes back from the route's thread
        ):
            seen.clear()
            answer = client.get(path)
            assert answer.status_code in (200, 404), (path, answer.text)
            names = [name for name, _ in seen]
            assert names[:2] == ["hand-off", "checkout"] and names[-1] == "checkin", (path, names)
            # (the search sends its statement on psycopg's own cursor, which SQLAlchemy's events do not see)
            assert "statement" in names or path.startswith("/api/v1/places/search"), (path, names)
            assert names.count("hand-off") == 1 and "anyio hand-off" not in names, (path, names)
            threads = {thread for name, thread in seen if name != "hand-off"}
            assert len(threads) == 1 and loop_thread not in threads, (path, seen)
        first = client.get("/api/v1/units/150603")
        seen.clear()
        again = client.get("/api/v1/units/150603", headers={"If-None-Match": first.headers["etag"]})
        assert again.status_code == 304
        # the versions were read as the connection was checked out: no statement, one thread
        assert [name for name, _ in seen] == ["hand-off", "checkout", "checkin"]


def test_failed_requests_roll_back_and_give_their_connection_back(ordos_engine: Engine) -> None:
    url = ordos_engine.url.render_as_string(hide_password=False)
    key = role_key(ordos_engine, "editor")
    case = {"title": "未知单位", "units": ["159999000000"], "opened_on": "2026-12-01"}
    with LiveServer(url, Settings(database_url=url, pool_size=1, slot_wait_s=3)) as client:
        for _ in range(6):  # more than the pool holds: a connection kept by a failed route would block the next
            refused = client.post("/api/v1/boundaries/disputes", json=case, headers=key)
            assert refused.status_code in (404, 422), refused.text
            assert "159999000000" in refused.text
        for _ in range(6):  # refused by parameter validation after the connection slot was taken
            assert client.get("/api/v1/places/search", params={"q": "东胜", "limit": 0}).status_code == 422
        assert client.get("/api/v1/boundaries/disputes").json() == []
        assert client.get("/health").json()["status"] == "ok"


def test_connections_opened_under_a_burst_are_kept(shared_ordos_engine: Engine) -> None:
    url = shared_ordos_engine.url.render_as_string(hide_password=False)
    live = LiveServer(url, Settings(database_url=url, pool_size=2))
    opened: list[int] = []
    with live as client:
        engine: Engine = cast(FastAPI, live.server.config.app).state.engine
        event.listen(engine.pool, "connect", lambda *args: opened.append(1))
        with ThreadPoolExecutor(8) as burst:
            for _ in range(4):  # bursts of 8 requests: more than the pool's 2 kept, up to its 4 (2 x pool_size)
                statuses = list(burst.map(lambda _: client.get("/api/v1/places/search?q=东胜").status_code, range(8)))
                assert statuses == [200] * 8
    # every connection opened stays in the pool for the next burst (overflow ones were closed and opened anew)
    assert 1 <= len(opened) <= 3, len(opened)


class _Answer(BaseModel):
    id: int


def test_a_write_whose_answer_its_model_refuses_is_rolled_back(ordos_engine: Engine) -> None:
    url = ordos_engine.url.render_as_string(hide_password=False)
    with ordos_engine.begin() as conn:
        conn.execute(text("CREATE TABLE probe_write (id int)"))
    live = LiveServer(url, Settings(database_url=url, pool_size=1))
    app = cast(FastAPI, live.server.config.app)

    @app.post("/probe/bad-answer", response_model=_Answer)  # the app's own route class: Route
    def bad_answer(conn: Db) -> dict[str, Any]:
        conn.execute(text("INSERT INTO probe_write VALUES (1)"))
        return {"id": "not a number"}

    @app.post("/probe/asks-twice", response_model=_Answer)
    def asks_twice(conn: Db, again: Annotated[Any, Depends(db)]) -> dict[str, Any]:
        conn.execute(text("INSERT INTO probe_write VALUES (2)"))
        return {"id": 2}

    with live as client:
        # (a 500 ends its keep-alive connection: uvicorn closes it after an unhandled error)
        assert client.post("/probe/bad-answer", headers={"Connection": "close"}).status_code == 500
        for _ in range(3):  # the connection dependency asked for under two cache keys takes one slot (pool of 1)
            assert client.post("/probe/asks-twice").json() == {"id": 2}
    with ordos_engine.connect() as conn:
        assert conn.execute(text("SELECT array_agg(id) FROM probe_write")).scalar_one() == [2, 2, 2]


def test_a_generator_route_is_refused() -> None:
    def stream() -> Iterator[str]:
        yield "row"

    with pytest.raises(TypeError, match="generator"):
        Route("/stream", stream)


def test_a_cancelled_request_waits_for_its_route_thread() -> None:
    """A request cancelled while its route runs (a forced shutdown) is told so only once the route thread is done:
    the connection slot is never given back while the thread still holds its connection."""
    started, finished = threading.Event(), threading.Event()

    def route() -> None:
        started.set()
        time.sleep(0.3)
        finished.set()

    async def cancel_while_running() -> None:
        task = asyncio.create_task(web.in_route_thread(route))
        while not started.is_set():
            await asyncio.sleep(0.01)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert finished.is_set()

    asyncio.run(cancel_while_running())


class _Counted(BaseModel):
    """A response model noting the thread of each check of one of its records."""

    id: int
    checked_in: ClassVar[list[int]] = []

    @model_validator(mode="before")
    @classmethod
    def note(cls, data: Any) -> Any:
        cls.checked_in.append(threading.get_ident())
        return data


def test_an_answer_is_checked_against_its_model_once_in_the_route_thread(shared_ordos_engine: Engine) -> None:
    live = LiveServer(shared_ordos_engine.url.render_as_string(hide_password=False))
    app = cast(FastAPI, live.server.config.app)

    @app.get("/probe/with-connection", response_model=list[_Counted])
    def with_connection(conn: Db) -> list[dict[str, Any]]:
        return [{"id": n} for n in conn.execute(text("SELECT generate_series(1, 500)")).scalars()]

    @app.get("/probe/without", response_model=list[_Counted])
    def without() -> list[dict[str, Any]]:
        return [{"id": n} for n in range(500)]

    with live as client:
        for path in ("/probe/with-connection", "/probe/without"):
            _Counted.checked_in.clear()
            answer = client.get(path)
            assert answer.status_code == 200 and len(answer.json()) == 500
            # each record checked once (FastAPI's own check on the loop passes the model's instances as they are),
            # and not on the event loop's thread
            assert len(_Counted.checked_in) == 500, (path, len(_Counted.checked_in))
            assert live.thread.ident not in set(_Counted.checked_in), path
