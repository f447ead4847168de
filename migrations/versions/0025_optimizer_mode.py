"""optimizer mode: learning (the default) or rules, and the owner's value of one lead

Revision ID: 0025_optimizer_mode
Revises: 0024_broadcasts
Create Date: 2026-12-03 17:00:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0025_optimizer_mode"
down_revision = "0024_broadcasts"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("autopilot_configs", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "optimizer_mode", sa.String(length=16), server_default="learning", nullable=False
            )
        )
        batch_op.add_column(sa.Column("lead_value", sa.Numeric(12, 2), nullable=True))


def downgrade():
    with op.batch_alter_table("autopilot_configs", schema=None) as batch_op:
        batch_op.drop_column("lead_value")
        batch_op.drop_column("optimizer_mode")
