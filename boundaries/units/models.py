"""Administrative units (dated versions of NBS codes) and their versioned polygons."""

from __future__ import annotations

from datetime import date, datetime

from geoalchemy2 import Geometry
from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Computed,
    Date,
    DateTime,
    Identity,
    Index,
    Text,
    UniqueConstraint,
    cast,
    column,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import DATERANGE, ExcludeConstraint
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.sql.elements import Cast

from core.database import Base, NbsCode

LEVELS = ("province", "city", "county", "township", "village")
POLYGON_STATUSES = ("registered", "reference", "claimed", "draft")
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


class UnitPolygon(Base):
    """A polygon of a unit from one source, with a status and its own validity dates.

    At most one ``registered`` polygon per unit on any date (exclusion constraint). When an
    import repaired the geometry, the original is kept in ``original_geom`` with ``repair_note``.
    """

    __tablename__ = "unit_polygon"
    __table_args__ = (
        UniqueConstraint("unit_code", "source", "valid_from"),
        CheckConstraint("unit_code ~ '^[0-9]{12}$'", name="unit_code_digits"),
        CheckConstraint(f"status IN {POLYGON_STATUSES}", name="status"),
        CheckConstraint("valid_to IS NULL OR valid_to > valid_from", name="period_order"),
        CheckConstraint("ST_IsValid(geom) AND NOT ST_IsEmpty(geom)", name="geom_valid"),
        ExcludeConstraint(
            (code_as_number("unit_code"), "="),
            ("period", "&&"),
            name="ex_unit_polygon_registered_period",
            using="gist",
            where=text("status = 'registered'"),
        ),
        # A source's polygons in id order: the first pages of the OGC collections polygons-<source>.
        Index("ix_unit_polygon_source_id", "source", "id"),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    unit_code: Mapped[str] = mapped_column(NbsCode, index=True)
    source: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(Text)
    geom = mapped_column(Geometry("MULTIPOLYGON", srid=4490, spatial_index=True), nullable=False)
    original_geom = mapped_column(Geometry("GEOMETRY", srid=4490, spatial_index=False), nullable=True)
    repair_note: Mapped[str | None] = mapped_column(Text)
    valid_from: Mapped[date] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date)
    period = mapped_column(DATERANGE, Computed(PERIOD, persisted=True))
    imported_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
