"""Controlling one job from outside the engine (the Job API): find it, retry it when it
failed, cancel it while it waits — always within one workspace and a set of kinds, so a
caller reaches only the jobs it may see.

Each change is one conditional UPDATE (the status it expects is in its WHERE), so a job a
worker claims at the same moment is either cancelled before the claim or not at all.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from webapp.core.db import begin_write
from webapp.models.queue import QueuedJob


def _scoped(job_id: int, org_id: int, kinds: Collection[str]) -> list:
    return [QueuedJob.id == job_id, QueuedJob.org_id == org_id, QueuedJob.kind.in_(kinds)]


def find_job(
    session: Session, job_id: int, *, org_id: int, kinds: Collection[str]
) -> QueuedJob | None:
    """The workspace's job of one of `kinds` with this id, else None (another workspace's
    job and a job of another kind look the same: absent)."""
    return session.scalars(select(QueuedJob).where(*_scoped(job_id, org_id, kinds))).one_or_none()


def retry_failed(
    session: Session, job_id: int, *, org_id: int, kinds: Collection[str], now: datetime
) -> bool:
    """A failed job back to pending with a fresh set of attempts, due now (its last error is
    kept until the next attempt). False when the job is not failed."""
    begin_write(session)
    result = session.execute(
        update(QueuedJob)
        .where(*_scoped(job_id, org_id, kinds), QueuedJob.status == "failed")
        .values(
            status="pending",
            attempts=0,
            run_at=now,
            lease_owner=None,
            lease_expires_at=None,
            updated_at=now,
        )
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def cancel_pending(
    session: Session,
    job_id: int,
    *,
    org_id: int,
    kinds: Collection[str],
    now: datetime,
    reason: str,
) -> bool:
    """Cancel a job still waiting to run (the reason kept as its last error). False when it
    is running or finished."""
    begin_write(session)
    result = session.execute(
        update(QueuedJob)
        .where(*_scoped(job_id, org_id, kinds), QueuedJob.status == "pending")
        .values(status="cancelled", last_error=reason, error_class="CANCELLED", updated_at=now)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1
