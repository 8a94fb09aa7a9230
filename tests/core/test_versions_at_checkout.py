"""The server's connections read the data versions as the pool hands them out (core.data_version.read_on_checkout):
that read stands in for the pool's pre-ping (issue 14: one round trip fewer per tagged request), so a connection the
database dropped must still be replaced before a request uses it, and a tag must still follow the data."""

from __future__ import annotations

from fastapi import FastAPI
from sqlalchemy import Engine, event, text

from tests.conftest import LiveServer, server_config

UNIT = "/api/v1/units/150603"


def test_connections_the_database_dropped_are_replaced(ordos_engine: Engine) -> None:
    url = ordos_engine.url.render_as_string(hide_password=False)
    with LiveServer(url, server_config(url)) as api:
        for path in (UNIT, "/health", "/api/v1/places/search?q=东胜区"):
            assert api.get(path).status_code == 200, path  # the pool now holds connections
        with ordos_engine.connect() as conn:
            dropped = conn.execute(
                text(
                    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = current_database()"
                    " AND pid <> pg_backend_pid() AND backend_type = 'client backend'"
                )
            ).scalar_one()
        assert dropped >= 1
        for path in (UNIT, "/health", "/api/v1/places/search?q=东胜区", UNIT):
            answer = api.get(path)
            assert answer.status_code == 200, (path, answer.text)


def test_a_tagged_request_makes_one_round_trip_before_its_data(ordos_engine: Engine) -> None:
    url = ordos_engine.url.render_as_string(hide_password=False)
    server = LiveServer(url, server_config(url))
    with server as api:
        assert api.get(UNIT).status_code == 200
        tag = api.get(UNIT).headers["etag"]
        statements: list[str] = []
        app = server.server.config.app
        assert isinstance(app, FastAPI)
        engine = app.state.engine

        @event.listens_for(engine, "before_cursor_execute")
        def count(conn: object, cursor: object, statement: str, *args: object) -> None:
            statements.append(statement)

        assert api.get(UNIT, headers={"If-None-Match": tag}).status_code == 304
        assert statements == []  # the versions came with the connection: no statement at all for a 304
        event.remove(engine, "before_cursor_execute", count)
