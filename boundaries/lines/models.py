"""Tables of boundary lines and their markers (界桩)."""

from __future__ import annotations

from datetime import date, datetime

from geoalchemy2 import Geometry
from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Date,
    DateTime,
    Double,
    ForeignKey,
    Identity,
    Text,
    func,
)
from sqlalchemy.orm import Mapped, mapped_column

from core.database import Base, NbsCode

LINE_KINDS = ("shared", "outer")


MARKER_TYPES = ("single", "paired", "triple")


class BoundaryLine(Base):
    """A boundary line derived from registered polygons: the edge two neighbouring units share (``shared``), or
    the part of a unit's edge towards units outside its parent (``outer``, no right unit)."""

    __tablename__ = "boundary_line"
    __table_args__ = (
        CheckConstraint(f"kind IN {LINE_KINDS}", name="kind"),
        CheckConstraint("(kind = 'outer') = (right_code IS NULL)", name="outer_has_no_right_unit"),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    line_key: Mapped[str] = mapped_column(Text, unique=True)
    kind: Mapped[str] = mapped_column(Text)
    left_code: Mapped[str] = mapped_column(NbsCode, index=True)
    right_code: Mapped[str | None] = mapped_column(NbsCode, index=True)
    sources: Mapped[str] = mapped_column(Text)
    length_km: Mapped[float] = mapped_column(Double)
    agreement_ref: Mapped[str | None] = mapped_column(Text)
    as_of: Mapped[date] = mapped_column(Date)
    geom = mapped_column(Geometry("MULTILINESTRING", srid=4490, spatial_index=True), nullable=False)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class BoundaryMarker(Base):
    """A boundary marker (界桩) on a line, at its agreed position (kept as given, with its CRS, and in 4490)."""

    __tablename__ = "boundary_marker"
    __table_args__ = (CheckConstraint(f"marker_type IN {MARKER_TYPES}", name="marker_type"),)

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    number: Mapped[str] = mapped_column(Text, unique=True)
    line_id: Mapped[int] = mapped_column(ForeignKey("boundary_line.id"), index=True)
    marker_type: Mapped[str] = mapped_column(Text)
    agreed_x: Mapped[float] = mapped_column(Double)
    agreed_y: Mapped[float] = mapped_column(Double)
    agreed_crs: Mapped[str] = mapped_column(Text)
    description: Mapped[str] = mapped_column(Text, server_default="")
    geom = mapped_column(Geometry("POINT", srid=4490, spatial_index=True), nullable=False)
