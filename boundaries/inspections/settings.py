"""Settings of field inspections, read from the environment with the ``GAZ_`` prefix."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from core.settings import PROJECT_ROOT


class FieldSettings(BaseSettings):
    """Where observation photos are stored (outside the database) and how large one may be."""

    model_config = SettingsConfigDict(env_prefix="GAZ_", extra="ignore")

    photo_dir: Path = Field(default=PROJECT_ROOT / ".run" / "photos", description="folder of observation photos")
    photo_max_bytes: int = Field(default=8 * 1024 * 1024, ge=1024, description="largest photo accepted")
