"""Facilities (funeral, burial, eldercare, child welfare; individual graves), population per unit, prohibited-zone
layers."""

from __future__ import annotations

from datetime import date, datetime

from geoalchemy2 import Geometry
from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Computed,
    Date,
    DateTime,
    Double,
    ForeignKey,
    Identity,
    Integer,
    Text,
    UniqueConstraint,
    column,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import DATERANGE, ExcludeConstraint
from sqlalchemy.orm import Mapped, mapped_column

from core.database import Base, NbsCode

KINDS = ("funeral_home", "cemetery", "eldercare_institution", "community_eldercare_site", "child_welfare", "grave")
KIND_LABELS = {
    "funeral_home": "殡仪馆",
    "cemetery": "公墓",
    "eldercare_institution": "养老机构",
    "community_eldercare_site": "社区养老服务设施",
    "child_welfare": "儿童福利机构",
    "grave": "散埋乱葬坟墓",  # an individual grave outside a cemetery (a point), checked against prohibited zones
}
BURIAL_KINDS = ("cemetery", "grave")  # what the prohibited-zone check (三沿七区) looks for inside the buffers
CEMETERY_TYPES = ("public_welfare", "commercial")
OWNERSHIPS = ("public", "private")
STATUSES = ("planned", "operating", "suspended", "closed")
UNIT_METHODS = ("polygon", "declared")
PERIOD = "daterange(valid_from, valid_to, '[)')"
LAYER_KINDS = ("road", "railway", "river", "reservoir", "water_source", "farmland", "scenic_area")


class Facility(Base):
    """A facility at a point (EPSG:4490) in a unit, with a version for optimistic concurrency.

    ``unit_method`` says how the unit was found: ``polygon`` (the deepest registered polygon holding the
    point) or ``declared`` (a deeper code given by the caller, checked against that polygon).
    ``illustrative`` marks made-up records (demo, fixtures) so maps can label them.
    """

    __tablename__ = "facility"
    __table_args__ = (
        UniqueConstraint("source", "external_id"),
        CheckConstraint(f"kind IN {KINDS}", name="kind"),
        CheckConstraint(f"status IN {STATUSES}", name="status"),
        CheckConstraint(f"unit_method IN {UNIT_METHODS}", name="unit_method"),
        CheckConstraint(
            f"(kind = 'cemetery') = (cemetery_type IS NOT NULL) AND (cemetery_type IS NULL OR cemetery_type IN "
            f"{CEMETERY_TYPES})",
            name="cemetery_type",
        ),
        CheckConstraint(f"ownership IS NULL OR ownership IN {OWNERSHIPS}", name="ownership"),
        CheckConstraint("beds IS NULL OR beds >= 0", name="beds_not_negative"),
        CheckConstraint("nursing_beds IS NULL OR (nursing_beds >= 0 AND nursing_beds <= beds)", name="nursing_beds"),
        CheckConstraint("capacity IS NULL OR capacity >= 0", name="capacity_not_negative"),
        CheckConstraint(
            "(infirmary IS NULL AND medical_contract IS NULL) OR kind = 'eldercare_institution'", name="medical_care"
        ),
        CheckConstraint("length(btrim(name)) > 0", name="name_not_blank"),
        CheckConstraint("unit_code ~ '^[0-9]{12}$'", name="unit_code_digits"),
        CheckConstraint("version >= 1", name="version_positive"),
        CheckConstraint("closed_on IS NULL OR opened_on IS NULL OR closed_on > opened_on", name="closed_after_opened"),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(Text, index=True)
    cemetery_type: Mapped[str | None] = mapped_column(Text)
    ownership: Mapped[str | None] = mapped_column(Text)
    beds: Mapped[int | None] = mapped_column(Integer)
    nursing_beds: Mapped[int | None] = mapped_column(Integer)
    capacity: Mapped[int | None] = mapped_column(Integer)
    infirmary: Mapped[bool | None] = mapped_column(Boolean)  # 内设医疗机构: an eldercare institution's own clinic
    medical_contract: Mapped[bool | None] = mapped_column(Boolean)  # 与医疗机构签约: care under contract instead
    address: Mapped[str | None] = mapped_column(Text)
    operator: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(Text, server_default=text("'operating'"))
    opened_on: Mapped[date | None] = mapped_column(Date)
    closed_on: Mapped[date | None] = mapped_column(Date)  # the end of the last dated version (facility_version)
    unit_code: Mapped[str] = mapped_column(NbsCode, index=True)
    unit_method: Mapped[str] = mapped_column(Text)
    geom = mapped_column(Geometry("POINT", srid=4490, spatial_index=True), nullable=False)
    source: Mapped[str | None] = mapped_column(Text)
    external_id: Mapped[str | None] = mapped_column(Text)
    illustrative: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))
    version: Mapped[int] = mapped_column(Integer, server_default=text("1"))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


VERSIONED = (
    "name",
    "cemetery_type",
    "ownership",
    "beds",
    "nursing_beds",
    "capacity",
    "infirmary",
    "medical_contract",
    "status",
)


