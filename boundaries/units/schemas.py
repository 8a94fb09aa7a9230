"""Request and response models of the boundaries API."""

from __future__ import annotations

from datetime import date
from typing import Any

from pydantic import BaseModel, Field


class UnitRef(BaseModel):
    """A unit version in short."""

    code: str = Field(description="12-digit NBS code")
    name: str
    level: str
    kind: str
    valid_from: date
    valid_to: date | None


class UnitPolygonOut(BaseModel):
    """The registered polygon of a unit on the date asked."""

    source: str
    status: str
    valid_from: date
    valid_to: date | None
    area_km2: float = Field(description="area on the CGCS2000 ellipsoid")
    crs: str
    geometry: dict[str, Any]


class UnitOut(UnitRef):
    """A unit with its parent path, children count and registered polygon."""

    is_grouping: bool
    parent_code: str | None
    path: list[UnitRef] = Field(description="loaded ancestors, top first")
    children_count: int
    polygon: UnitPolygonOut | None
