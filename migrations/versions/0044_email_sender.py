"""the workspace's email sender (From name and address), asked in the autopilot wizard

Revision ID: 0044_email_sender
Revises: 0040_tracking_optin
Create Date: 2026-12-03 22:30:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0044_email_sender"
down_revision = "0040_tracking_optin"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("organizations") as batch:
        batch.add_column(sa.Column("email_from_name", sa.String(100), nullable=True))
        batch.add_column(sa.Column("email_from_address", sa.String(254), nullable=True))


def downgrade():
    with op.batch_alter_table("organizations") as batch:
        batch.drop_column("email_from_address")
        batch.drop_column("email_from_name")
