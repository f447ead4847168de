"""Keeping the queue healthy: jobs whose worker died go back to pending (or fail on their
last attempt), and finished jobs are purged after a while. Run by the housekeeping job.

A started job whose worker died is a failed attempt no worker recorded, so its kind's
`on_failed` hook hears of it here, in the same transaction, exactly as it would from a
worker: the area's own rows (a setup run, a follow-up) then say what happened."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import and_, delete, select, update
from sqlalchemy.orm import Session

from webapp.core.db import begin_write
from webapp.models.queue import QueuedJob
from webapp.queue.handlers import Failed, kind
from webapp.queue.store import _expired

LEASE_EXPIRED = "LEASE_EXPIRED"
RETRIED = "The worker stopped before finishing; retried."
FAILED = "The worker stopped before finishing on the last attempt."


def recover_stale(session: Session, *, now: datetime, kinds: Sequence[str] | None = None) -> int:
    """Return jobs whose lease expired (their worker died) to pending, `kinds` only if given.

    A job leased but never started goes back as it was (it spent no attempt); a started one
    that had used its last attempt is failed instead. Returns how many jobs were handled.
    """
    begin_write(session)
    started = QueuedJob.started_at.is_not(None)
    attempts_left = QueuedJob.attempts < QueuedJob.max_attempts
    handled = 0
    for condition, values in (
        (~started, {"status": "pending"}),
        (
            and_(started, attempts_left),
            {"status": "pending", "last_error": RETRIED, "error_class": LEASE_EXPIRED},
        ),
        (
            and_(started, ~attempts_left),
            {"status": "failed", "last_error": FAILED, "error_class": LEASE_EXPIRED},
        ),
    ):
        conditions = [_expired(now), condition]
        if kinds is not None:
            conditions.append(QueuedJob.kind.in_(list(kinds)))
        ids = session.scalars(
            update(QueuedJob)
            .where(*conditions)
            .values(lease_owner=None, lease_expires_at=None, updated_at=now, **values)
            .returning(QueuedJob.id)
            .execution_options(synchronize_session=False)
        ).all()
        handled += len(ids)
        if "error_class" in values:
            _tell_kinds(session, ids, values["status"] == "pending")
    return handled


def _tell_kinds(session: Session, job_ids: Sequence[int], retried: bool) -> None:
    """Each recovered job's `on_failed`, as a worker would call it for a failed attempt."""
    if not job_ids:
        return
    failure = Failed(RETRIED if retried else FAILED, LEASE_EXPIRED, retryable=retried)
    jobs = session.scalars(
        select(QueuedJob)
        .where(QueuedJob.id.in_(list(job_ids)))
        .order_by(QueuedJob.id)
        .execution_options(populate_existing=True)
    )
    for job in jobs:
        spec = kind(job.kind)
        if spec is not None and spec.on_failed is not None:
            spec.on_failed(session, job, failure)


def purge_completed(session: Session, *, older_than: datetime) -> int:
    """Delete completed and cancelled jobs finished before `older_than`; failed ones stay."""
    begin_write(session)
    result = session.execute(
        delete(QueuedJob)
        .where(QueuedJob.status.in_(("completed", "cancelled")), QueuedJob.updated_at < older_than)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount or 0
