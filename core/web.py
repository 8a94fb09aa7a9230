"""FastAPI glue shared by every router: connections, the caller's role, the error format."""

from __future__ import annotations

import asyncio
import contextvars
import functools
import inspect
import itertools
import json
import re
from collections.abc import AsyncIterator, Callable, Coroutine, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Header, Request
from fastapi.exceptions import ResponseValidationError
from fastapi.responses import Response
from fastapi.routing import APIRoute, APIRouter
from sqlalchemy import Engine
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError, OperationalError
from starlette.routing import BaseRoute, Match
from starlette.types import Scope

from core import auth
from core.data_version import read_on_checkout, versions_at_checkout
from core.database import make_engine, transaction, translated_db_errors
from core.errors import ServiceUnavailable, Unauthorized
from core.import_runner import ImportRunner
from core.settings import Settings

READ_METHODS = ("GET", "HEAD")
# The data versions a tagged read route's connection read as it opened (core.conditional), in the request's scope.
VERSIONS = "gaz.versions"
# The request's PendingConnection, in its scope while the request holds a connection slot (db, Route).
PENDING = "gaz.pending"
# The worker threads routes run in (and key lookups): started as needed, up to as many as Starlette's thread pool
# holds (40); the connection slots bound how many of them hold a connection at a time.
ROUTE_THREADS = ThreadPoolExecutor(max_workers=40, thread_name_prefix="gaz-route")
T = TypeVar("T")


def json_answer(content: Any) -> Response:
    """``content`` serialised once, as FastAPI's JSONResponse would (UTF-8, compact, dates in ISO 8601), for the hot
    read routes: no response-model validation or jsonable_encoder pass over it. The route keeps its documented
    schema through ``response_model`` or ``responses`` in its decorator."""
    body = json.dumps(content, ensure_ascii=False, allow_nan=False, separators=(",", ":"), default=_iso_date)
    return Response(body.encode(), media_type="application/json")


def _iso_date(value: Any) -> str:
    if isinstance(value, date):  # datetime included
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def request_engine(settings: Settings, url: str | None = None) -> Engine:
    """The engine of the server's requests (the primary's, or a replica's at ``url``): every connection it hands out
    has just read the data versions (core.data_version.read_on_checkout), a read that also stands in for the pool's
    pre-ping, so a tagged request makes one round trip before its data instead of two."""
    engine = make_engine(settings, url, pre_ping=False)
    read_on_checkout(engine)
    return engine


def engine_of(request: Request) -> Engine:
    """The engine made in the app's lifespan."""
    engine: Engine = request.app.state.engine
    return engine


class PendingConnection:
    """What the ``db`` dependency hands a route: the request's connection slot, held, with the connection not yet
    opened. ``Route`` opens it in the route's own thread, runs the route, commits or rolls back and closes there:
    one thread hand-off per request instead of three (open, route, close), a fifth of a short read's server CPU.
    A tagged read (core.conditional) leaves the contexts it wants versions of and the check of the client's copy
    here; they run as the connection opens, before the route reads any table."""

    __slots__ = ("request", "versions_wanted", "check_versions")

    def __init__(self, request: Request) -> None:
        self.request = request
        self.versions_wanted: Sequence[str] = ()
        self.check_versions: Callable[[str], None] | None = None

    def open(self) -> Connection:
        """The request's connection: a write's in one transaction; a read's (GET, HEAD) in autocommit, each
        statement in its own snapshot, from a replica when replicas are configured."""
        request = self.request
        read_engines: ReadEngines | None = getattr(request.app.state, "read_engines", None)
        with translated_db_errors():
            if request.method not in READ_METHODS:
                conn = engine_of(request).connect()
            else:
                conn = read_engines.connect() if read_engines is not None else engine_of(request).connect()
                conn.execution_options(isolation_level="AUTOCOMMIT")  # no BEGIN and COMMIT round trips
            conn.begin()
        if self.versions_wanted:
            try:
                request.scope[VERSIONS] = versions = versions_at_checkout(conn, self.versions_wanted)
                if self.check_versions is not None:
                    self.check_versions(versions)
            except BaseException:
                _close(conn, commit=False)
                raise
        return conn


