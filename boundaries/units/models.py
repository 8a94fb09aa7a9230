"""Administrative units (dated versions of NBS codes) and their versioned polygons."""

from __future__ import annotations

from datetime import date

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Computed,
    Date,
    Identity,
    Index,
    Text,
    UniqueConstraint,
    cast,
    column,
    text,
)
from sqlalchemy.dialects.postgresql import DATERANGE, ExcludeConstraint
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.sql.elements import Cast

from core.database import Base, NbsCode

LEVELS = ("province", "city", "county", "township", "village")
PERIOD = "daterange(valid_from, valid_to, '[)')"


# Exclusion constraints compare codes as numbers: a GiST over int8 is ~5x faster to build than over text.
def code_as_number(name: str) -> Cast[int]:
    """The code column cast to bigint, for the exclusion constraints."""
    return cast(column(name), BigInteger)


class AdminUnit(Base):
    """One dated version of an administrative unit, keyed by its 12-digit NBS code.

    ``parent_code`` is a code, not a foreign key: a partial load (Ordos alone) may name a parent
    that is not loaded, and parents are resolved at the date asked.
    """

    __tablename__ = "admin_unit"
    __table_args__ = (
        UniqueConstraint("code", "valid_from"),
        CheckConstraint("code ~ '^[0-9]{12}$'", name="code_digits"),
        CheckConstraint("parent_code IS NULL OR parent_code ~ '^[0-9]{12}$'", name="parent_code_digits"),
        CheckConstraint(f"level IN {LEVELS}", name="level"),
        CheckConstraint("valid_to IS NULL OR valid_to > valid_from", name="period_order"),
        CheckConstraint("length(btrim(name)) > 0", name="name_not_blank"),
        ExcludeConstraint(
            (code_as_number("code"), "="), ("period", "&&"), name="ex_admin_unit_code_period", using="gist"
        ),
        # A level's units in id order: the OGC collections' first pages (units-<level>) read them in key order.
        Index("ix_admin_unit_level_id", "level", "id", postgresql_where=text("NOT is_grouping")),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    code: Mapped[str] = mapped_column(NbsCode)
    name: Mapped[str] = mapped_column(Text)
    level: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(Text)
    is_grouping: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))
    parent_code: Mapped[str | None] = mapped_column(NbsCode, index=True)
    valid_from: Mapped[date] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date)
    period = mapped_column(DATERANGE, Computed(PERIOD, persisted=True))
