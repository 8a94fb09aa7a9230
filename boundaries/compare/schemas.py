"""Request and response models of the boundary-management API (comparisons)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, Field

from core.values import IsoDate


class CompareIn(BaseModel):
    """Two versions of the same units: two sources (``parent``, ``level``, ``first``, ``second``), or a claimed
    polygon of ``unit`` (``claim`` GeoJSON geometry in ``crs``) against the registered polygons."""

    parent: str | None = Field(None, description="parent of the units compared (with level and second)")
    level: str | None = Field(None, description="level of the units compared")
    first: str = Field("registered", description="'registered' or a polygon source name")
    second: str | None = Field(None, description="the other source, e.g. datav-2021")
    unit: str | None = Field(None, description="the unit a claim is for (with claim and crs)")
    claim: dict[str, Any] | None = Field(None, description="GeoJSON Polygon or MultiPolygon, east first")
    crs: str | None = Field(None, description="CRS of the claim: EPSG:4490/4326/4545/4546, GCJ-02 or BD-09")
    label: str = Field("claim", min_length=1, max_length=100, description="name of the claim's version")
    tolerance_m2: float = Field(10_000.0, ge=0, le=1e8, description="smaller pieces are not reported")
    as_of: IsoDate | None = None


class PieceOut(BaseModel):
    """Ground the two versions give to different units (null: to no unit), with what lies inside."""

    id: int
    first_unit: str | None
    second_unit: str | None
    area_m2: float
    point: list[float]
    geometry: dict[str, Any]
    places: list[dict[str, Any]] | None = Field(
        description="reference points inside when the comparison was made (null: not looked up then)"
    )
    facilities: list[dict[str, Any]] | None = Field(
        description="facilities inside when the comparison was made (null: not looked up then)"
    )


class ComparisonOut(BaseModel):
    """A stored comparison: totals, per pair of units, per shared line (Hausdorff, m), and the pieces."""

    id: int
    parent: dict[str, Any] | None
    level: str | None
    first: str
    second: str
    as_of: date
    tolerance_m2: float
    summary: dict[str, Any]
    created_by: str
    created_at: datetime
    pieces: list[PieceOut]
