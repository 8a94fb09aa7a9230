"""merge every context's branch into one linear history from here on

Until 0013 each context added its own branch from 0001 or from its previous revision (heads 0006 signs, 0007 boundary
management, 0008 facilities, 0010 search keys, 0012 api users, 0013 secrecy proposals). This revision joins them; every
later revision revises the one head before it (tests/app/test_migrations.py checks there is exactly one head).

Revision ID: 0014
Revises: 0006, 0007, 0008, 0010, 0012, 0013
Create Date: 2026-12-04
"""

from collections.abc import Sequence

revision: str = "0014"
down_revision: str | Sequence[str] | None = ("0006", "0007", "0008", "0010", "0012", "0013")
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Nothing to change: a merge point."""


def downgrade() -> None:
    """Nothing to change: a merge point."""
