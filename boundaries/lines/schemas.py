"""Request and response models of the boundary-management API (boundary lines and markers)."""

from __future__ import annotations

from pydantic import BaseModel, Field

from core.values import IsoDate


class LinesDeriveIn(BaseModel):
    """Derive the lines between the units of ``level`` under ``parent`` from their registered polygons."""

    parent: str
    level: str
    as_of: IsoDate | None = None


class AgreementIn(BaseModel):
    """The agreement document a line rests on (e.g. the number of the 勘界协议书); null clears it."""

    agreement_ref: str | None = Field(max_length=300)
