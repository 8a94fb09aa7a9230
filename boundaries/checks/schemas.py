"""Request and response models of the boundary-management API (checks, comparisons)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, Field

from boundaries.checks.service import MAX_GAP_WIDTH_M, MAX_SLIVER_AREA_M2
from core.values import Coordinate, IsoDate


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


class LinesDeriveIn(BaseModel):
    """Derive the lines between the units of ``level`` under ``parent`` from their registered polygons."""

    parent: str
    level: str
    as_of: IsoDate | None = None


class AgreementIn(BaseModel):
    """The agreement document a line rests on (e.g. the number of the 勘界协议书); null clears it."""

    agreement_ref: str | None = Field(max_length=300)


class DocumentIn(BaseModel):
    """A document of a dispute case."""

    title: str = Field(min_length=1, max_length=300)
    reference: str | None = Field(None, max_length=300)
    issued_on: IsoDate | None = None


class DisputeIn(BaseModel):
    """A new dispute case."""

    title: str = Field(min_length=1, max_length=300)
    units: list[str] = Field(min_length=1, max_length=20, description="codes of the units involved")
    opened_on: IsoDate
    geometry: dict[str, Any] | None = Field(None, description="the disputed ground: GeoJSON Polygon/MultiPolygon")
    crs: str | None = Field(None, description="CRS of the geometry")
    documents: list[DocumentIn] = Field(default_factory=list)
    check_id: int | None = Field(None, description="the topology check that found it")
    comparison_id: int | None = Field(None, description="the comparison that found it")
    note: str = Field("", max_length=2000)


class DisputeUpdate(BaseModel):
    """A change of a dispute case: new status, added documents and/or a note, dated."""

    version: int = Field(ge=1, description="the version read (a stale version is refused with 409)")
    on_date: IsoDate
    status: str | None = None
    add_documents: list[DocumentIn] = Field(default_factory=list)
    note: str = Field("", max_length=2000)


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
