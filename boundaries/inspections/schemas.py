"""Request and response models of the boundary-management API (joint inspections)."""

from __future__ import annotations

from pydantic import BaseModel, Field

from core.values import Coordinate, IsoDate


class CampaignIn(BaseModel):
    """A joint inspection of lines over a period by named inspectors."""

    title: str = Field(min_length=1, max_length=300)
    line_ids: list[int] = Field(min_length=1, max_length=200)
    period_start: IsoDate
    period_end: IsoDate
    inspectors: list[str] = Field(min_length=1, max_length=50)
    tolerance_m: float = Field(5.0, gt=0, le=100, description="a marker further from its agreed position is displaced")


class FixIn(BaseModel):
    """A GNSS fix, east first, in a stated CRS (phones often give GCJ-02 or BD-09)."""

    x: Coordinate
    y: Coordinate
    crs: str


class ObservationIn(BaseModel):
    """One observation: a marker (marker_id, status, optional fix) or a line (line_id, notes)."""

    submission_id: str = Field(description="made by the client once per report: resubmitting it is harmless")
    observed_on: IsoDate
    marker_id: int | None = None
    line_id: int | None = None
    status: str | None = Field(None, description="intact, damaged, moved, missing or rebuilt")
    fix: FixIn | None = None
    notes: str = Field("", max_length=4000)
