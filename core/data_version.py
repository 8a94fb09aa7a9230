"""Data versions: one counter per context, bumped once by every committed transaction that wrote to its tables.

Each context table carries a statement trigger (migration 0019) that notes the context in ``data_change`` once per
transaction; a deferred trigger turns the notes into ``data_version`` bumps at commit, so the counter row is locked
only while committing and a rolled-back transaction bumps nothing. A reader takes the versions before its data
(see core.conditional): an answer is never newer than the version it is tagged with, at worst older, which only
costs the client a full answer.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import psycopg
from sqlalchemy import BigInteger, Engine, Identity, Text, event, text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.orm import Mapped, mapped_column

from core.database import Base

CONTEXTS = ("boundaries", "gazetteer", "facilities", "divisions")


class DataVersion(Base):
    """The version of one context's data."""

    __tablename__ = "data_version"

    context: Mapped[str] = mapped_column(Text, primary_key=True)
    version: Mapped[int] = mapped_column(BigInteger, server_default=text("0"))


class DataChange(Base):
    """A context written by a transaction not yet committed (emptied by the commit trigger)."""

    __tablename__ = "data_change"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    context: Mapped[str] = mapped_column(Text)


def versions(conn: Connection, contexts: Sequence[str]) -> str:
    """The committed versions of ``contexts`` as one token (``12.7``, in the order given)."""
    rows = conn.execute(
        text("SELECT context, version FROM data_version WHERE context = ANY(:contexts)"), {"contexts": list(contexts)}
    )
    return _token({row.context: row.version for row in rows}, contexts)


def _token(found: Mapping[str, int], contexts: Sequence[str]) -> str:
    return ".".join(str(found.get(c, 0)) for c in contexts)


CHECKED_OUT = "gaz.data_versions"  # key of the versions read at checkout in the connection's info


def read_on_checkout(engine: Engine) -> None:
    """Read every context's version whenever ``engine``'s pool hands out a connection (versions_at_checkout). The
    read is also the connection's liveness check: a connection that fails it is replaced, as SQLAlchemy's
    pessimistic disconnect handling does (a checkout listener raising DisconnectionError), so the engine needs no
    pre-ping and a tagged request makes one round trip before its data instead of two."""
    event.listen(engine, "checkout", _read_versions)


def _read_versions(dbapi_connection: Any, record: Any, proxy: Any) -> None:
    try:
        autocommit = dbapi_connection.autocommit
        dbapi_connection.autocommit = True  # a read of its own: no transaction left open
        with dbapi_connection.cursor() as cursor:
            cursor.execute("SELECT context, version FROM data_version")
            record.info[CHECKED_OUT] = dict(cursor.fetchall())
        dbapi_connection.autocommit = autocommit
    except (psycopg.OperationalError, psycopg.InterfaceError) as exc:
        raise DisconnectionError(f"connection lost: {exc}") from exc


def versions_at_checkout(conn: Connection, contexts: Sequence[str]) -> str:
    """The versions of ``contexts`` as one token (as versions gives), read when ``conn`` was checked out from an
    engine set up by read_on_checkout."""
    return _token(conn.info[CHECKED_OUT], contexts)
