"""Tables of division-change applications (区划调整申请) and the units they propose."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from geoalchemy2 import Geometry
from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Identity,
    SmallInteger,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column

from core.database import Base, NbsCode

KINDS = ("set_up", "rename", "merge", "split", "upgrade", "abolish")
STATUSES = ("draft", "submitted", "approved", "applied", "withdrawn")


class DivisionApplication(Base):
    """An application to change township-level units of one county: what it touches, its documents, its state in
    the workflow (draft → submitted → approved → applied, or withdrawn before it is applied) and its approval."""

    __tablename__ = "division_application"
    __table_args__ = (
        CheckConstraint(f"kind IN {KINDS}", name="kind"),
        CheckConstraint(f"status IN {STATUSES}", name="status"),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    kind: Mapped[str] = mapped_column(Text)
    title: Mapped[str] = mapped_column(Text)
    county_code: Mapped[str] = mapped_column(NbsCode, index=True)
    touched_codes: Mapped[list[str]] = mapped_column(ARRAY(Text))
    effective_date: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(Text, server_default="draft")
    documents: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, server_default="[]")
    # The ground of the 1984 relaxation (少数民族地区、人口稀少的边远地区…) the application claims, if any.
    relaxation_ground: Mapped[str | None] = mapped_column(Text)
    note: Mapped[str] = mapped_column(Text, server_default="")
    approved_by: Mapped[str | None] = mapped_column(Text)
    approving_body: Mapped[str | None] = mapped_column(Text)
    document_number: Mapped[str | None] = mapped_column(Text)
    approval_date: Mapped[date | None] = mapped_column(Date)
    applied_by: Mapped[str | None] = mapped_column(Text)
    applied_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    result: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    created_by: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    version: Mapped[int] = mapped_column(BigInteger, server_default="1")


class ProposedUnit(Base):
    """A unit as the application would leave it: a kept or a new code, name, kind, seat, supporting figures, the
    villages allocated to it and/or a drawn polygon (EPSG:4490)."""

    __tablename__ = "division_proposed_unit"
    __table_args__ = (UniqueConstraint("application_id", "position"),)

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("division_application.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(SmallInteger)
    code: Mapped[str] = mapped_column(NbsCode)
    code_kept: Mapped[bool] = mapped_column(Boolean)
    name: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(Text)
    seat: Mapped[str | None] = mapped_column(Text)
    figures: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default="{}")
    villages: Mapped[list[str]] = mapped_column(ARRAY(Text), server_default="{}")
    geom = mapped_column(Geometry("MULTIPOLYGON", srid=4490, spatial_index=False), nullable=True)