async def in_route_thread(function: Callable[[], T]) -> T:
    """``function()`` run in one of ROUTE_THREADS with the caller's context variables: a hand-off to the thread and
    one back. (anyio's to_thread, which FastAPI uses for a plain def route, also takes a capacity limiter, opens a
    cancel scope and looks up its run variables on every call: a tenth of a short read's server CPU.) When the
    caller is cancelled, the thread's work is waited for first, so a connection slot is never given back while the
    thread still holds its connection."""
    future = asyncio.get_running_loop().run_in_executor(ROUTE_THREADS, contextvars.copy_context().run, function)
    try:
        return await asyncio.shield(future)
    except asyncio.CancelledError:
        await asyncio.wait([future])
        raise


def _close(conn: Connection, commit: bool) -> None:
    try:
        if commit:
            with translated_db_errors():
                conn.commit()
        else:
            try:
                conn.rollback()
            except DBAPIError:  # the connection is gone (the request's own error is what the caller is told)
                conn.invalidate()
    finally:
        conn.close()


def _with_connection(endpoint: Callable[..., Any], route: APIRoute) -> Callable[..., Any]:
    """``endpoint`` (a plain ``def`` route) run with its pending connection opened, committed on success (rolled
    back on any error) and closed, all in the route's thread. Success includes an answer its response model accepts
    (_checked): a write whose answer fails that check is rolled back, as the caller is told 500."""

    @functools.wraps(endpoint)
    def run(**values: Any) -> Any:
        names = [name for name, value in values.items() if isinstance(value, PendingConnection)]
        if not names:
            return _checked(route, endpoint(**values))
        conn = values[names[0]].open()
        try:
            with translated_db_errors():
                answer = endpoint(**{**values, **dict.fromkeys(names, conn)})
            answer = _checked(route, answer)
        except BaseException:
            _close(conn, commit=False)
            raise
        _close(conn, commit=True)
        return answer

    return run


def _checked(route: APIRoute, answer: Any) -> Any:
    """``answer`` validated against the route's response model in the route's thread, as the value its model makes
    of it: FastAPI checks the value again on the event loop, and model instances pass that check as they are (a list
    of 10,000 facilities: 0.2-7 ms instead of 70-95 ms of the loop's time, measured). Answers that are responses
    already are not checked."""
    if route.response_field is None or isinstance(answer, Response):
        return answer
    value, errors = route.response_field.validate(answer, {}, loc=("response",))
    if errors:
        raise ResponseValidationError(errors=errors, body=answer)
    return value


def _handed_off(run: Callable[..., Any]) -> Callable[..., Coroutine[Any, Any, Any]]:
    """``run`` as a coroutine FastAPI awaits on the event loop, running ``run`` in a route thread (in_route_thread);
    FastAPI reads the parameters from the plain ``def`` it wraps."""

    @functools.wraps(run)
    async def route(**values: Any) -> Any:
        return await in_route_thread(functools.partial(run, **values))

    return route


