"""Response models of the hazard screening (documentation of the JSON answer)."""

from __future__ import annotations

from datetime import date, datetime
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


class HazardLayerOut(BaseModel):
    """An imported hazard layer: name, kind, the file and CRS it was read from, its polygons and their area (m²)."""

    name: str
    kind: str
    file_name: str
    checksum: str
    source_crs: str
    imported_by: str
    imported_at: datetime
    areas: int
    area_m2: float
