"""core.database.driver_cursor: a statement sent on psycopg's own cursor fails as any statement does — its driver
error reaches translated_db_errors as SQLAlchemy's and becomes the service's 422 or 503 — and its connection is
rolled back and used again."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, text

from core.database import driver_cursor, translated_db_errors
from core.errors import InvalidInput, ServiceUnavailable


def test_rows_come_as_dicts_with_psycopg_parameters(shared_ordos_engine: Engine) -> None:
    with shared_ordos_engine.connect() as conn, driver_cursor(conn) as cursor:
        cursor.execute("SELECT %(code)s::text AS code, %(codes)s::text[] AS codes", {"code": "15", "codes": ["1506"]})
        assert cursor.fetchall() == [{"code": "15", "codes": ["1506"]}]


def test_a_driver_error_is_the_services_error_and_the_connection_goes_on(shared_ordos_engine: Engine) -> None:
    with shared_ordos_engine.connect() as conn:
        with pytest.raises(InvalidInput, match="division by zero"), translated_db_errors(), driver_cursor(conn) as cur:
            cur.execute("SELECT 1 / %(zero)s::int", {"zero": 0})
        conn.rollback()
        conn.execute(text("SET statement_timeout = 50"))
        with pytest.raises(ServiceUnavailable, match="statement timeout"), translated_db_errors():
            with driver_cursor(conn) as cursor:
                cursor.execute("SELECT pg_sleep(1)")
        conn.rollback()
        assert conn.execute(text("SELECT 1")).scalar_one() == 1
