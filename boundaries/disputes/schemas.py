"""Request and response models of the boundary-management API (dispute cases)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from core.values import IsoDate


class DocumentIn(BaseModel):
    """A document of a dispute case."""

    title: str = Field(min_length=1, max_length=300)
    reference: str | None = Field(None, max_length=300)
    issued_on: IsoDate | None = None


class DisputeIn(BaseModel):
    """A new dispute case."""

    title: str = Field(min_length=1, max_length=300)
    units: list[str] = Field(min_length=1, max_length=20, description="codes of the units involved")
    opened_on: IsoDate
    geometry: dict[str, Any] | None = Field(None, description="the disputed ground: GeoJSON Polygon/MultiPolygon")
    crs: str | None = Field(None, description="CRS of the geometry")
    documents: list[DocumentIn] = Field(default_factory=list)
    check_id: int | None = Field(None, description="the topology check that found it")
    comparison_id: int | None = Field(None, description="the comparison that found it")
    piece_ids: list[int] = Field(
        default_factory=list, max_length=1000, description="the disputed pieces of that comparison the case is about"
    )
    note: str = Field("", max_length=2000)


class DisputeUpdate(BaseModel):
    """A change of a dispute case: new status, added documents and/or a note, dated."""

    version: int = Field(ge=1, description="the version read (a stale version is refused with 409)")
    on_date: IsoDate
    status: str | None = None
    add_documents: list[DocumentIn] = Field(default_factory=list)
    note: str = Field("", max_length=2000)
