"""The schema lives under Alembic: upgrade from empty, downgrade to base, and no autogenerate drift."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, inspect, text

from app import schema
from app.schema import include_object

APP_TABLES = {"admin_unit", "unit_polygon", "reference_point", "audit_log", "api_user"}


def test_upgrade_from_empty_then_downgrade_to_base(engine: Engine) -> None:
    """The per-test database is migrated to head; base removes every table; head again restores them."""
    assert APP_TABLES <= set(inspect(engine).get_table_names())
    schema.downgrade(engine, "base")
    remaining = set(inspect(engine).get_table_names())
    assert not (APP_TABLES & remaining)
    assert "spatial_ref_sys" in remaining  # PostGIS's own table is left alone
    schema.upgrade(engine)
    assert APP_TABLES <= set(inspect(engine).get_table_names())


def test_autogenerate_diff_is_empty(engine: Engine) -> None:
    """The models and the migrated database agree: autogenerate would write nothing."""
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"include_object": include_object, "compare_type": True})
        diff = compare_metadata(context, schema.target_metadata)
    assert diff == []


def test_overlapping_periods_of_one_code_are_refused(engine: Engine) -> None:
    """The exclusion constraint forbids two versions of one code on the same day."""
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO admin_unit (code, name, level, kind, valid_from, valid_to)"
                " VALUES ('150603000000', '康巴什区', 'county', '区', '2016-01-01', '2020-01-01')"
            )
        )
    try:
        with engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO admin_unit (code, name, level, kind, valid_from)"
                    " VALUES ('150603000000', '康巴什新区', 'county', '区', '2019-06-01')"
                )
            )
    except Exception as exc:  # the driver's ExclusionViolation, wrapped by SQLAlchemy
        assert "ex_admin_unit_code_period" in str(exc)
    else:
        raise AssertionError("an overlapping version was accepted")
    with engine.begin() as conn:  # an adjoining period is fine
        conn.execute(
            text(
                "INSERT INTO admin_unit (code, name, level, kind, valid_from)"
                " VALUES ('150603000000', '康巴什区', 'county', '区', '2020-01-01')"
            )
        )
        assert conn.execute(text("SELECT count(*) FROM admin_unit")).scalar_one() == 2


def test_one_linear_history_from_the_merge_on() -> None:
    """`alembic heads` shows one head; from the merge revision 0014 on, each revision revises exactly the one before
    it (the contexts' earlier branches end in 0014)."""
    scripts = ScriptDirectory(str(schema.MIGRATIONS_DIR))
    assert scripts.get_heads() == [scripts.get_current_head()]
    merge = scripts.get_revision("0014")
    assert merge.down_revision == ("0006", "0007", "0008", "0010", "0012", "0013")
    later = [r for r in scripts.walk_revisions() if r.revision > "0014"]
    assert all(isinstance(r.down_revision, str) for r in later)