class FacilityVersion(Base):
    """One dated version of a facility's attributes, like ``admin_unit``: valid from ``valid_from`` (NULL: since
    before the records, no opening date) until ``valid_to`` (exclusive; NULL: still valid). A facility is open on a
    day when one of its versions covers it: opened = the first version's start, closed = the last one's end; a
    change of beds (or any attribute of VERSIONED) starts a new version. At most one version per facility on any
    day (exclusion constraint). Kind, point, unit, address and operator are not dated (a move is a new facility).
    """

    __tablename__ = "facility_version"
    __table_args__ = (
        UniqueConstraint("facility_id", "valid_from"),
        CheckConstraint(f"status IN {STATUSES}", name="status"),
        CheckConstraint("valid_to IS NULL OR valid_from IS NULL OR valid_to > valid_from", name="period_order"),
        CheckConstraint("beds IS NULL OR beds >= 0", name="beds_not_negative"),
        CheckConstraint("nursing_beds IS NULL OR (nursing_beds >= 0 AND nursing_beds <= beds)", name="nursing_beds"),
        CheckConstraint("capacity IS NULL OR capacity >= 0", name="capacity_not_negative"),
        CheckConstraint("length(btrim(name)) > 0", name="name_not_blank"),
        ExcludeConstraint(
            (column("facility_id"), "="), (column("period"), "&&"), name="ex_facility_version_period", using="gist"
        ),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    facility_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("facility.id", ondelete="CASCADE"), index=True)
    valid_from: Mapped[date | None] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date)
    period = mapped_column(DATERANGE, Computed(PERIOD, persisted=True))
    name: Mapped[str] = mapped_column(Text)
    cemetery_type: Mapped[str | None] = mapped_column(Text)
    ownership: Mapped[str | None] = mapped_column(Text)
    beds: Mapped[int | None] = mapped_column(Integer)
    nursing_beds: Mapped[int | None] = mapped_column(Integer)
    capacity: Mapped[int | None] = mapped_column(Integer)
    infirmary: Mapped[bool | None] = mapped_column(Boolean)
    medical_contract: Mapped[bool | None] = mapped_column(Boolean)
    status: Mapped[str] = mapped_column(Text)


class UnitPopulation(Base):
    """Resident population of a unit in a year: total and aged 60 and over."""

    __tablename__ = "unit_population"
    __table_args__ = (
        UniqueConstraint("unit_code", "year"),
        CheckConstraint("unit_code ~ '^[0-9]{12}$'", name="unit_code_digits"),
        CheckConstraint("total >= 0 AND aged_60_plus >= 0 AND aged_60_plus <= total", name="counts"),
        CheckConstraint("year BETWEEN 1949 AND 2100", name="year"),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    unit_code: Mapped[str] = mapped_column(NbsCode)
    year: Mapped[int] = mapped_column(Integer)
    total: Mapped[int] = mapped_column(BigInteger)
    aged_60_plus: Mapped[int] = mapped_column(BigInteger)
    source: Mapped[str] = mapped_column(Text)


class ProhibitedLayer(Base):
    """One imported feature of a prohibited-zone layer (三沿七区) with the buffer width of its layer."""

    __tablename__ = "prohibited_layer"
    __table_args__ = (
        UniqueConstraint("layer", "feature_id"),
        CheckConstraint(f"layer_kind IN {LAYER_KINDS}", name="layer_kind"),
        CheckConstraint("buffer_m >= 0", name="buffer_not_negative"),
        CheckConstraint("ST_IsValid(geom) AND NOT ST_IsEmpty(geom)", name="geom_valid"),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    layer: Mapped[str] = mapped_column(Text)
    layer_kind: Mapped[str] = mapped_column(Text)
    feature_id: Mapped[str] = mapped_column(Text)
    name: Mapped[str | None] = mapped_column(Text)
    buffer_m: Mapped[float] = mapped_column(Double)
    geom = mapped_column(Geometry("GEOMETRY", srid=4490, spatial_index=True), nullable=False)


class RoadEdge(Base):
    """One segment of an imported road layer, between two network nodes, for network distances (pgRouting).

    Node ids are derived from the vertex coordinates (1e-6 degree grid), so lines that share a vertex, in the same
    layer or another, meet at one node; lines that cross without a shared vertex do not connect.
    """

    __tablename__ = "road_edge"
    __table_args__ = (
        UniqueConstraint("layer", "feature_id", "seq"),
        CheckConstraint("cost_m >= 0", name="cost_not_negative"),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    layer: Mapped[str] = mapped_column(Text)
    feature_id: Mapped[str] = mapped_column(Text)
    seq: Mapped[int] = mapped_column(Integer)
    source: Mapped[int] = mapped_column(BigInteger)
    target: Mapped[int] = mapped_column(BigInteger)
    cost_m: Mapped[float] = mapped_column(Double)
    geom = mapped_column(Geometry("LINESTRING", srid=4490, spatial_index=True), nullable=False)
