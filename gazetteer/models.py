"""Reference points of places (populated places, approximate unit points) from imported files."""

from __future__ import annotations

from typing import Any

from geoalchemy2 import Geometry
from sqlalchemy import BigInteger, CheckConstraint, Identity, Text, UniqueConstraint
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from core.database import Base, NbsCode


class ReferencePoint(Base):
    """A named point from a source file, matched to a unit code where that could be done.

    ``unit_code`` is the unit the point stands for (a township or village seat), or NULL when the
    point could not be matched; ``properties`` keeps the source row's other columns and the match method.
    """

    __tablename__ = "reference_point"
    __table_args__ = (
        UniqueConstraint("source", "external_id"),
        CheckConstraint("unit_code IS NULL OR unit_code ~ '^[0-9]{12}$'", name="unit_code_digits"),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    source: Mapped[str] = mapped_column(Text)
    external_id: Mapped[str] = mapped_column(Text)
    name: Mapped[str] = mapped_column(Text, index=True)
    category: Mapped[str | None] = mapped_column(Text)
    unit_code: Mapped[str | None] = mapped_column(NbsCode, index=True)
    unit_level: Mapped[str | None] = mapped_column(Text)
    geom = mapped_column(Geometry("POINT", srid=4490, spatial_index=True), nullable=False)
    properties: Mapped[dict[str, Any]] = mapped_column(JSONB)
