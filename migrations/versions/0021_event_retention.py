"""event retention: how many days each workspace keeps its contacts' events

Revision ID: 0021_event_retention
Revises: 0020_events
Create Date: 2026-12-03 16:30:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0021_event_retention"
down_revision = "0020_events"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("organizations", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("event_retention_days", sa.Integer(), server_default="400", nullable=False)
        )


def downgrade():
    # SQLite (3.35+) drops a column in place. Batch mode would copy the table and drop the
    # old one, which every workspace row references: with foreign keys on, SQLite refuses
    # ("database table is locked").
    op.execute("ALTER TABLE organizations DROP COLUMN event_retention_days")
