"""a workspace's texting hours (quiet hours for SMS and WhatsApp in the contact's zone)

Revision ID: 0041_texting_hours
Revises: 0045_analytics_reports
Create Date: 2026-12-03 22:30:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0041_texting_hours"
down_revision = "0045_analytics_reports"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("organizations") as batch:
        batch.add_column(sa.Column("texting_from", sa.String(5), nullable=True))
        batch.add_column(sa.Column("texting_until", sa.String(5), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("organizations") as batch:
        batch.drop_column("texting_until")
        batch.drop_column("texting_from")
