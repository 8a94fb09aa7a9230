"""Response models of the hazard screening (documentation of the JSON answer)."""

from __future__ import annotations

from datetime import date
from typing import Any

from pydantic import BaseModel


class HazardSection(BaseModel):
    """One scored section of a line: where it lies along the line, its points per factor and the reasons."""

    rank: int
    line_id: int
    line_key: str
    kind: str
    units: list[str]
    section: int
    of: int
    from_km: float
    to_km: float
    score: float
    points: dict[str, float]
    reasons: list[str]
    middle: list[float]


class HazardsOut(BaseModel):
    """The screening: scope, day, section length, the weights used, what data was present, ranked sections."""

    unit: dict[str, Any] | None
    as_of: date
    section_m: float
    weights: dict[str, float]
    metric_crs: str | None
    data: dict[str, Any]
    sections: list[HazardSection]