class Route(APIRoute):
    """The service's route class (of every ``Router`` unless it is given a subclass, and of the app's own routes:
    tests/app/test_import_concurrency.py checks): a plain ``def`` route runs in a route thread (``in_route_thread``)
    and gets its connection there (``_with_connection``). The transaction commits before the response is sent, so
    a client that reads right after a write sees it."""

    def __init__(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
        if inspect.isgeneratorfunction(endpoint) or inspect.isasyncgenfunction(endpoint):
            raise TypeError(f"{path}: a route may not stream from a generator (its connection closes as it returns)")
        if not inspect.iscoroutinefunction(endpoint):
            endpoint = _handed_off(_with_connection(endpoint, self))
        super().__init__(path, endpoint, **kwargs)

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        """The route's handler, giving back the connection slot the ``db`` dependency took, whatever happened."""
        handler = super().get_route_handler()

        async def handle(request: Request) -> Response:
            try:
                return await handler(request)
            finally:
                if request.scope.pop(PENDING, None) is not None:
                    request.app.state.connection_slots.release()

        return handle


class Router(APIRouter):
    """The service's router: its routes are of class ``Route`` (or the subclass given), and a request no route of
    it could match is turned away at once. The app tries its routers in turn; a router FastAPI includes is matched
    route by route, each through FastAPI's bookkeeping (about 7 µs per router passed over: 101 µs before the search
    route and 222 µs before /health with 21 routers, measured). Here a router first looks for the fixed text of its
    routes' paths (the part before the first parameter) in the request's path: every path a route matches contains
    it, whatever prefix an include adds in front, so a router without any is skipped in one search."""

    def __init__(self, *, route_class: type[APIRoute] = Route, **kwargs: Any) -> None:
        super().__init__(route_class=route_class, **kwargs)
        self._fixed_parts: tuple[int, re.Pattern[str] | None] = (-1, None)  # (routes version, pattern)

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        """FastAPI's match, after the quick refusal of a path holding none of the routes' fixed parts."""
        fixed = self._fixed_text()
        if fixed is not None and scope["type"] == "http" and fixed.search(scope["path"]) is None:
            return Match.NONE, {}
        return super().matches(scope)

    def _fixed_text(self) -> re.Pattern[str] | None:
        """One pattern finding any route's fixed part, read again whenever FastAPI's version of the routes changes
        (a route added to this router or to one included in it); None when some route has no path to read it from
        (then every request is matched in full)."""
        version, pattern = self._fixed_parts
        if version != self._get_routes_version():
            parts = _fixed_parts(self.routes)
            pattern = None if parts is None else re.compile("|".join(re.escape(p) for p in sorted(parts)))
            self._fixed_parts = (self._get_routes_version(), pattern)
        return pattern


def _fixed_parts(routes: Sequence[BaseRoute]) -> set[str] | None:
    """The path of each route up to its first parameter, those of included routers too; None if one is unknown."""
    parts: set[str] = set()
    for route in routes:
        included = getattr(route, "original_router", None)  # an included router (FastAPI keeps it as one route)
        if isinstance(included, APIRouter):
            found = _fixed_parts(included.routes)
        else:
            path = getattr(route, "path", None)
            found = None if not isinstance(path, str) else {path.split("{", 1)[0]}
        if found is None:
            return None
        parts |= found
    return parts


def connection_slots(pool_size: int) -> tuple[asyncio.Semaphore, asyncio.Semaphore]:
    """The slots of the pool (2 x ``pool_size``, core.database.make_engine): most for the requests' connections, a
    reserve for key lookups. A write request holds its connection while its key is checked on another one; with one
    shared set of slots, as many concurrent writes as slots held them all and waited for ever for a lookup."""
    for_keys = max(1, pool_size // 2)
    return asyncio.Semaphore(2 * pool_size - for_keys), asyncio.Semaphore(for_keys)


async def db(request: Request) -> PendingConnection:
    """The request's connection, to be opened in the route's thread (``Route``): a write request's statements run
    in one transaction, committed when the route succeeds; a read request's (GET, HEAD) run in autocommit, each in
    its own snapshot.

    First the request takes one of the connection slots (as many as the pool holds), held until the route has
    finished (``Route`` gives it back), without occupying a worker thread, so threads never wait on the pool while
    connection holders wait for a thread (the deadlock of sync dependencies under load). Reads go to a streaming
    replica when replicas are configured — the next one in turn, skipping unreachable ones, the primary last;
    writes go to the primary.
    """
    taken: PendingConnection | None = request.scope.get(PENDING)
    if taken is not None:  # asked for twice in one request (another cache key): one slot, one connection
        return taken
    await _take(request, request.app.state.connection_slots)
    pending = request.scope[PENDING] = PendingConnection(request)
    return pending


async def _take(request: Request, slots: asyncio.Semaphore) -> None:
    """Take one of ``slots`` (the caller gives it back); 503 when none comes free within ``GAZ_SLOT_WAIT_S`` (a
    frozen or overloaded database answers in bounded time instead of queueing requests for ever)."""
    if not slots.locked():
        await slots.acquire()  # a free slot is taken at once: no timer
        return
    wait_s: float = request.app.state.settings.slot_wait_s
    try:
        async with asyncio.timeout(wait_s):
            await slots.acquire()
    except TimeoutError:
        raise ServiceUnavailable(f"every database connection is busy; none came free within {wait_s:g} s") from None


class ReadEngines:
    """Round-robin over the replicas' engines, falling back to the primary."""

    def __init__(self, replicas: list[Engine], primary: Engine) -> None:
        self.replicas = replicas
        self.primary = primary
        self._turn = itertools.count()

    def connect(self) -> Connection:
        """A connection to the next reachable replica, else to the primary."""
        start = next(self._turn)
        for offset in range(len(self.replicas)):
            try:
                return self.replicas[(start + offset) % len(self.replicas)].connect()
            except OperationalError:
                continue
        return self.primary.connect()

    def dispose(self) -> None:
        """Close every replica pool."""
        for engine in self.replicas:
            engine.dispose()


def app_settings(request: Request) -> Settings:
    """The settings tree the app was built with (``create_app(settings)``)."""
    settings: Settings = request.app.state.settings
    return settings


async def _settings_of(request: Request) -> Settings:
    return app_settings(request)  # a coroutine: FastAPI runs a plain def dependency in a thread of its own


AppSettings = Annotated[Settings, Depends(_settings_of)]

# A route's database connection, opened in the route's thread by Route (function scope: the slot is given back as
# soon as the route has finished, before the response is sent).
Db = Annotated[Connection, Depends(db, scope="function")]
# The same dependency seen before the route runs (core.conditional leaves its versions check on it).
Pending = Annotated[PendingConnection, Depends(db, scope="function")]


async def import_turn(request: Request) -> AsyncIterator[ImportRunner]:
    """The server's import runner, once the import has one of the worker's turns (``GAZ_CONCURRENT_IMPORTS``),
    waited for without holding a connection or a thread; 503 when none comes free within ``GAZ_IMPORT_WAIT_S``."""
    settings: Settings = request.app.state.settings
    turns: asyncio.Semaphore = request.app.state.import_turns
    try:
        async with asyncio.timeout(settings.import_wait_s):
            await turns.acquire()
    except TimeoutError:
        raise ServiceUnavailable(
            f"other imports are running; none finished within {settings.import_wait_s:g} s: try again"
        ) from None
    try:
        yield request.app.state.imports
    finally:
        turns.release()


# An import route takes this instead of a connection: the import runs in a worker process (core.import_runner).
Imports = Annotated[ImportRunner, Depends(import_turn, scope="function")]


async def request_body(request: Request) -> bytes:
    """The raw request body, read on the event loop so the route itself can be a plain ``def`` (see README:
    database work never runs on the event loop)."""
    return await request.body()


RequestBody = Annotated[bytes, Depends(request_body)]


async def principal(
    request: Request,
    x_api_key: Annotated[str | None, Header()] = None,
    authorization: Annotated[str | None, Header()] = None,
) -> auth.Principal:
    """The caller: key from ``X-API-Key`` or ``Authorization: Bearer``; the public without one."""
    key = x_api_key
    if not key and authorization and authorization.lower().startswith("bearer "):
        key = authorization[7:].strip()
    if not key:
        return auth.PUBLIC
    limiter: auth.FailedAuthLimiter = request.app.state.auth_limiter
    client = request.client.host if request.client else "unknown"
    limiter.check(client)

    def lookup() -> auth.Principal:
        with transaction(engine_of(request)) as conn:
            return auth.authenticate(conn, key)

    slots: asyncio.Semaphore = request.app.state.auth_slots  # never the requests' slots: see connection_slots
    await _take(request, slots)
    try:
        return await in_route_thread(lookup)
    except Unauthorized:
        limiter.failed(client)
        raise
    finally:
        slots.release()


def require_role(*roles: str) -> Callable[..., Coroutine[Any, Any, auth.Principal]]:
    """Dependency refusing callers without one of ``roles`` (401 anonymous, 403 wrong role)."""

    async def dependency(caller: Annotated[auth.Principal, Depends(principal)]) -> auth.Principal:
        auth.authorize(caller, roles)
        return caller

    return dependency
