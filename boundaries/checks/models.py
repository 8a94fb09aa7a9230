"""Tables of topology checks and their findings."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

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
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column

from boundaries.checks.topology import KINDS
from boundaries.units.models import LEVELS
from core.database import Base, NbsCode


class BoundaryCheck(Base):
    """One run of the topology check over the units of a level under a parent, with its tolerances."""

    __tablename__ = "boundary_check"
    __table_args__ = (
        CheckConstraint(f"level IN {LEVELS}", name="level"),
        CheckConstraint("gap_width_m >= 0 AND sliver_area_m2 >= 0", name="tolerances"),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    parent_code: Mapped[str | None] = mapped_column(NbsCode)
    level: Mapped[str] = mapped_column(Text)
    source: Mapped[str] = mapped_column(Text)
    as_of: Mapped[date] = mapped_column(Date)
    gap_width_m: Mapped[float] = mapped_column(Double)
    sliver_area_m2: Mapped[float] = mapped_column(Double)
    summary: Mapped[dict[str, Any]] = mapped_column(JSONB)
    created_by: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class BoundaryFinding(Base):
    """One finding of a check: a piece (or the location of an invalid ring) with its measures and units."""

    __tablename__ = "boundary_finding"
    __table_args__ = (CheckConstraint(f"kind IN {KINDS}", name="kind"),)

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    check_id: Mapped[int] = mapped_column(ForeignKey("boundary_check.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(Text)
    piece: Mapped[str] = mapped_column(Text)
    unit_codes: Mapped[list[str]] = mapped_column(ARRAY(Text))
    area_m2: Mapped[float | None] = mapped_column(Double)
    width_m: Mapped[float | None] = mapped_column(Double)
    thinness: Mapped[float | None] = mapped_column(Double)
    detail: Mapped[str] = mapped_column(Text)
    geom = mapped_column(Geometry("GEOMETRY", srid=4490, spatial_index=True), nullable=False)
