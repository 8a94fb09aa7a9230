"""data versions: a counter per context (boundaries, gazetteer, facilities) bumped at commit by every transaction
that wrote to one of its tables; read routes derive their ETag from it (core.conditional)

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The tables of each context at this revision. A later migration adding a table adds its trigger the same way
# (tests/core/test_conditional_get.py checks that every context table has one).
TABLES = {
    "boundaries": (
        "admin_unit",
        "unit_polygon",
        "boundary_check",
        "boundary_finding",
        "boundary_line",
        "boundary_marker",
        "dispute_case",
        "dispute_event",
        "boundary_comparison",
        "disputed_piece",
        "inspection_campaign",
        "inspection_observation",
        "observation_photo",
    ),
    "gazetteer": (
        "reference_point",
        "place_name",
        "place_secrecy_proposal",
        "name_event",
        "place_key",
        "place_core_deletion",
        "unit_english_name",
        "place_sign",
    ),
    "facilities": ("facility", "unit_population", "prohibited_layer", "road_edge"),
}

# Once per transaction and context (a transaction-local setting remembers it): note the context. Cheap and
# lock-free, so a bulk import pays one insert, and concurrent writers never wait on each other here.
NOTE_CHANGE = """
CREATE FUNCTION note_data_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF current_setting('gaz.changed_' || TG_ARGV[0], true) IS DISTINCT FROM 'on' THEN
        PERFORM set_config('gaz.changed_' || TG_ARGV[0], 'on', true);
        INSERT INTO data_change (context) VALUES (TG_ARGV[0]);
    END IF;
    RETURN NULL;
END $$
"""
# At commit (deferred): the noted contexts' versions bumped, rows locked in context order (no deadlock between two
# committing transactions), the notes removed. The first of a transaction's notes does it all; the others find none.
APPLY_CHANGES = """
CREATE FUNCTION apply_data_changes() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    changed text[];
BEGIN
    WITH noted AS (DELETE FROM data_change RETURNING context)
    SELECT array_agg(DISTINCT context ORDER BY context) INTO changed FROM noted;
    IF changed IS NOT NULL THEN
        PERFORM 1 FROM data_version WHERE context = ANY(changed) ORDER BY context FOR UPDATE;
        UPDATE data_version SET version = version + 1 WHERE context = ANY(changed);
    END IF;
    RETURN NULL;
END $$
"""


def upgrade() -> None:
    op.create_table(
        "data_version",
        sa.Column("context", sa.Text(), nullable=False),
        sa.Column("version", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.PrimaryKeyConstraint("context", name=op.f("pk_data_version")),
    )
    op.create_table(
        "data_change",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("context", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_data_change")),
    )
    op.bulk_insert(sa.table("data_version", sa.column("context", sa.Text())), [{"context": c} for c in TABLES])
    op.execute(NOTE_CHANGE)
    op.execute(APPLY_CHANGES)
    op.execute(
        "CREATE CONSTRAINT TRIGGER data_change_at_commit AFTER INSERT ON data_change"
        " DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION apply_data_changes()"
    )
    for context, tables in TABLES.items():
        for table in tables:
            op.execute(
                f"CREATE TRIGGER data_version_{table} AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {table}"
                f" FOR EACH STATEMENT EXECUTE FUNCTION note_data_change('{context}')"
            )


def downgrade() -> None:
    for tables in TABLES.values():
        for table in tables:
            op.execute(f"DROP TRIGGER data_version_{table} ON {table}")
    op.drop_table("data_change")
    op.execute("DROP FUNCTION apply_data_changes()")
    op.execute("DROP FUNCTION note_data_change()")
    op.drop_table("data_version")
