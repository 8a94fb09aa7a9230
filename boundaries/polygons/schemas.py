"""Request and response models of the polygon routes."""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from pydantic import BaseModel, Field

from core.values import Coordinate, IsoDate


class PolygonIn(BaseModel):
    """A polygon version of a unit, given as a GeoJSON geometry in a stated CRS."""

    geometry: dict[str, Any] = Field(description="GeoJSON Polygon or MultiPolygon, east-first coordinates")
    crs: str = Field(description="EPSG:4490, EPSG:4326, EPSG:4545, EPSG:4546, GCJ-02 or BD-09")
    source: str = Field(min_length=1, max_length=200)
    status: Literal["registered", "reference", "claimed", "draft"] = "draft"
    valid_from: IsoDate
    on_invalid: Literal["refuse", "repair"] = "refuse"


class PolygonCreated(BaseModel):
    """The polygon version written."""

    id: int
    unit_code: str
    source: str
    status: str
    valid_from: date
    repair_note: str | None


class BatchPointsIn(BaseModel):
    """Many points in one CRS, east first."""

    crs: str = Field(default="EPSG:4326", description="EPSG:4490, EPSG:4326, EPSG:4545, EPSG:4546, GCJ-02 or BD-09")
    points: list[tuple[Coordinate, Coordinate]] = Field(min_length=1, max_length=200_000)
    as_of: IsoDate | None = Field(default=None, description="the date to answer for (YYYY-MM-DD); today when omitted")


class LocatedUnit(BaseModel):
    """A unit found at one or more of the points."""

    code: str
    name: str
    level: str
    kind: str


class BatchReverseOut(BaseModel):
    """Per point the index into ``units`` of the deepest unit whose registered polygon contains it."""

    crs: str
    as_of: date
    count: int
    found: int
    units: list[LocatedUnit]
    results: list[int | None]
