"""Alembic environment: the service's metadata, GeoAlchemy2's helpers, PostGIS tables left alone."""

from __future__ import annotations

from typing import Any

from alembic import context
from geoalchemy2 import alembic_helpers
from sqlalchemy import create_engine

from app.schema import target_metadata

# Schemas and tables owned by PostGIS and its extensions: autogenerate must never touch them.
EXTENSION_SCHEMAS = {"topology", "tiger", "tiger_data"}
EXTENSION_TABLES = {"spatial_ref_sys", "topology", "layer", "pointcloud_formats"}


def include_object(obj: Any, name: str | None, obj_type: str, reflected: bool, compare_to: Any) -> bool:
    """Skip extension-owned tables and schemas, then apply GeoAlchemy2's own filter."""
    if obj_type == "table" and (name in EXTENSION_TABLES or getattr(obj, "schema", None) in EXTENSION_SCHEMAS):
        return False
    return bool(alembic_helpers.include_object(obj, name, obj_type, reflected, compare_to))


def run_migrations() -> None:
    """Run online against ``sqlalchemy.url`` (or a connection passed in ``attributes``)."""
    connection = context.config.attributes.get("connection")
    common: dict[str, Any] = dict(
        target_metadata=target_metadata,
        include_object=include_object,
        process_revision_directives=alembic_helpers.writer,
        render_item=alembic_helpers.render_item,
        compare_type=True,
    )
    if connection is not None:
        context.configure(connection=connection, **common)
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = create_engine(context.config.get_main_option("sqlalchemy.url") or "")
    with engine.connect() as conn:
        context.configure(connection=conn, **common)
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


run_migrations()
