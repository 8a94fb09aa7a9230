"""Every route of the app is reached through core.web.Router's quick refusal (a router turns away a path holding none
of its routes' fixed parts), over real HTTP: a path a route serves, asked with a method no route takes, is told 405
(the path was matched), never 404; a path no route serves is told 404."""

from __future__ import annotations

import re
from collections.abc import Callable

import httpx
from fastapi import FastAPI

from app.main import create_app
from core.settings import Settings
from core.web import Router
from tests.app.test_import_concurrency import served_routes

PARAMETER = re.compile(r"\{([^}:]+)(:[^}]+)?\}")


def concrete(path: str) -> str:
    """``path`` with each parameter given a value its converter accepts."""
    return PARAMETER.sub(lambda m: "1" if (m.group(2) or "") in ("", ":int", ":str") else "a/b", path)


def test_every_router_of_the_app_is_the_services_router() -> None:
    app = create_app(Settings())
    included = [route.original_router for route in app.router.routes if hasattr(route, "original_router")]
    assert len(included) >= 20
    assert [type(router).__name__ for router in included if not isinstance(router, Router)] == []


def test_every_route_path_is_matched_and_an_unknown_path_is_not(api: httpx.Client) -> None:
    app = create_app(Settings())
    paths = sorted({concrete(path) for path, _ in served_routes(app.routes)})
    assert len(paths) > 90
    told = {path: api.request("TRACE", path).status_code for path in paths}
    assert {path: status for path, status in told.items() if status != 405} == {}
    for unknown in ("/api/v1/nothing-here", "/ogc/nothing/here/at/all", "/health/more", "/nothing"):
        answer = api.request("TRACE", unknown)
        assert answer.status_code == 404, unknown
        assert answer.json()["code"] == "http_error"
        assert api.get(unknown).status_code == 404


def test_a_router_refuses_a_path_without_any_fixed_part_and_matches_one_with() -> None:
    router = Router(prefix="/api/v1/things")

    @router.get("/{thing_id}/parts")
    def parts(thing_id: int) -> dict[str, int]:
        return {"thing": thing_id}

    app = FastAPI()
    app.include_router(router)
    (included,) = [route for route in app.router.routes if hasattr(route, "original_router")]

    def match(path: str) -> str:
        scope = {"type": "http", "method": "GET", "path": path, "root_path": "", "query_string": b"", "headers": []}
        return included.matches(scope)[0].name

    assert match("/api/v1/things/7/parts") == "FULL"
    assert match("/api/v1/other/7/parts") == "NONE"  # refused by the fixed part "/api/v1/things/"
    assert match("/api/v1/things/7/other") == "NONE"  # has the fixed part: FastAPI's full match refuses it

    @router.get("/")
    def listed() -> list[int]:
        return []

    assert match("/api/v1/things") == "NONE" and match("/api/v1/things/") == "FULL"  # routes added later count


def nested_routers() -> tuple[Router, Callable[[str], str]]:
    """A router with one route (``/inner/{part}``) included in a router of prefix ``/api/v1``, itself included in an
    app: the inner router, and the outer one's match of a GET of a path (FULL, PARTIAL or NONE)."""
    inner = Router()

    @inner.get("/inner/{part}")
    def part(part: str) -> str:
        return part

    outer = Router(prefix="/api/v1")
    outer.include_router(inner)
    app = FastAPI()
    app.include_router(outer)
    (included,) = [route for route in app.router.routes if hasattr(route, "original_router")]
    scope = {"type": "http", "method": "GET", "root_path": "", "query_string": b"", "headers": []}
    return inner, lambda path: included.matches({**scope, "path": path})[0].name


def test_a_router_included_in_another_is_matched_under_the_including_prefix() -> None:
    _, match = nested_routers()
    assert match("/api/v1/inner/1") == "FULL"
    assert match("/api/v1/outer/1") == "NONE"


def test_a_route_added_to_an_included_router_after_a_match_is_matched() -> None:
    inner, match = nested_routers()
    assert match("/api/v1/later/1") == "NONE"  # the fixed parts are read

    @inner.get("/later/{part}")
    def later(part: str) -> str:
        return part

    assert match("/api/v1/later/1") == "FULL"  # and read again
