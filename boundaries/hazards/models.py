"""Tables of the imported hazard layers: a named polygon layer with its kind (mining areas, construction permits,
...), and its polygons."""

from __future__ import annotations

from datetime import datetime

from geoalchemy2 import Geometry
from sqlalchemy import BigInteger, CheckConstraint, DateTime, Float, ForeignKey, Identity, Integer, Text, func
from sqlalchemy.orm import Mapped, mapped_column

from core.database import Base

HAZARD_LAYER_KINDS = ("mining", "construction_permit", "other")


class HazardLayer(Base):
    """One imported hazard layer: its name (a re-import under the name replaces it), kind and where it came from."""

    __tablename__ = "hazard_layer"
    __table_args__ = (CheckConstraint(f"kind IN {HAZARD_LAYER_KINDS}", name="kind"),)

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    name: Mapped[str] = mapped_column(Text, unique=True)
    kind: Mapped[str] = mapped_column(Text)
    file_name: Mapped[str] = mapped_column(Text)
    checksum: Mapped[str] = mapped_column(Text)
    source_crs: Mapped[str] = mapped_column(Text)
    imported_by: Mapped[str] = mapped_column(Text)
    imported_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class HazardArea(Base):
    """One polygon of a hazard layer (EPSG:4490), with its feature number in the file and its label."""

    __tablename__ = "hazard_area"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    layer_id: Mapped[int] = mapped_column(ForeignKey("hazard_layer.id", ondelete="CASCADE"), index=True)
    feature: Mapped[int] = mapped_column(Integer)
    label: Mapped[str] = mapped_column(Text)
    area_m2: Mapped[float] = mapped_column(Float)
    geom = mapped_column(Geometry("MULTIPOLYGON", srid=4490, spatial_index=True), nullable=False)
