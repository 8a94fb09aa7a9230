"""Request and response models of the facilities API (also validate imported rows)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from core.imports import has_control_characters
from core.values import IsoDate

Kind = Literal[
    "funeral_home", "cemetery", "eldercare_institution", "community_eldercare_site", "child_welfare", "grave"
]
Status = Literal["planned", "operating", "suspended", "closed"]


class FacilityIn(BaseModel):
    """A facility as given by a caller or an import row; the point is east-first in ``crs``."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: str = Field(min_length=1, max_length=200)
    kind: Kind
    cemetery_type: Literal["public_welfare", "commercial"] | None = Field(
        default=None, description="公益性 public_welfare or 经营性 commercial; required for a cemetery only"
    )
    ownership: Literal["public", "private"] | None = None
    beds: int | None = Field(default=None, ge=0, le=100_000)
    nursing_beds: int | None = Field(default=None, ge=0, le=100_000)
    capacity: int | None = Field(default=None, ge=0, le=10_000_000)
    infirmary: bool | None = Field(
        default=None, description="eldercare institution with its own clinic (内设医疗机构); true/false, 1/0, yes/no"
    )
    medical_contract: bool | None = Field(
        default=None, description="eldercare institution under contract with a medical institution (签约医疗机构)"
    )
    address: str | None = Field(default=None, max_length=500)
    operator: str | None = Field(default=None, max_length=200)
    status: Status = "operating"
    opened_on: IsoDate | None = None
    closed_on: IsoDate | None = Field(
        default=None, description="the day it closed (counted until the day before); empty leaves a recorded one"
    )
    valid_from: IsoDate | None = Field(
        default=None,
        description="the day these attributes took effect: a change starts a new dated version from it (default "
        "today); a facility new to the registry starts on opened_on",
    )
    unit_code: str | None = Field(default=None, description="declared unit (checked against the point)")
    lon: float = Field(description="longitude, or easting for EPSG:4545/4546")
    lat: float = Field(description="latitude, or northing for EPSG:4545/4546")
    crs: str = "EPSG:4326"
    illustrative: bool = Field(default=False, description="made-up record (demo, fixture): labelled on maps")

    @field_validator("name", "address", "operator")
    @classmethod
    def _printable(cls, value: str | None) -> str | None:
        if value is not None and has_control_characters(value):
            raise ValueError(f"{value!r} holds control characters")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> FacilityIn:
        if (self.kind == "cemetery") != (self.cemetery_type is not None):
            raise ValueError("cemetery_type (public_welfare or commercial) is required for a cemetery and only for one")
        if self.kind == "grave" and (self.beds is not None or self.nursing_beds is not None):
            raise ValueError("a grave (散埋乱葬坟墓) has no beds")
        if self.kind != "eldercare_institution" and (self.infirmary is not None or self.medical_contract is not None):
            raise ValueError("infirmary and medical_contract are given for an eldercare institution only")
        if self.nursing_beds is not None and (self.beds is None or self.nursing_beds > self.beds):
            raise ValueError(f"nursing_beds {self.nursing_beds} exceeds beds {self.beds}")
        return self


class FacilityUpdate(FacilityIn):
    """A full replacement of a facility, with the version it was read at."""

    version: int = Field(ge=1, description="the version read; a stale version is refused with 409")


class VersionOut(BaseModel):
    """One dated version of a facility's attributes: valid from ``valid_from`` (null: since before the records)
    until the day before ``valid_to`` (null: still valid)."""

    valid_from: date | None
    valid_to: date | None
    name: str
    cemetery_type: str | None
    ownership: str | None
    beds: int | None
    nursing_beds: int | None
    capacity: int | None
    infirmary: bool | None
    medical_contract: bool | None
    status: str


class FacilityOut(BaseModel):
    """A stored facility; the point is EPSG:4490 lon/lat."""

    id: int
    name: str
    kind: str
    kind_label: str
    cemetery_type: str | None
    ownership: str | None
    beds: int | None
    nursing_beds: int | None
    capacity: int | None
    infirmary: bool | None
    medical_contract: bool | None
    address: str | None
    operator: str | None
    status: str
    opened_on: date | None
    closed_on: date | None
    unit_code: str
    unit_method: str = Field(description="polygon: found from the point; declared: given and checked against it")
    lon: float
    lat: float
    source: str | None
    external_id: str | None
    illustrative: bool
    version: int
    updated_at: datetime
    valid_from: date | None = Field(default=None, description="listed as_of a day: the start of that day's version")
    valid_to: date | None = Field(default=None, description="listed as_of a day: the end of that day's version")
    versions: list[VersionOut] | None = Field(default=None, description="one facility: its dated versions")
