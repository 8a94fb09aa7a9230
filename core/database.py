"""Engine, metadata base, connection scopes and the one place driver errors are translated."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, cast

import psycopg
from psycopg.rows import dict_row
from sqlalchemy import Engine, MetaData, String, create_engine, text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DataError, DBAPIError, IntegrityError, InterfaceError, OperationalError
from sqlalchemy.orm import DeclarativeBase

from core.errors import Conflict, GazError, InvalidInput, ServiceUnavailable
from core.settings import Settings

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


# 12-digit NBS codes compare byte-wise (C collation): fast btree/GiST and index-backed prefix LIKE.
NbsCode = String(12, collation="C")


class Base(DeclarativeBase):
    """Declarative base shared by every context's tables."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def make_engine(
    settings: Settings, url: str | None = None, *, statement_timeout_s: int | None = None, pre_ping: bool = True
) -> Engine:
    """Engine for the configured database, or for ``url`` (a replica), pool sized from the settings.

    Every connection carries server-side limits, so no session can hold a lock for minutes: a statement is cancelled
    after ``statement_timeout_s`` (default the request limit ``GAZ_STATEMENT_TIMEOUT_S``; the CLI passes the import
    limit), a lock is waited for at most ``GAZ_LOCK_TIMEOUT_S``, and a session idle inside an open transaction is
    ended after ``GAZ_IDLE_IN_TRANSACTION_TIMEOUT_S``. A connection is checked with a round trip as the pool hands it
    out (``pre_ping``), unless the caller checks it another way (the server: core.web.request_engine).
    """
    limits = {
        "statement_timeout": 1000 * (statement_timeout_s or settings.statement_timeout_s),
        "lock_timeout": 1000 * settings.lock_timeout_s,
        "idle_in_transaction_session_timeout": 1000 * settings.idle_in_transaction_timeout_s,
        # psycopg prepares a statement run five times on a connection; PostgreSQL then switches to a generic plan
        # when it does not look dearer, and for `period @> $date` it guesses 0.5 % of rows instead of nearly all:
        # a 0.2 ms children count became a 260 ms scan of the 665k-row period index. Plan every execution.
        "plan_cache_mode": "force_custom_plan",
    }
    return create_engine(
        url or settings.database_url,
        # up to 2 x GAZ_POOL_SIZE connections, every one kept once opened: an overflow connection closed after each
        # burst took its backend's cached plans with it, and the next burst planned every statement again
        pool_size=2 * settings.pool_size,
        max_overflow=0,
        pool_pre_ping=pre_ping,
        pool_timeout=settings.slot_wait_s,
        connect_args={
            "connect_timeout": settings.connect_timeout_s,
            "options": " ".join(f"-c {name}={value}" for name, value in limits.items()),
        },
    )


def hold_import_lock(conn: Connection, importer: str, source: str) -> None:
    """Take the per-source import lock for the rest of ``conn``'s transaction, or refuse at once (409) when another
    import of the same source holds it: two imports of one file never race, and the second caller is told why."""
    key = f"import:{importer}:{source}"
    taken = conn.execute(text("SELECT pg_try_advisory_xact_lock(hashtextextended(:key, 0))"), {"key": key}).scalar_one()
    if not taken:
        raise Conflict(f"an import of this source is running: {source!r} ({importer}); try again when it has finished")


# Lock waits and cancellations from the connection limits set in make_engine (PostgreSQL error codes, Appendix A).
LOCK_SQLSTATES = {
    "55P03": "the rows are locked by another writer longer than the lock timeout",
    "40001": "a concurrent write changed the same rows",
    "40P01": "a concurrent write waited on this one (deadlock)",
}
CANCELLED_SQLSTATES = {
    "57014": "the statement ran past the statement timeout and was cancelled",
    "25P03": "the transaction stayed idle past the idle-in-transaction timeout",
    "57P01": "the database is shutting down",
}


def _first_line(exc: DBAPIError) -> str:
    return (str(exc.orig).splitlines() or [""])[0]


@contextmanager
def driver_cursor(conn: Connection) -> Iterator[psycopg.Cursor[dict[str, Any]]]:
    """A cursor of ``conn``'s own psycopg connection giving rows as dicts, for a hot statement sent without
    SQLAlchemy's execution and result layers (the search's: 0.15-0.2 ms less client CPU per call, measured). Its
    statements use psycopg's ``%(name)s`` parameters; its driver errors are raised as SQLAlchemy's, so
    ``translated_db_errors`` and the connection's rollback treat them as those of any other statement."""
    if not conn.in_transaction():
        conn.begin()  # as SQLAlchemy's own statements would: its commit and rollback then reach the driver's
    driver = cast(psycopg.Connection[Any], conn.connection.driver_connection)
    try:
        with driver.cursor(row_factory=dict_row) as cursor:
            yield cursor
    except psycopg.Error as exc:
        raise DBAPIError.instance(None, None, exc, psycopg.Error) from exc


@contextmanager
def translated_db_errors() -> Iterator[None]:
    """Turn driver errors into the service's error tree (unique/exclusion -> 409, check -> 422)."""
    try:
        yield
    except GazError:
        raise
    except IntegrityError as exc:
        sqlstate = getattr(exc.orig, "sqlstate", None)
        diag = getattr(exc.orig, "diag", None)
        message = getattr(diag, "message_primary", None) or str(exc.orig).splitlines()[0]
        detail = getattr(diag, "message_detail", None)
        text_ = f"{message}" + (f" ({detail})" if detail else "")
        if sqlstate in ("23505", "23P01"):
            raise Conflict(text_) from exc
        raise InvalidInput(text_) from exc
    except DBAPIError as exc:
        sqlstate = getattr(exc.orig, "sqlstate", None) or ""
        if sqlstate in LOCK_SQLSTATES:
            raise Conflict(f"{LOCK_SQLSTATES[sqlstate]}: try again") from exc
        if sqlstate in CANCELLED_SQLSTATES:
            raise ServiceUnavailable(f"{CANCELLED_SQLSTATES[sqlstate]}: nothing was changed") from exc
        if isinstance(exc, OperationalError | InterfaceError) or exc.connection_invalidated:
            raise ServiceUnavailable(f"database unavailable: {_first_line(exc)}") from exc
        # data exception: a bad value reached SQL, or the driver refused to send it (a NUL character)
        if sqlstate.startswith("22") or isinstance(exc, DataError):
            raise InvalidInput(str(exc.orig).splitlines()[0]) from exc
        raise


@contextmanager
def transaction(engine: Engine) -> Iterator[Connection]:
    """A connection inside one transaction, committed on success, with translated errors."""
    with translated_db_errors(), engine.begin() as conn:
        yield conn


def postgis_version(conn: Connection) -> str:
    """The PostGIS library version of the connected database."""
    return str(conn.execute(text("SELECT postgis_lib_version()")).scalar_one())
