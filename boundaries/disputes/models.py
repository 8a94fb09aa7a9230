"""Tables of dispute cases and their timelines."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from geoalchemy2 import Geometry
from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Identity,
    Text,
    func,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column

from core.database import Base

DISPUTE_STATUSES = ("open", "mediating", "resolved")
OPEN_DISPUTE_STATUSES = ("open", "mediating")  # a case not resolved: the one definition of "open" the others use


class DisputeCase(Base):
    """A boundary dispute (平安边界): units, disputed ground, status, documents; linked to what found it."""

    __tablename__ = "dispute_case"
    __table_args__ = (CheckConstraint(f"status IN {DISPUTE_STATUSES}", name="status"),)

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    title: Mapped[str] = mapped_column(Text)
    unit_codes: Mapped[list[str]] = mapped_column(ARRAY(Text))
    status: Mapped[str] = mapped_column(Text)
    documents: Mapped[list[dict[str, Any]]] = mapped_column(JSONB)
    check_id: Mapped[int | None] = mapped_column(ForeignKey("boundary_check.id"))
    comparison_id: Mapped[int | None] = mapped_column(ForeignKey("boundary_comparison.id"))
    # The disputed pieces of that comparison the case is about (ids of disputed_piece).
    piece_ids: Mapped[list[int]] = mapped_column(ARRAY(BigInteger), server_default="{}")
    geom = mapped_column(Geometry("MULTIPOLYGON", srid=4490, spatial_index=True), nullable=True)
    created_by: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    version: Mapped[int] = mapped_column(BigInteger, server_default="1")


class DisputeEvent(Base):
    """One dated entry of a dispute case's timeline."""

    __tablename__ = "dispute_event"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("dispute_case.id", ondelete="CASCADE"), index=True)
    on_date: Mapped[date] = mapped_column(Date)
    kind: Mapped[str] = mapped_column(Text)
    note: Mapped[str] = mapped_column(Text)
    actor: Mapped[str] = mapped_column(Text)
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
