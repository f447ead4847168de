"""provisioning steps run as queue jobs: the run lease columns go

Revision ID: 0015_provisioning_on_queue
Revises: 0014_one_rate_limiter
Create Date: 2026-12-03 13:00:00

A run still in progress (queued, running, or failed with a retry due) gets the job of its
first unfinished step, as `request_provisioning` would have made it: due now (a running
run's old process is gone with the old code), or at its retry time; the attempts its step
already failed count as the job's, so the retries left stay the same.
"""

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "0015_provisioning_on_queue"
down_revision = "0014_one_rate_limiter"
branch_labels = None
depends_on = None

KIND = "provisioning.step"
MAX_ATTEMPTS = 4  # the first try and 3 retries (webapp/services/provisioning/runner.py)

runs = sa.table(
    "provisioning_runs",
    sa.column("id", sa.Integer),
    sa.column("org_id", sa.Integer),
    sa.column("status", sa.String),
    sa.column("next_attempt_at", sa.DateTime(timezone=True)),
)
steps = sa.table(
    "provisioning_steps",
    sa.column("run_id", sa.Integer),
    sa.column("key", sa.String),
    sa.column("position", sa.Integer),
    sa.column("status", sa.String),
    sa.column("attempts", sa.Integer),
)
jobs = sa.table(
    "queued_jobs",
    sa.column("org_id", sa.Integer),
    sa.column("kind", sa.String),
    sa.column("payload", sa.JSON),
    sa.column("idempotency_key", sa.String),
    sa.column("lock_key", sa.String),
    sa.column("status", sa.String),
    sa.column("attempts", sa.Integer),
    sa.column("max_attempts", sa.Integer),
    sa.column("run_at", sa.DateTime(timezone=True)),
    sa.column("test_mode", sa.Boolean),
    sa.column("created_at", sa.DateTime(timezone=True)),
    sa.column("updated_at", sa.DateTime(timezone=True)),
)


def _live_runs_first_steps(conn):
    other = steps.alias("other")
    first = (
        sa.select(sa.func.min(other.c.position))
        .where(other.c.run_id == runs.c.id, other.c.status.notin_(("done", "skipped")))
        .scalar_subquery()
    )
    live = sa.or_(
        runs.c.status.in_(("queued", "running")),
        sa.and_(runs.c.status == "failed", runs.c.next_attempt_at.is_not(None)),
    )
    return conn.execute(
        sa.select(
            runs.c.id, runs.c.org_id, runs.c.status, runs.c.next_attempt_at, steps.c.key,
            steps.c.attempts,
        )
        .join(steps, steps.c.run_id == runs.c.id)
        .where(live, steps.c.position == first)
    ).all()  # fmt: skip


def upgrade():
    conn = op.get_bind()
    now = datetime.now(UTC)
    if conn.dialect.name == "sqlite":
        now = now.replace(tzinfo=None)  # naive UTC, as the models store it there
    rows = [
        {
            "org_id": row.org_id,
            "kind": KIND,
            "payload": {"run_id": row.id, "step": row.key},
            "idempotency_key": f"provisioning:run:{row.id}:{row.key}",
            "lock_key": f"provisioning:{row.org_id}",
            "status": "pending",
            "attempts": min(row.attempts or 0, MAX_ATTEMPTS - 1),
            "max_attempts": MAX_ATTEMPTS,
            "run_at": row.next_attempt_at if row.status == "failed" else now,
            "test_mode": False,
            "created_at": now,
            "updated_at": now,
        }
        for row in _live_runs_first_steps(conn)
    ]
    if rows:
        conn.execute(jobs.insert(), rows)
    with op.batch_alter_table("provisioning_runs") as batch:
        batch.drop_column("lease_until")
        batch.drop_column("lease_owner")


def downgrade():
    with op.batch_alter_table("provisioning_runs") as batch:
        batch.add_column(sa.Column("lease_owner", sa.String(length=120), nullable=True))
        batch.add_column(sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True))
    # The old runner finds unfinished runs by their status; their jobs would run twice.
    op.execute(
        jobs.delete().where(jobs.c.kind == KIND, jobs.c.status.in_(("pending", "processing")))
    )
