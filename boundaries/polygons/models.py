"""Versioned polygons of the administrative units, by source and status."""

from __future__ import annotations

from datetime import date, datetime

from geoalchemy2 import Geometry
from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Computed,
    Date,
    DateTime,
    Identity,
    Index,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import DATERANGE, ExcludeConstraint
from sqlalchemy.orm import Mapped, mapped_column

from boundaries.units.models import PERIOD, code_as_number
from core.database import Base, NbsCode

POLYGON_STATUSES = ("registered", "reference", "claimed", "draft")


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
