"""Settings: one tree, read from the environment with the ``GAZ_`` prefix once, at the entry point.

``Settings`` is the root; the groups of the contexts (photos, imports, coverage, maps) are nested in it and keep
their flat ``GAZ_<FIELD>`` names. ``create_app(settings)``, the CLI and each import worker build or receive the tree
once and hand it down (the ``AppSettings`` dependency of the routes, arguments of the domain functions); no domain
module builds settings or reads the environment.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class PhotoSettings(BaseSettings):
    """Where photos are stored (outside the database) and how large one may be."""

    model_config = SettingsConfigDict(env_prefix="GAZ_", extra="ignore")

    photo_dir: Path = Field(default=PROJECT_ROOT / ".run" / "photos", description="folder of stored photos")
    photo_max_bytes: int = Field(default=8 * 1024 * 1024, ge=1024, description="largest photo accepted")


class ImportSettings(BaseSettings):
    """Where imported files are archived and how far a compressed input may expand."""

    model_config = SettingsConfigDict(env_prefix="GAZ_", extra="ignore")

    max_decompressed_bytes: int = Field(
        default=256 * 1024 * 1024,
        ge=1024,
        description="largest size a .gz or .zip input (CLI or upload) may expand to; a larger one is refused (413)",
    )
    import_archive_dir: Path = Field(
        default=PROJECT_ROOT / ".run" / "imports",
        description="content-addressed archive of every imported file, so the audit log can re-run each import",
    )


# The default is a placeholder, not a figure from a cited plan: the national 14th five-year eldercare plan sets
# its bed indicator as the share of nursing-type beds in eldercare institutions, not beds per 1,000 aged 60+.
# The office sets its own target (GAZ_BED_TARGET_PER_1000, or ``target`` per request).
PLACEHOLDER_BED_TARGET = 35.0


class CoverageSettings(BaseSettings):
    """Targets of the coverage indicators and the office's published figures the year-end report is checked
    against."""

    model_config = SettingsConfigDict(env_prefix="GAZ_", extra="ignore")

    bed_target_per_1000: float = Field(
        default=PLACEHOLDER_BED_TARGET,
        gt=0,
        le=1000,
        description="eldercare beds per 1,000 residents aged 60+ that a banner should reach; the default 35 is a "
        "placeholder (no cited source): set the office's own target",
    )
    reported_figures: Path | None = Field(
        default=PROJECT_ROOT / "data" / "reported_facility_figures.csv",
        description="CSV of the office's published figures (as_of, unit_code, key, value, tolerance, source) the "
        "facility report sets beside the computed ones; empty for none",
    )

    @field_validator("reported_figures", mode="before")
    @classmethod
    def _empty_is_none(cls, value: Any) -> Any:
        return None if isinstance(value, str) and not value.strip() else value


class MapSettings(BaseSettings):
    """Basemap keys (the Tianditu basemap is offered only when a key is configured) and what every map carries."""

    model_config = SettingsConfigDict(env_prefix="GAZ_", extra="ignore")

    tianditu_key: str = Field(default="", description="Tianditu (天地图) browser key; empty hides that basemap")
    compliance_note: str = Field(
        default="示意图，不作为权属争议依据",
        min_length=1,
        max_length=200,
        description="the note every boundary map and the viewer carry (and so their prints): the office's wording",
    )
    map_approval_number: str = Field(
        default="",
        max_length=60,
        description="the 审图号 the viewer's print carries (e.g. 蒙S（2026）012号); empty prints a marked placeholder",
    )
    tile_cache_mb: int = Field(
        default=64, ge=0, le=4096, description="vector tiles each worker keeps for the next request (MiB); 0 keeps none"
    )


class HazardSettings(BaseSettings):
    """Weights and scales of the boundary hazard screening (``boundaries/hazards``): the points each factor adds
    at its full value, and what makes a factor full (README "Boundary hazard screening"). Each is ``GAZ_<FIELD>``."""

    model_config = SettingsConfigDict(env_prefix="GAZ_", extra="ignore")

    hazard_open_dispute: float = Field(
        default=30.0, ge=0, le=1000, description="points of a dispute case open on the day"
    )
    hazard_recent_dispute: float = Field(default=10.0, ge=0, le=1000, description="points of a case resolved recently")
    hazard_disputed_ground: float = Field(default=20.0, ge=0, le=1000, description="points of disputed ground nearby")
    hazard_marker_problems: float = Field(
        default=20.0, ge=0, le=1000, description="points of missing/damaged/moved markers"
    )
    hazard_places: float = Field(default=5.0, ge=0, le=1000, description="points of place names nearby")
    hazard_facilities: float = Field(default=5.0, ge=0, le=1000, description="points of facilities (not graves) nearby")
    hazard_graves: float = Field(default=10.0, ge=0, le=1000, description="points of individual graves nearby")
    hazard_source_offset: float = Field(default=10.0, ge=0, le=1000, description="points of two versions apart")
    hazard_inspection_overdue: float = Field(default=15.0, ge=0, le=1000, description="points of a line not inspected")
    hazard_imported_areas: float = Field(
        default=15.0, ge=0, le=1000, description="points of an imported hazard area crossing the section"
    )
    hazard_buffer_m: float = Field(default=500.0, gt=0, le=10_000, description="reach of a section on both sides (m)")
    hazard_dispute_reach_m: float = Field(
        default=5000.0, gt=0, le=100_000, description="a case's points fade to 0 here"
    )
    hazard_recent_years: int = Field(default=3, ge=0, le=50, description="a case resolved this recently still counts")
    hazard_ground_full_m2: float = Field(default=500_000.0, gt=0, description="disputed ground (m²) worth full points")
    hazard_markers_full: int = Field(default=2, ge=1, description="markers with problems worth full points")
    hazard_places_full: int = Field(default=5, ge=1, description="place names worth full points")
    hazard_facilities_full: int = Field(default=3, ge=1, description="facilities worth full points")
    hazard_graves_full: int = Field(default=3, ge=1, description="graves worth full points")
    hazard_offset_tolerance_m: float = Field(default=100.0, gt=0, description="offset between versions below which 0")
    hazard_inspection_cycle_years: int = Field(
        default=5,
        ge=1,
        le=50,
        description="joint-inspection cycle: 《省级行政区域界线联合检查实施办法》 第六条, 联检每5年进行一次",
    )


class DivisionSettings(BaseSettings):
    """Local figures of the division-change standards check (``divisions/``). The street-office (街道) establishment
    standard is set by each province (《行政区划管理条例》, 2018, 第十一条: 镇、街道设立标准由省级人民政府批准); the
    autonomous region's was not found in a citable text, so its figures are the bureau's local settings. Unset, the
    criterion is reported as not evaluated (README "Division-change applications")."""

    model_config = SettingsConfigDict(env_prefix="GAZ_", extra="ignore")

    division_street_min_population: int | None = Field(
        default=None, ge=1, le=10_000_000, description="local setting: least resident population of a new 街道"
    )
    division_street_min_area_km2: float | None = Field(
        default=None, gt=0, le=100_000, description="local setting: least area (km²) of a new 街道"
    )
    division_street_min_non_agricultural_share: float | None = Field(
        default=None, gt=0, le=1, description="local setting: least share of non-agricultural population of a new 街道"
    )


class Settings(BaseSettings):
    """Service configuration, the root of the tree. Every field, nested ones included, can be set as
    ``GAZ_<FIELD>`` in the environment."""

    model_config = SettingsConfigDict(env_prefix="GAZ_", extra="ignore")

    database_url: str = Field(
        default="postgresql+psycopg://postgres@/gazetteer?host=/tmp",
        description="SQLAlchemy URL of the PostGIS database (psycopg 3 driver).",
    )
    data_root: Path = Field(
        default=PROJECT_ROOT.parent / "shared" / "data",
        description="Folder the dataset manifests' relative paths are resolved against.",
    )
    replica_urls: list[str] = Field(
        default_factory=list,
        description="read-only streaming replicas (JSON list of URLs); GET requests are served from them",
    )
    connect_timeout_s: int = Field(default=5, ge=1, le=60)
    statement_timeout_s: int = Field(
        default=30, ge=1, le=3600, description="longest statement of a request; PostgreSQL cancels it after this (503)"
    )
    import_statement_timeout_s: int = Field(
        default=600, ge=1, le=86400, description="longest statement of an import (API or CLI) and of every CLI command"
    )
    lock_timeout_s: int = Field(
        default=10, ge=1, le=3600, description="longest wait for a row or table lock held by another writer (409)"
    )
    idle_in_transaction_timeout_s: int = Field(
        default=60, ge=1, le=3600, description="PostgreSQL ends a session idle in an open transaction after this"
    )
    concurrent_imports: int = Field(
        default=1, ge=1, le=32, description="import worker processes of a server; more imports wait for their turn"
    )
    import_wait_s: float = Field(
        default=120, gt=0, le=3600, description="longest wait of an import for its turn (then 503, try again)"
    )
    slot_wait_s: float = Field(
        default=10, gt=0, le=600, description="longest wait of a request for a database connection (then 503)"
    )
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    pool_size: int = Field(default=10, ge=1, le=200)
    max_upload_bytes: int = Field(default=50 * 1024 * 1024, ge=1024, description="largest request body accepted")
    auth_failures_per_minute: int = Field(default=10, ge=1, description="failed key checks per client per minute")
    trusted_proxies: list[str] = Field(
        default_factory=list,
        description="addresses of reverse proxies whose X-Forwarded-For is believed (JSON list); none: the socket's",
    )
    cors_origins: list[str] = Field(default_factory=list)
    photos: PhotoSettings = Field(default_factory=PhotoSettings)
    imports: ImportSettings = Field(default_factory=ImportSettings)
    coverage: CoverageSettings = Field(default_factory=CoverageSettings)
    maps: MapSettings = Field(default_factory=MapSettings)
    hazards: HazardSettings = Field(default_factory=HazardSettings)
    divisions: DivisionSettings = Field(default_factory=DivisionSettings)

    @field_validator("database_url")
    @classmethod
    def _psycopg_driver(cls, value: str) -> str:
        """Accept plain ``postgresql://`` URLs and use the psycopg 3 driver for them."""
        return with_psycopg_driver(value)

    @field_validator("replica_urls")
    @classmethod
    def _replica_drivers(cls, values: list[str]) -> list[str]:
        return [with_psycopg_driver(value) for value in values]


_installed: Settings | None = None


def install(settings: Settings) -> Settings:
    """Make ``settings`` the tree of this process: ``create_app``, the CLI and each import worker call it once, so
    code below the routes (the import archive, the decompression limit) reads the same tree the entry point built."""
    global _installed
    _installed = settings
    return settings


def installed() -> Settings:
    """The tree the entry point of this process installed (read from the environment once when a library caller
    installed none)."""
    return _installed or install(Settings())


def with_psycopg_driver(url: str) -> str:
    """``postgresql://`` and ``postgres://`` URLs with the psycopg 3 driver named."""
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


def proxy_options(settings: Settings) -> dict[str, Any]:
    """uvicorn's options for the client address (every server of the app is started with them): X-Forwarded-For
    and X-Forwarded-Proto are honoured only from ``trusted_proxies``; with none the address is the socket's, so a
    client cannot name itself (the failed-key limiter counts per address). With proxies, the address is the
    rightmost one of the header that is not a trusted proxy (the one the proxy appended)."""
    if not settings.trusted_proxies:
        return {"proxy_headers": False}
    return {"proxy_headers": True, "forwarded_allow_ips": settings.trusted_proxies}
