"""What a lease holder may do with a batch it claimed, besides completing or failing a job.

A worker that claimed a batch (`store.claim`) may start its jobs one by one (with
`claim(start=False)`: the attempt is counted as each job's work begins), renew the leases
while the batch is slow,
give jobs back for later without spending an attempt (a paused sequence, a rate limit, an
open circuit), or cancel a job that must not run (its contact unsubscribed). Each statement
only touches rows still leased by `owner`, so a stalled worker can never overwrite what a
newer lease holder did with them.

Functions start a write transaction when none is open (`begin_write`) and never commit.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta

from sqlalchemy import and_, case, update
from sqlalchemy.orm import Session

from webapp.core.db import begin_write
from webapp.models.queue import QueuedJob


def _held(owner: str, *conditions):
    return and_(QueuedJob.status == "processing", QueuedJob.lease_owner == owner, *conditions)


def extend_leases(
    session: Session,
    job_ids: Sequence[int],
    owner: str,
    *,
    now: datetime,
    lease_seconds: int,
) -> int:
    """Renew the leases `owner` still holds among `job_ids`. Returns how many were renewed."""
    if not job_ids:
        return 0
    begin_write(session)
    result = session.execute(
        update(QueuedJob)
        .where(_held(owner, QueuedJob.id.in_(list(job_ids))))
        .values(lease_expires_at=now + timedelta(seconds=lease_seconds), updated_at=now)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount or 0


def start(session: Session, job_ids: Sequence[int], owner: str, *, now: datetime) -> int:
    """Count an attempt for each job of a `claim(start=False)` batch whose work begins now.
    Once per lease: a job already started is left alone. Returns how many were started."""
    if not job_ids:
        return 0
    begin_write(session)
    result = session.execute(
        update(QueuedJob)
        .where(_held(owner, QueuedJob.id.in_(list(job_ids)), QueuedJob.started_at.is_(None)))
        .values(attempts=QueuedJob.attempts + 1, started_at=now, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount or 0


def release(
    session: Session,
    owner: str,
    jobs: Iterable[tuple[int, datetime]],
    *,
    now: datetime,
    reason: str | None = None,
) -> int:
    """Put leased jobs back to pending, each due at its own time, WITHOUT spending an
    attempt (a started job's attempt is given back). `jobs`: (job id, run at) pairs.
    `reason`, when given, becomes the jobs' last error ("" clears it); otherwise the last
    error is left as it was. Returns how many were still leased by `owner` and went back."""
    begin_write(session)
    noted = {} if reason is None else {"last_error": reason or None}
    released = 0
    for job_id, run_at in jobs:
        result = session.execute(
            update(QueuedJob)
            .where(_held(owner, QueuedJob.id == job_id))
            .values(
                status="pending",
                run_at=run_at,
                attempts=QueuedJob.attempts - case((QueuedJob.started_at.is_(None), 0), else_=1),
                started_at=None,
                lease_owner=None,
                lease_expires_at=None,
                updated_at=now,
                **noted,
            )
            .execution_options(synchronize_session=False)
        )
        released += result.rowcount or 0
    return released


def cancel_leased(
    session: Session,
    job_id: int,
    owner: str,
    *,
    now: datetime,
    reason: str,
    error_class: str = "CANCELLED",
) -> bool:
    """Cancel a job `owner` leases, with `reason` kept as its last error. False if the lease
    was lost meanwhile (the job is someone else's now)."""
    begin_write(session)
    result = session.execute(
        update(QueuedJob)
        .where(_held(owner, QueuedJob.id == job_id))
        .values(
            status="cancelled",
            last_error=reason,
            error_class=error_class,
            lease_owner=None,
            lease_expires_at=None,
            updated_at=now,
        )
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1
