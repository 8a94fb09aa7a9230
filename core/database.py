"""Engine, metadata base, connection scopes and the one place driver errors are translated."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine, MetaData, String, create_engine, text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DataError, DBAPIError, IntegrityError, OperationalError
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


def make_engine(settings: Settings, url: str | None = None) -> Engine:
    """Engine for the configured database, or for ``url`` (a replica), pool sized from the settings."""
    return create_engine(
        url or settings.database_url,
        pool_size=settings.pool_size,
        max_overflow=settings.pool_size,
        pool_pre_ping=True,
        # psycopg prepares a statement run five times on a connection; PostgreSQL then switches to a generic plan
        # when it does not look dearer, and for `period @> $date` it guesses 0.5 % of rows instead of nearly all:
        # a 0.2 ms children count became a 260 ms scan of the 665k-row period index. Plan every execution.
        connect_args={
            "connect_timeout": settings.connect_timeout_s,
            "options": "-c plan_cache_mode=force_custom_plan",
        },
    )


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
    except OperationalError as exc:
        raise ServiceUnavailable(f"database unavailable: {str(exc.orig).splitlines()[0]}") from exc
    except DBAPIError as exc:
        sqlstate = getattr(exc.orig, "sqlstate", None) or ""
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
