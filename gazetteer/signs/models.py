"""Place-name signs (地名标志): where each stands, what it prints, its photo and condition, the place it names."""

from __future__ import annotations

from datetime import date, datetime

from geoalchemy2 import Geometry
from sqlalchemy import BigInteger, CheckConstraint, Date, DateTime, ForeignKey, Identity, Integer, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from core.database import Base

SIGN_CONDITIONS = ("good", "faded", "damaged", "missing")


class PlaceSign(Base):
    """One sign of the inventory, keyed by the office's inventory number.

    ``printed_name`` and ``printed_romanization`` are what the sign actually says (checked against the standard
    name and its romanization); the photo is a file outside the database named by its SHA-256 (``photo_path``
    relative to the photo folder).
    """

    __tablename__ = "place_sign"
    __table_args__ = (
        CheckConstraint(f"condition IN {SIGN_CONDITIONS}", name="condition"),
        CheckConstraint("length(btrim(inventory_no)) > 0", name="inventory_no_not_blank"),
        CheckConstraint("length(btrim(printed_name)) > 0", name="printed_name_not_blank"),
        CheckConstraint("(photo_sha256 IS NULL) = (photo_path IS NULL)", name="photo_complete"),
        CheckConstraint("version > 0", name="version_positive"),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    inventory_no: Mapped[str] = mapped_column(Text, unique=True)
    place_name_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("place_name.id"), index=True)
    printed_name: Mapped[str] = mapped_column(Text)
    printed_romanization: Mapped[str | None] = mapped_column(Text)
    condition: Mapped[str] = mapped_column(Text)
    installed_on: Mapped[date | None] = mapped_column(Date)
    geom = mapped_column(Geometry("POINT", srid=4490, spatial_index=True), nullable=False)
    source_crs: Mapped[str] = mapped_column(Text)
    notes: Mapped[str | None] = mapped_column(Text)
    photo_sha256: Mapped[str | None] = mapped_column(Text)
    photo_media_type: Mapped[str | None] = mapped_column(Text)
    photo_size_bytes: Mapped[int | None] = mapped_column(BigInteger)
    photo_path: Mapped[str | None] = mapped_column(Text)
    photo_name: Mapped[str | None] = mapped_column(Text)
    version: Mapped[int] = mapped_column(Integer, server_default=text("1"))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=text("now()"))
