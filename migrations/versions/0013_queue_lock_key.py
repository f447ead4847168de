"""queue lock keys: at most one processing job per key

Revision ID: 0013_queue_lock_key
Revises: 0012_health_alerts
Create Date: 2026-12-03 12:30:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0013_queue_lock_key"
down_revision = "0012_health_alerts"
branch_labels = None
depends_on = None

WHERE = "status = 'processing' AND lock_key IS NOT NULL"


def upgrade():
    with op.batch_alter_table("queued_jobs") as batch:
        batch.add_column(sa.Column("lock_key", sa.String(length=200), nullable=True))
    op.create_index(
        "uq_queued_jobs_lock_key_processing",
        "queued_jobs",
        ["lock_key"],
        unique=True,
        sqlite_where=sa.text(WHERE),
        postgresql_where=sa.text(WHERE),
    )


def downgrade():
    op.drop_index("uq_queued_jobs_lock_key_processing", table_name="queued_jobs")
    with op.batch_alter_table("queued_jobs") as batch:
        batch.drop_column("lock_key")
