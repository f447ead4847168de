"""queue jobs: started_at, so an attempt is charged to the job actually worked on

A batch leased with `claim(start=False)` counts each job's attempt as its work begins; a
worker that dies has then spent an attempt on the job it was working on only. Jobs
processing now were charged at their claim under the old rule: they count as started.

Revision ID: 0019_job_started_at
Revises: 0018_health_probe
Create Date: 2026-12-03 15:40:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0019_job_started_at"
down_revision = "0018_health_probe"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("queued_jobs") as batch:
        batch.add_column(sa.Column("started_at", sa.DateTime(timezone=True), nullable=True))
    op.execute("UPDATE queued_jobs SET started_at = updated_at WHERE status = 'processing'")


def downgrade() -> None:
    with op.batch_alter_table("queued_jobs") as batch:
        batch.drop_column("started_at")
