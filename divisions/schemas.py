"""Request bodies of the division-change application routes."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from core.values import IsoDate
from divisions.models import KINDS

Kind = Literal[KINDS]  # type: ignore[valid-type]


class Document(BaseModel):
    """A document of the application (请示, 论证报告, 征求意见...)."""

    model_config = ConfigDict(extra="forbid")

    title: str = Field(min_length=1, max_length=300)
    reference: str | None = Field(default=None, max_length=300)
    issued_on: IsoDate | None = None


class Figures(BaseModel):
    """Supporting figures of a proposed unit (those the rules that apply need)."""

    model_config = ConfigDict(extra="forbid")

    population: int | None = Field(default=None, ge=0, le=100_000_000, description="总人口")
    non_agricultural_population: int | None = Field(default=None, ge=0, le=100_000_000, description="非农业人口")
    seat_non_agricultural_population: int | None = Field(
        default=None, ge=0, le=100_000_000, description="政府驻地非农业人口"
    )
    area_km2: float | None = Field(default=None, ge=0, le=1_000_000)
    built_up_area_km2: float | None = Field(default=None, ge=0, le=1_000_000)
    gdp_10k_yuan: float | None = Field(default=None, ge=0, le=1e12, description="地区生产总值, 万元")
    county_seat: bool = Field(default=False, description="the seat of the county (旗) government lies in the unit")


class ProposedUnitIn(BaseModel):
    """A unit as the change leaves it: ``code`` keeps a touched unit's code, none gives a new one."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=50)
    kind: str = Field(min_length=1, max_length=10, description="街道, 镇, 乡, 民族乡, 苏木 or 民族苏木")
    code: str | None = Field(default=None, max_length=12, description="a touched unit's code it keeps")
    seat: str | None = Field(default=None, max_length=200, description="政府驻地 / 办事处驻地")
    figures: Figures = Field(default_factory=Figures)
    villages: list[str] = Field(default_factory=list, max_length=2000, description="village codes allocated to it")
    geometry: dict[str, Any] | None = Field(default=None, description="drawn polygon (GeoJSON) in crs")
    crs: str | None = Field(default=None, max_length=40)


class ApplicationIn(BaseModel):
    """A new application (draft)."""

    model_config = ConfigDict(extra="forbid")

    kind: Kind
    title: str = Field(min_length=1, max_length=300)
    touched: list[str] = Field(min_length=1, max_length=50, description="codes of the township-level units it touches")
    proposed: list[ProposedUnitIn] = Field(min_length=1, max_length=50)
    effective_date: IsoDate
    documents: list[Document] = Field(default_factory=list, max_length=100)
    relaxation_ground: str | None = Field(default=None, max_length=20, description="1984 report 三: the ground claimed")
    note: str = Field(default="", max_length=2000)

    def arguments(self) -> dict[str, Any]:
        """The keyword arguments of ``divisions.service.create_application`` (all but the actor), the same from the
        route and the command."""
        return {
            "kind": self.kind,
            "title": self.title,
            "touched": self.touched,
            "proposed": [p.model_dump() | {"figures": p.figures.model_dump()} for p in self.proposed],
            "effective_date": self.effective_date,
            "documents": [d.model_dump() for d in self.documents],
            "relaxation_ground": self.relaxation_ground,
            "note": self.note,
        }


class VersionIn(BaseModel):
    """The version of the application the caller saw."""

    model_config = ConfigDict(extra="forbid")

    version: int = Field(ge=1)


class ApprovalIn(VersionIn):
    """The approval: who approved, with the approval document."""

    approving_body: str = Field(min_length=1, max_length=200)
    document_number: str = Field(min_length=1, max_length=100, description="批准文号")
    approval_date: IsoDate
