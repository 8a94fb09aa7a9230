"""The complete metadata (every context's tables) and the migration commands over it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from geoalchemy2 import alembic_helpers
from sqlalchemy import Engine, MetaData

import boundaries.checks.models  # noqa: F401  (registers the tables)
import boundaries.compare.models  # noqa: F401  (registers the tables)
import boundaries.disputes.models  # noqa: F401  (registers the tables)
import boundaries.hazards.models  # noqa: F401  (registers the tables)
import boundaries.inspections.models  # noqa: F401  (registers the tables)
import boundaries.lines.models  # noqa: F401  (registers the tables)
import boundaries.polygons.models  # noqa: F401  (registers the tables)
import boundaries.units.models  # noqa: F401  (registers the tables)
import core.data_version  # noqa: F401  (registers the tables)
import core.models  # noqa: F401
import divisions.models  # noqa: F401
import facilities.models  # noqa: F401
import gazetteer.places.models  # noqa: F401
import gazetteer.signs.models  # noqa: F401
from core.database import Base

target_metadata: MetaData = Base.metadata
MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"

# Schemas and tables owned by PostGIS and its extensions: autogenerate must never touch them.
EXTENSION_SCHEMAS = {"topology", "tiger", "tiger_data"}
EXTENSION_TABLES = {"spatial_ref_sys", "topology", "layer", "pointcloud_formats"}


def include_object(obj: Any, name: str | None, obj_type: str, reflected: bool, compare_to: Any) -> bool:
    """Skip extension-owned tables and schemas, then apply GeoAlchemy2's own filter."""
    if obj_type == "table" and (name in EXTENSION_TABLES or getattr(obj, "schema", None) in EXTENSION_SCHEMAS):
        return False
    return bool(alembic_helpers.include_object(obj, name, obj_type, reflected, compare_to))


def alembic_config(engine: Engine) -> Config:
    """Alembic configuration bound to the engine's database."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", engine.url.render_as_string(hide_password=False).replace("%", "%%"))
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Migrate the database up to ``revision`` (the one head by default: one linear history since 0014)."""
    command.upgrade(alembic_config(engine), revision)


def downgrade(engine: Engine, revision: str = "base") -> None:
    """Migrate the database down to ``revision``."""
    command.downgrade(alembic_config(engine), revision)
