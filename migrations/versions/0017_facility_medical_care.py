"""facilities: medical care of eldercare institutions (infirmary 内设医疗机构, contract 签约医疗机构)

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

MEDICAL_CARE = "(infirmary IS NULL AND medical_contract IS NULL) OR kind = 'eldercare_institution'"


def upgrade() -> None:
    op.add_column("facility", sa.Column("infirmary", sa.Boolean(), nullable=True))
    op.add_column("facility", sa.Column("medical_contract", sa.Boolean(), nullable=True))
    op.create_check_constraint(op.f("ck_facility_medical_care"), "facility", MEDICAL_CARE)


def downgrade() -> None:
    op.drop_constraint(op.f("ck_facility_medical_care"), "facility", type_="check")
    op.drop_column("facility", "medical_contract")
    op.drop_column("facility", "infirmary")
