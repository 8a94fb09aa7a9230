"""Request and response models of the boundary-management API (checks)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, Field

from boundaries.checks.service import MAX_GAP_WIDTH_M, MAX_SLIVER_AREA_M2
from core.values import IsoDate


class CheckIn(BaseModel):
    """What to check: the units of ``level`` under ``parent``, from a polygon source, with tolerances."""

    parent: str = Field(description="code of the parent unit (2, 4, 6, 9 or 12 digits)")
    level: str = Field(description="level of the units to check: city, county, township or village")
    source: str = Field("registered", description="'registered' (default) or a polygon source name, e.g. datav-2021")
    gap_width_m: float = Field(
        MAX_GAP_WIDTH_M,
        ge=0,
        le=MAX_GAP_WIDTH_M,
        description="gaps narrower than this (m) are reported, wider ones taken for intended holes (as GEOS)",
    )
    sliver_area_m2: float = Field(100.0, ge=0, le=MAX_SLIVER_AREA_M2, description="pieces smaller are slivers")
    as_of: IsoDate | None = Field(None, description="date of the polygons and units; today when omitted")


class FindingOut(BaseModel):
    """One finding: what kind of piece, where (a point on it), how large, which units."""

    id: int
    kind: str
    piece: str
    units: list[str]
    area_m2: float | None = Field(description="on the CGCS2000 ellipsoid; none for an invalid-ring location")
    width_m: float | None = Field(description="width of a gap: diameter of its largest inscribed circle (m)")
    thinness: float | None = Field(description="Polsby-Popper 4πA/P²: 1 for a disc, near 0 for a sliver")
    detail: str
    point: list[float] = Field(description="a point on the piece, lon/lat")


class CheckOut(BaseModel):
    """A stored topology check with its summary and largest findings."""

    id: int
    parent: dict[str, Any] | None
    level: str
    source: str
    as_of: date
    gap_width_m: float
    sliver_area_m2: float
    summary: dict[str, Any]
    created_by: str
    created_at: datetime
    findings: list[FindingOut]
