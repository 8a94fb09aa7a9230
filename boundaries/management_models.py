"""Tables of boundary management: topology checks and their findings, two-source comparisons and their
disputed pieces, boundary lines and markers, dispute cases and their timelines, inspection campaigns and
observations."""

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
    Integer,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column

from boundaries.models import LEVELS
from boundaries.topology import KINDS
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


LINE_KINDS = ("shared", "outer")
MARKER_TYPES = ("single", "paired", "triple")
DISPUTE_STATUSES = ("open", "mediating", "resolved")


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


MARKER_STATUSES = ("intact", "damaged", "moved", "missing", "rebuilt")
CLASSIFICATIONS = ("in_place", "displaced", "no_fix")


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
