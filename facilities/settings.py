"""Settings of the coverage indicators, read from the environment with the ``GAZ_`` prefix."""

from __future__ import annotations

from pydantic import Field, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from core.errors import ServiceUnavailable

# The default is a placeholder, not a figure from a cited plan: the national 14th five-year eldercare plan sets
# its bed indicator as the share of nursing-type beds in eldercare institutions, not beds per 1,000 aged 60+.
# The office sets its own target (GAZ_BED_TARGET_PER_1000, or ``target`` per request).
PLACEHOLDER_BED_TARGET = 35.0


class CoverageSettings(BaseSettings):
    """Targets of the coverage indicators. Every field can be set as ``GAZ_<FIELD>`` in the environment."""

    model_config = SettingsConfigDict(env_prefix="GAZ_", extra="ignore")

    bed_target_per_1000: float = Field(
        default=PLACEHOLDER_BED_TARGET,
        gt=0,
        le=1000,
        description="eldercare beds per 1,000 residents aged 60+ that a banner should reach; the default 35 is a "
        "placeholder (no cited source): set the office's own target",
    )


def coverage_settings() -> CoverageSettings:
    """The settings from the environment; a bad value answers 503 naming the setting (the service is misconfigured,
    the request is not at fault)."""
    try:
        return CoverageSettings()
    except ValidationError as exc:
        problems = "; ".join(f"GAZ_{'.'.join(map(str, e['loc'])).upper()}: {e['msg']}" for e in exc.errors())
        raise ServiceUnavailable(f"coverage settings are invalid ({problems})") from None
