"""a workspace's postal address, shown in the footer of its marketing email (CAN-SPAM)

Revision ID: 0038_postal_address
Revises: 0036_chat
Create Date: 2026-12-03 22:30:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0038_postal_address"
down_revision = "0036_chat"
branch_labels = None
depends_on = None


def upgrade():
    # A plain ADD COLUMN: a batch rebuild of organizations on SQLite would cascade-delete
    # every row that refers to it.
    op.add_column("organizations", sa.Column("postal_address", sa.String(300), nullable=True))


def downgrade():
    op.execute("ALTER TABLE organizations DROP COLUMN postal_address")  # no rebuild either
