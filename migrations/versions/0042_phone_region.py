"""the workspace's phone country: numbers typed without a country code are read as this
country's (empty: the country of the workspace's time zone)

Revision ID: 0042_phone_region
Revises: 0044_email_sender
Create Date: 2026-12-03 22:20:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0042_phone_region"
down_revision = "0044_email_sender"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("organizations") as batch:
        batch.add_column(sa.Column("phone_region", sa.String(2), nullable=True))


def downgrade():
    with op.batch_alter_table("organizations") as batch:
        batch.drop_column("phone_region")
