"""Settings of the map viewer, read from the environment with the ``GAZ_`` prefix."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class MapSettings(BaseSettings):
    """Basemap keys: the Tianditu basemap is offered only when a key is configured."""

    model_config = SettingsConfigDict(env_prefix="GAZ_", extra="ignore")

    tianditu_key: str = Field(default="", description="Tianditu (天地图) browser key; empty hides that basemap")
