"""Reference points of places, the place-name registry (names, events) and its search keys."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from geoalchemy2 import Geometry
from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Computed,
    Date,
    DateTime,
    ForeignKey,
    Identity,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column

from core.database import Base, NbsCode


class ReferencePoint(Base):
    """A named point from a source file, matched to a unit code where that could be done.

    ``unit_code`` is the unit the point stands for (a township or village seat), or NULL when the
    point could not be matched; ``properties`` keeps the source row's other columns and the match method.
    """

    __tablename__ = "reference_point"
    __table_args__ = (
        UniqueConstraint("source", "external_id"),
        CheckConstraint("unit_code IS NULL OR unit_code ~ '^[0-9]{12}$'", name="unit_code_digits"),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    source: Mapped[str] = mapped_column(Text)
    external_id: Mapped[str] = mapped_column(Text)
    name: Mapped[str] = mapped_column(Text, index=True)
    category: Mapped[str | None] = mapped_column(Text)
    unit_code: Mapped[str | None] = mapped_column(NbsCode, index=True)
    unit_level: Mapped[str | None] = mapped_column(Text)
    geom = mapped_column(Geometry("POINT", srid=4490, spatial_index=True), nullable=False)
    properties: Mapped[dict[str, Any]] = mapped_column(JSONB)


GENERALISATION_GRID_DEG = 0.1  # non-public records: a point snapped to a 0.1° grid (about 10 km)


def public_location_rule(geom: str = "geom", secrecy: str = "secrecy") -> str:
    """SQL of the secrecy rule: the geometry of a public record, a generalised point (on-surface point snapped to
    a 0.1° grid) of any other. place_name stores it as public_geom; gazetteer.queries.public_location reads it."""
    return (
        f"CASE WHEN {secrecy} = 'public' THEN {geom}"
        f" ELSE ST_SnapToGrid(ST_PointOnSurface({geom}), {GENERALISATION_GRID_DEG}) END"
    )


PLACE_STATUSES = ("proposed", "standard", "alias", "historic", "retired")
SECRECY_LEVELS = ("public", "internal", "secret")  # lowest first: lowering is a proposal, raising is immediate
PROPOSAL_STATUSES = ("pending", "approved", "rejected")
ROMANIZATION_ORIGINS = ("official", "partly_official", "derived")
EVENT_KINDS = ("naming", "renaming", "retirement", "recode")
KEY_KINDS = (
    "exact",
    "core",
    "statistical",
    "traditional",
    "pinyin",
    "pinyin_core",
    "initials",
    "official",
    "official_core",
)


def lowers_secrecy(current: str, new: str) -> bool:
    """True when ``new`` is a lower secrecy level than ``current`` (e.g. secret → internal, internal → public)."""
    return SECRECY_LEVELS.index(new) < SECRECY_LEVELS.index(current)


class PlaceName(Base):
    """One name of a place, valid for a period: the standard name, an alias, or a historic name.

    ``place_id`` groups the names of one place (the id of its first record); ``admin_code`` is set when
    the place is an administrative unit (its NBS code) and ``statistical_name`` keeps the NBS wording;
    ``unit_code`` is the unit the place lies in (所在政区).
    """

    __tablename__ = "place_name"
    __table_args__ = (
        CheckConstraint(f"status IN {PLACE_STATUSES}", name="status"),
        CheckConstraint(f"secrecy IN {SECRECY_LEVELS}", name="secrecy"),
        CheckConstraint(f"romanization_origin IN {ROMANIZATION_ORIGINS}", name="romanization_origin"),
        CheckConstraint("length(btrim(name)) > 0", name="name_not_blank"),
        CheckConstraint("unit_code IS NULL OR unit_code ~ '^[0-9]{12}$'", name="unit_code_digits"),
        CheckConstraint("admin_code IS NULL OR admin_code ~ '^[0-9]{12}$'", name="admin_code_digits"),
        CheckConstraint("category ~ '^[0-9]{1,4}$'", name="category_code"),
        CheckConstraint("valid_to IS NULL OR valid_to > valid_from", name="period_order"),
        CheckConstraint("version > 0", name="version_positive"),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    place_id: Mapped[int] = mapped_column(BigInteger, index=True)
    name: Mapped[str] = mapped_column(Text)
    statistical_name: Mapped[str | None] = mapped_column(Text)
    romanization: Mapped[str | None] = mapped_column(Text)
    romanization_toned: Mapped[str | None] = mapped_column(Text)
    romanization_origin: Mapped[str] = mapped_column(Text, server_default=text("'derived'"))
    category: Mapped[str] = mapped_column(Text)
    unit_code: Mapped[str | None] = mapped_column(NbsCode, index=True)
    admin_code: Mapped[str | None] = mapped_column(NbsCode, index=True)
    level_rank: Mapped[int] = mapped_column(SmallInteger, server_default=text("9"))
    geom = mapped_column(Geometry("GEOMETRY", srid=4490, spatial_index=True), nullable=True)
    meaning: Mapped[str | None] = mapped_column(Text)
    origin: Mapped[str | None] = mapped_column(Text)
    history: Mapped[str | None] = mapped_column(Text)
    approving_body: Mapped[str | None] = mapped_column(Text)
    document_number: Mapped[str | None] = mapped_column(Text)
    approval_date: Mapped[date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(Text)
    secrecy: Mapped[str] = mapped_column(Text, server_default=text("'public'"))
    tags: Mapped[list[str]] = mapped_column(ARRAY(Text), server_default=text("'{}'"))
    version: Mapped[int] = mapped_column(Integer, server_default=text("1"))
    valid_from: Mapped[date] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date)
    geom_source: Mapped[str | None] = mapped_column(Text)
    # The location every public route shows (see public_location_rule), kept by PostgreSQL: spatial filters of the
    # public routes (OGC bbox, CQL2, tiles) use its GiST index instead of generalising every row.
    public_geom = mapped_column(
        Geometry("GEOMETRY", srid=4490, spatial_index=True), Computed(public_location_rule(), persisted=True)
    )


class SecrecyProposal(Base):
    """A proposal to lower a record's secrecy (密级), made by one person and decided by another (two-person rule):
    pending until an approver who did not propose it approves (the record's secrecy is lowered then) or rejects it.

    ``record_version`` is the record's version when proposed: an approval applies to exactly that record. At most
    one proposal of a record is pending; the database refuses a decision by the proposer.
    """

    __tablename__ = "place_secrecy_proposal"
    __table_args__ = (
        CheckConstraint(f"status IN {PROPOSAL_STATUSES}", name="status"),
        CheckConstraint(f"from_secrecy IN {SECRECY_LEVELS}", name="from_secrecy"),
        CheckConstraint(f"to_secrecy IN {SECRECY_LEVELS}", name="to_secrecy"),
        CheckConstraint("(status = 'pending') = (decided_by IS NULL AND decided_at IS NULL)", name="decided"),
        CheckConstraint("decided_by IS NULL OR decided_by <> proposed_by", name="two_persons"),
        Index(
            "uq_place_secrecy_proposal_pending",
            "place_name_id",
            unique=True,
            postgresql_where=text("status = 'pending'"),
        ),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    place_name_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("place_name.id"), index=True)
    from_secrecy: Mapped[str] = mapped_column(Text)
    to_secrecy: Mapped[str] = mapped_column(Text)
    record_version: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(Text, server_default=text("'pending'"))
    proposed_by: Mapped[str] = mapped_column(Text)
    proposed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=text("now()"))
    decided_by: Mapped[str | None] = mapped_column(Text)
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class NameEvent(Base):
    """命名 / 更名 / 销名 (and recodes) of a place, with the approval that decided it."""

    __tablename__ = "name_event"
    __table_args__ = (CheckConstraint(f"kind IN {EVENT_KINDS}", name="kind"),)

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    place_id: Mapped[int] = mapped_column(BigInteger, index=True)
    kind: Mapped[str] = mapped_column(Text)
    old_name: Mapped[str | None] = mapped_column(Text)
    new_name: Mapped[str | None] = mapped_column(Text)
    old_code: Mapped[str | None] = mapped_column(NbsCode)
    new_code: Mapped[str | None] = mapped_column(NbsCode)
    approving_body: Mapped[str | None] = mapped_column(Text)
    document_number: Mapped[str | None] = mapped_column(Text)
    approval_date: Mapped[date | None] = mapped_column(Date)
    effective_date: Mapped[date] = mapped_column(Date)
    source: Mapped[str | None] = mapped_column(Text)
    note: Mapped[str | None] = mapped_column(Text)


class PlaceKey(Base):
    """Search keys of a place name (exact, core, statistical, traditional, pinyin, initials, official forms).

    Byte-wise (C) collation: btree equality and range (prefix) scans work on Hanzi and pinyin alike. The key
    index is ordered by record id within a key and kind, so that the records of one key come in id order (which
    follows the administrative level for synced units) and a search can stop after the first few of a key shared
    by hundreds (和平村). No foreign key: the keys are written in bulk (millions nationally) and replaced with
    their record by the service.
    """

    __tablename__ = "place_key"
    __table_args__ = (
        CheckConstraint(f"kind IN {KEY_KINDS}", name="kind"),
        Index(
            "ix_place_key_key", "key", "kind", "place_name_id", postgresql_include=["scope_code", "extra_scope_code"]
        ),
        Index("ix_place_key_scope", "kind", "scope_code", "key", postgresql_include=["place_name_id"]),
        Index(
            "ix_place_key_extra_scope",
            "kind",
            "extra_scope_code",
            "key",
            postgresql_include=["scope_code", "place_name_id"],
            postgresql_where=text("extra_scope_code IS NOT NULL"),
        ),
    )

    place_name_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    key: Mapped[str] = mapped_column(String(collation="C"), primary_key=True)
    kind: Mapped[str] = mapped_column(Text, primary_key=True)
    # the codes a search within a unit matches the record by (its admin code, else its unit code; its unit code
    # when the admin code does not descend from it), kept by triggers (migration 0025), so that the search reads
    # the unit's keys by index
    scope_code: Mapped[str | None] = mapped_column(String(12, collation="C"))
    extra_scope_code: Mapped[str | None] = mapped_column(String(12, collation="C"))


class CoreDeletion(Base):
    """The one-character deletions of every name core in the registry (SymSpell), one row per distinct
    (deletion, core): the typo search looks a query's core and its deletions up here and gets the distinct cores
    one edit away, however many records share them (the deletion 庄 stands for ~2,000 cores, not 20,000 records).
    ``first_id`` is the lowest record id carrying the core: of a tie of more cores than a search reads, those
    come first (the ranking's last tie-break is the id). Written with the keys; a core whose records are gone
    stays and finds no record."""

    __tablename__ = "place_core_deletion"

    deletion: Mapped[str] = mapped_column(String(collation="C"), primary_key=True)
    core: Mapped[str] = mapped_column(String(collation="C"), primary_key=True)
    first_id: Mapped[int] = mapped_column(BigInteger)


class UnitEnglishName(Base):
    """An English form of an administrative unit (Ordos City, Ejin Horo Banner): an alternate name of kind
    ``english`` keyed on the unit code, with its source; ``key`` is the search key (case, spaces and punctuation
    dropped: ejinhorobanner). Loaded from data/unit_english_names.csv."""

    __tablename__ = "unit_english_name"
    __table_args__ = (
        CheckConstraint("admin_code ~ '^[0-9]{12}$'", name="admin_code_digits"),
        CheckConstraint("length(btrim(name)) > 0", name="name_not_blank"),
    )

    admin_code: Mapped[str] = mapped_column(NbsCode, primary_key=True)
    name: Mapped[str] = mapped_column(Text, primary_key=True)
    key: Mapped[str] = mapped_column(String(collation="C"), index=True)
    source: Mapped[str] = mapped_column(Text)
