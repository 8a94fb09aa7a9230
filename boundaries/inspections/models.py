"""Tables of inspection campaigns, observations and their photos."""

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
    Integer,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, mapped_column

from core.database import Base

MARKER_STATUSES = ("intact", "damaged", "moved", "missing", "rebuilt")


CLASSIFICATIONS = ("in_place", "displaced", "no_fix")
# The words the form and the report show for them, Chinese first.
STATUS_LABELS = {
    "intact": "完好 intact",
    "damaged": "损坏 damaged",
    "moved": "移位 moved",
    "missing": "丢失 missing",
    "rebuilt": "重建 rebuilt",
}
CLASS_LABELS = {"displaced": "超限移位 displaced", "in_place": "在位 in place", "no_fix": "无定位 no fix"}


class InspectionCampaign(Base):
    """A joint inspection (联合检查) of one or more lines over a period, by the parties and their inspectors."""

    __tablename__ = "inspection_campaign"
    __table_args__ = (
        CheckConstraint("period_end >= period_start", name="period_order"),
        CheckConstraint("tolerance_m > 0", name="tolerance_positive"),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    title: Mapped[str] = mapped_column(Text)
    line_ids: Mapped[list[int]] = mapped_column(ARRAY(BigInteger))
    parties: Mapped[list[str]] = mapped_column(ARRAY(Text))
    inspectors: Mapped[list[str]] = mapped_column(ARRAY(Text))
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)
    tolerance_m: Mapped[float] = mapped_column(Double)
    created_by: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class InspectionObservation(Base):
    """What an inspector found at a marker (status, GNSS fix, displacement from the agreed position) or along a
    line (notes on hazards). ``submission_id`` makes a resubmission of the same report harmless."""

    __tablename__ = "inspection_observation"
    __table_args__ = (
        CheckConstraint(f"marker_status IS NULL OR marker_status IN {MARKER_STATUSES}", name="marker_status"),
        CheckConstraint(f"classification IS NULL OR classification IN {CLASSIFICATIONS}", name="classification"),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    submission_id: Mapped[str] = mapped_column(Text, unique=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("inspection_campaign.id"), index=True)
    line_id: Mapped[int] = mapped_column(ForeignKey("boundary_line.id"))
    marker_id: Mapped[int | None] = mapped_column(ForeignKey("boundary_marker.id"))
    marker_status: Mapped[str | None] = mapped_column(Text)
    fix_x: Mapped[float | None] = mapped_column(Double)
    fix_y: Mapped[float | None] = mapped_column(Double)
    fix_crs: Mapped[str | None] = mapped_column(Text)
    displacement_m: Mapped[float | None] = mapped_column(Double)
    bearing_deg: Mapped[float | None] = mapped_column(Double)
    classification: Mapped[str | None] = mapped_column(Text)
    notes: Mapped[str] = mapped_column(Text, server_default="")
    observed_on: Mapped[date] = mapped_column(Date)
    submitted_by: Mapped[str] = mapped_column(Text)
    submitted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    geom = mapped_column(Geometry("POINT", srid=4490, spatial_index=False), nullable=True)


PHOTO_MEDIA_TYPES = ("image/jpeg", "image/png")


class ObservationPhoto(Base):
    """A photo of an observation: the file lives outside the database (under the photo folder, named by its
    SHA-256); the row keeps its number within the observation, type, size and checksum."""

    __tablename__ = "observation_photo"
    __table_args__ = (
        CheckConstraint(f"media_type IN {PHOTO_MEDIA_TYPES}", name="media_type"),
        CheckConstraint("seq BETWEEN 1 AND 20", name="seq_range"),
        UniqueConstraint("observation_id", "seq"),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    observation_id: Mapped[int] = mapped_column(ForeignKey("inspection_observation.id"), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    media_type: Mapped[str] = mapped_column(Text)
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(Text)
    path: Mapped[str] = mapped_column(Text)
    original_name: Mapped[str] = mapped_column(Text, server_default="")
    uploaded_by: Mapped[str] = mapped_column(Text)
    uploaded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
