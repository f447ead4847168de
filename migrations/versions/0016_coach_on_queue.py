"""coach on the work engine: follow-ups are queue jobs; the coach's own leases go

Every open follow-up (pending, or processing under the old lease) becomes a pending
"coach.followup" job of the one queue, due at its due time, with the conversation's lock
key; the lease columns of coach_followups and coach_conversations are dropped.

Revision ID: 0016_coach_on_queue
Revises: 0015_provisioning_on_queue
Create Date: 2026-12-03 13:00:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0016_coach_on_queue"
down_revision = "0015_provisioning_on_queue"
branch_labels = None
depends_on = None

# The same jobs coach/work.py queues (kind, key, lock key, payload, 3 attempts); a data
# migration may write queued_jobs itself (the only-the-engine rule is for the app's code).
JOBS = """
INSERT INTO queued_jobs (kind, idempotency_key, lock_key, payload, run_at, org_id,
                         max_attempts, test_mode, status, attempts, created_at, updated_at)
SELECT 'coach.followup', 'coach:' || f.kind || ':' || f.id,
       'conversation:' || f.conversation_id, {payload}, f.due_at, f.org_id,
       3, {false}, 'pending', 0, f.updated_at, f.updated_at
FROM coach_followups f
WHERE f.status IN ('pending', 'processing')
ON CONFLICT (idempotency_key) DO NOTHING
"""


def upgrade():
    postgres = op.get_bind().dialect.name == "postgresql"
    op.execute("UPDATE coach_followups SET status = 'pending' WHERE status = 'processing'")
    op.execute(
        JOBS.format(
            payload="json_build_object('followup_id', f.id)"
            if postgres
            else "json_object('followup_id', f.id)",
            false="false" if postgres else "0",
        )
    )
    # A plain DROP COLUMN (SQLite 3.35+), not batch_alter_table: a batch rebuild drops and
    # recreates coach_conversations, and with foreign keys on, SQLite's implicit DELETE of
    # the old table cascades to every follow-up and message.
    for table in ("coach_followups", "coach_conversations"):
        for column in ("lease_until", "lease_owner"):
            op.execute(f"ALTER TABLE {table} DROP COLUMN {column}")


def downgrade():
    for table in ("coach_followups", "coach_conversations"):
        op.add_column(table, sa.Column("lease_owner", sa.String(length=80), nullable=True))
        op.add_column(table, sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True))
    op.execute(
        "DELETE FROM queued_jobs WHERE kind = 'coach.followup' "
        "AND status IN ('pending', 'processing')"
    )
