"""The lean read path of issue 14: a search is one SQL statement, and the hot routes (search, autocomplete, unit,
children, reverse) serialise their answer once — the same JSON their response models or FastAPI's encoder gave —
while /openapi.json still documents them."""

from __future__ import annotations

from typing import Any

import httpx
import psycopg
import pytest
from fastapi.encoders import jsonable_encoder
from sqlalchemy import Engine

from boundaries.units import service as units
from boundaries.units.schemas import UnitOut, UnitRef
from core.values import GeoPoint
from gazetteer.points import service as points
from gazetteer.search import service as name_search

# (query, scope) of every phase: exact, written-in prefix, typo (nationally and in a unit), pinyin, initials,
# English, prefix only
SEARCHES = [
    ("东胜区", {}),
    ("内蒙古自治区鄂尔多斯市东胜区", {}),
    ("独贵塔垃镇", {}),
    ("独贵塔垃镇", {"unit": "150600"}),
    ("dongsheng", {}),
    ("kbs", {"unit": "150600"}),
    ("Ejin Horo Banner", {}),
    ("康巴", {"autocomplete": True}),
]


@pytest.mark.parametrize(("q", "scope"), SEARCHES)
def test_a_search_is_one_statement(
    shared_ordos_engine: Engine, q: str, scope: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    statements: list[str] = []
    execute = psycopg.Cursor.execute

    def counted(cursor: psycopg.Cursor[Any], query: Any, *args: Any, **kwargs: Any) -> Any:
        statements.append(str(query))  # every statement, SQLAlchemy's and those on the driver's own cursor
        return execute(cursor, query, *args, **kwargs)

    with shared_ordos_engine.connect() as conn:
        name_search.search_places(conn, "东胜区")  # builds the in-process index of unit names once
        monkeypatch.setattr(psycopg.Cursor, "execute", counted)
        found = name_search.search_places(conn, q, **scope)
        monkeypatch.undo()
    assert found["results"], q
    assert len(statements) == 1, statements


def test_an_unknown_unit_is_still_refused(shared_ordos_engine: Engine) -> None:
    with shared_ordos_engine.connect() as conn:
        with pytest.raises(Exception, match="not a known unit code"):
            name_search.search_places(conn, "东胜区", unit="990000")


def test_hot_routes_answer_what_their_models_gave(ordos_api: httpx.Client, shared_ordos_engine: Engine) -> None:
    with shared_ordos_engine.connect() as conn:
        unit = units.get_unit(conn, "150603")
        children = units.get_children(conn, "150603")
        search = name_search.search_places(conn, "东胜区")
        complete = name_search.search_places(conn, "康巴", autocomplete=True)
        reverse = points.reverse(conn, GeoPoint.from_input(109.78, 39.61, "EPSG:4326"))
    expected = {
        "/api/v1/units/150603": UnitOut.model_validate(unit).model_dump(mode="json"),
        "/api/v1/units/150603/children": [UnitRef.model_validate(c).model_dump(mode="json") for c in children],
        "/api/v1/places/search?q=东胜区": jsonable_encoder(search),
        "/api/v1/places/autocomplete?q=康巴": jsonable_encoder(complete),
        "/api/v1/reverse?lon=109.78&lat=39.61": jsonable_encoder(reverse),
    }
    for path, answer in expected.items():
        response = ordos_api.get(path)
        assert response.status_code == 200 and response.headers["content-type"] == "application/json", path
        assert response.json() == answer, path
        assert "etag" in response.headers, path
    assert children and search["results"] and complete["results"] and unit["path"]


def test_openapi_still_documents_the_hot_routes(ordos_api: httpx.Client) -> None:
    paths = ordos_api.get("/openapi.json").json()["paths"]

    def schema(path: str) -> dict[str, Any]:
        ok: dict[str, Any] = paths[path]["get"]["responses"]["200"]["content"]["application/json"]
        return ok.get("schema", {})

    assert schema("/api/v1/units/{code}") == {"$ref": "#/components/schemas/UnitOut"}
    assert schema("/api/v1/units/{code}/children")["items"] == {"$ref": "#/components/schemas/UnitRef"}
    for path in ("/api/v1/places/autocomplete", "/api/v1/reverse"):
        assert schema(path)["type"] == "object", path
    assert set(paths["/api/v1/places/search"]["get"]["responses"]["200"]["content"]) >= {"application/json", "text/csv"}
