"""health probe: the row /healthz writes to prove the database takes writes

Revision ID: 0018_health_probe
Revises: 0017_sessions_and_resets
Create Date: 2026-12-03 16:00:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0018_health_probe"
down_revision = "0017_sessions_and_resets"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "health_probes",
        sa.Column("name", sa.String(length=120), primary_key=True),
        sa.Column("written_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("health_probes")
