"""Tables of two-source comparisons and their disputed pieces."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from geoalchemy2 import Geometry
from sqlalchemy import (
    BigInteger,
    Date,
    DateTime,
    Double,
    ForeignKey,
    Identity,
    Text,
    func,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from core.database import Base, NbsCode


class BoundaryComparison(Base):
    """One comparison of two versions of the same units (two sources, or a claim against the registered)."""

    __tablename__ = "boundary_comparison"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    parent_code: Mapped[str | None] = mapped_column(NbsCode)
    level: Mapped[str | None] = mapped_column(Text)
    first_label: Mapped[str] = mapped_column(Text)
    second_label: Mapped[str] = mapped_column(Text)
    as_of: Mapped[date] = mapped_column(Date)
    tolerance_m2: Mapped[float] = mapped_column(Double)
    summary: Mapped[dict[str, Any]] = mapped_column(JSONB)
    created_by: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class DisputedPiece(Base):
    """Ground that two versions give to different units (``None`` where a version gives it to none)."""

    __tablename__ = "disputed_piece"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    comparison_id: Mapped[int] = mapped_column(ForeignKey("boundary_comparison.id", ondelete="CASCADE"), index=True)
    first_unit: Mapped[str | None] = mapped_column(NbsCode)
    second_unit: Mapped[str | None] = mapped_column(NbsCode)
    area_m2: Mapped[float] = mapped_column(Double)
    geom = mapped_column(Geometry("MULTIPOLYGON", srid=4490, spatial_index=True), nullable=False)
    # What lay inside the piece when the comparison was made (None: not looked up, e.g. made before 0007).
    places: Mapped[list[dict[str, Any]] | None] = mapped_column(JSONB)
    facilities: Mapped[list[dict[str, Any]] | None] = mapped_column(JSONB)
