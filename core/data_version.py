"""Data versions: one counter per context, bumped once by every committed transaction that wrote to its tables.

Each context table carries a statement trigger (migration 0019) that notes the context in ``data_change`` once per
transaction; a deferred trigger turns the notes into ``data_version`` bumps at commit, so the counter row is locked
only while committing and a rolled-back transaction bumps nothing. A reader takes the versions before its data
(see core.conditional): an answer is never newer than the version it is tagged with, at worst older, which only
costs the client a full answer.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import BigInteger, Identity, Text, text
from sqlalchemy.engine import Connection
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
    found = {row.context: row.version for row in rows}
    return ".".join(str(found.get(c, 0)) for c in contexts)
