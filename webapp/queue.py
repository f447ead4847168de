"""The durable job queue: every outbound message and retryable step is a row here.

Life of a job: pending → processing → completed | failed | cancelled.

- `enqueue` is idempotent on `idempotency_key` (for example "enrollment:7:step:2").
- `claim` leases up to n due jobs to one worker in a single UPDATE … RETURNING statement
  (PostgreSQL adds FOR UPDATE SKIP LOCKED in the subquery; SQLite is serialised by the
  BEGIN IMMEDIATE set up in `db_setup`). Jobs whose lease expired are claimable again
  while they have attempts left; `recover_stale` fails the ones that have none.
- `complete`, `fail` and `extend_lease` only touch a row the caller still leases, so a
  stalled worker can never overwrite the outcome of the worker that took over.
- Every function that writes starts the session's transaction as a write transaction
  (`begin_write`: BEGIN IMMEDIATE on SQLite) unless one is already open, so call it first
  in a transaction, or after `begin_write`.
- `fail` retries retryable error classes with exponential backoff and jitter until
  `max_attempts`; anything else fails at once.

Functions flush or execute but never commit: the caller (job runner, view) commits.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, delete, func, insert, or_, select, update
from sqlalchemy.orm import Session

from webapp.db_setup import begin_write
from webapp.models.queue import QueuedJob

DEFAULT_LEASE_SECONDS = 120
DEFAULT_MAX_ATTEMPTS = 5

# Error classes (shared with the resilience layer). Only these are worth retrying.
RETRYABLE = frozenset({"TRANSIENT_NETWORK", "RATE_LIMITED", "INTEGRATION_OFFLINE", "LEASE_EXPIRED"})
# Base backoff per class: a rate limit needs more air than a dropped connection.
BASE_DELAY_SECONDS = {"RATE_LIMITED": 60, "INTEGRATION_OFFLINE": 30}
DEFAULT_BASE_DELAY_SECONDS = 10
MAX_DELAY_SECONDS = 6 * 3600


@dataclass(frozen=True)
class NewJob:
    kind: str
    idempotency_key: str
    payload: dict
    run_at: datetime
    org_id: int | None = None
    max_attempts: int = DEFAULT_MAX_ATTEMPTS
    test_mode: bool = False


def _row(job: NewJob, now: datetime) -> dict:
    return {
        "kind": job.kind,
        "idempotency_key": job.idempotency_key,
        "payload": job.payload,
        "run_at": job.run_at,
        "org_id": job.org_id,
        "max_attempts": job.max_attempts,
        "test_mode": job.test_mode,
        "status": "pending",
        "attempts": 0,
        "created_at": now,
        "updated_at": now,
    }


def _insert_ignoring_duplicates(session: Session):  # noqa: ANN202
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as dialect_insert
    else:
        from sqlalchemy.dialects.sqlite import insert as dialect_insert
    return dialect_insert(QueuedJob).on_conflict_do_nothing(index_elements=["idempotency_key"])


def enqueue(
    session: Session,
    kind: str,
    payload: dict,
    *,
    idempotency_key: str,
    now: datetime,
    run_at: datetime | None = None,
    org_id: int | None = None,
    max_attempts: int = DEFAULT_MAX_ATTEMPTS,
    test_mode: bool = False,
) -> tuple[QueuedJob, bool]:
    """Add a job unless one with the same key exists.

    Returns (job, created): the existing job and False when the key was already used.
    """
    begin_write(session)
    job = NewJob(kind, idempotency_key, payload, run_at or now, org_id, max_attempts, test_mode)
    stmt = _insert_ignoring_duplicates(session).values(**_row(job, now)).returning(QueuedJob.id)
    new_id = session.execute(stmt).scalar_one_or_none()
    if new_id is not None:
        return session.get(QueuedJob, new_id), True
    existing = session.scalars(
        select(QueuedJob).where(QueuedJob.idempotency_key == idempotency_key)
    ).one()
    return existing, False


def enqueue_many(
    session: Session, jobs: Iterable[NewJob], *, now: datetime, chunk: int = 1000
) -> int:
    """Bulk enqueue, skipping keys already used. Returns how many rows were new."""
    begin_write(session)
    created = 0
    batch: list[dict] = []
    for job in jobs:
        batch.append(_row(job, now))
        if len(batch) >= chunk:
            created += _insert_batch(session, batch)
            batch = []
    if batch:
        created += _insert_batch(session, batch)
    return created


def _insert_batch(session: Session, rows: list[dict]) -> int:
    # An ORM bulk insert's result has no rowcount; count the ids the database returns.
    stmt = _insert_ignoring_duplicates(session).returning(QueuedJob.id)
    return len(session.scalars(stmt, rows).all())


def _expired(now: datetime):  # noqa: ANN202
    return and_(QueuedJob.status == "processing", QueuedJob.lease_expires_at < now)


def _claimable(now: datetime, kinds: Sequence[str] | None, org_id: int | None, where: Sequence = ()):  # noqa: ANN202
    due = and_(QueuedJob.status == "pending", QueuedJob.run_at <= now)
    # A job whose worker died on its last attempt is not handed out again (a job that
    # kills its worker would otherwise loop forever); recover_stale fails it.
    abandoned = and_(_expired(now), QueuedJob.attempts < QueuedJob.max_attempts)
    conditions = [or_(due, abandoned)]
    if kinds:
        conditions.append(QueuedJob.kind.in_(list(kinds)))
    if org_id is not None:
        conditions.append(QueuedJob.org_id == org_id)
    conditions.extend(where)
    return and_(*conditions)


def claim(
    session: Session,
    owner: str,
    *,
    now: datetime,
    limit: int = 50,
    lease_seconds: int = DEFAULT_LEASE_SECONDS,
    kinds: Sequence[str] | None = None,
    org_id: int | None = None,
    where: Sequence = (),
) -> list[QueuedJob]:
    """Lease up to `limit` due jobs to `owner`, oldest due first, atomically.

    `where` adds conditions on QueuedJob (for example one campaign's jobs).

    Each claim counts as an attempt. Commit soon after: on SQLite the write lock is held
    until then. The jobs come back detached from the session, so reading them after that
    commit neither queries nor opens a (deferred, read-only) transaction that the next
    `complete` would then have to upgrade.
    """
    begin_write(session)
    # The ids first, then the UPDATE by id. As one `UPDATE … WHERE id IN (SELECT … LIMIT n
    # FOR UPDATE SKIP LOCKED)`, PostgreSQL may run the subquery again for each row (a
    # non-hashed SubPlan); each rerun skips the rows the statement itself just locked, so
    # the LIMIT stops limiting (seen with the coach's claim: LIMIT 1 leased 60 rows). The
    # row locks (PostgreSQL) or the write lock (SQLite) taken here hold until the commit.
    picked = session.scalars(
        select(QueuedJob.id)
        .where(_claimable(now, kinds, org_id, where))
        .order_by(QueuedJob.run_at, QueuedJob.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    ).all()
    if not picked:
        return []
    stmt = (
        update(QueuedJob)
        .where(QueuedJob.id.in_(picked))
        .values(
            status="processing",
            lease_owner=owner,
            lease_expires_at=now + timedelta(seconds=lease_seconds),
            attempts=QueuedJob.attempts + 1,
            updated_at=now,
        )
        .returning(QueuedJob)
        .execution_options(synchronize_session=False, populate_existing=True)
    )
    jobs = list(session.scalars(stmt))
    for job in jobs:
        session.expunge(job)
    jobs.sort(key=lambda j: (j.run_at, j.id))
    return jobs


def _leased(job_id: int, owner: str):  # noqa: ANN202
    return and_(
        QueuedJob.id == job_id,
        QueuedJob.status == "processing",
        QueuedJob.lease_owner == owner,
    )


def extend_lease(
    session: Session,
    job_id: int,
    owner: str,
    *,
    now: datetime,
    lease_seconds: int = DEFAULT_LEASE_SECONDS,
) -> bool:
    """Renew a lease still held by `owner`. Returns False if it was lost."""
    begin_write(session)
    result = session.execute(
        update(QueuedJob)
        .where(_leased(job_id, owner))
        .values(lease_expires_at=now + timedelta(seconds=lease_seconds), updated_at=now)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def complete(
    session: Session, job_id: int, owner: str, *, now: datetime, result: dict | None = None
) -> bool:
    """Mark a leased job completed. Returns False if the lease was lost meanwhile."""
    begin_write(session)
    outcome = session.execute(
        update(QueuedJob)
        .where(_leased(job_id, owner))
        .values(
            status="completed",
            result=result,
            lease_owner=None,
            lease_expires_at=None,
            completed_at=now,
            updated_at=now,
            last_error=None,
            error_class=None,
        )
        .execution_options(synchronize_session=False)
    )
    return outcome.rowcount == 1


def backoff_seconds(attempts: int, error_class: str, rng: random.Random | None = None) -> float:
    """Exponential backoff with full jitter: base·2^(attempts-1), jittered to [50 %, 100 %]."""
    base = BASE_DELAY_SECONDS.get(error_class, DEFAULT_BASE_DELAY_SECONDS)
    ceiling = min(MAX_DELAY_SECONDS, base * 2 ** max(attempts - 1, 0))
    return ceiling * (0.5 + (rng or random).random() / 2)


def fail(
    session: Session,
    job_id: int,
    owner: str,
    *,
    now: datetime,
    error: str,
    error_class: str,
    retryable: bool | None = None,
    retry_after: float | None = None,
) -> str | None:
    """Record a failed attempt of a leased job.

    A retryable error with attempts left goes back to pending after a backoff (never sooner
    than the provider's `retry_after` seconds, when it said); anything else is failed for
    good. Returns the new status, or None if the lease was lost.
    """
    begin_write(session)
    job = session.scalars(
        select(QueuedJob)
        .where(_leased(job_id, owner))
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one_or_none()
    if job is None:
        return None
    if retryable is None:
        retryable = error_class in RETRYABLE
    values: dict = {
        "last_error": error[:2000],
        "error_class": error_class,
        "lease_owner": None,
        "lease_expires_at": None,
        "updated_at": now,
    }
    if retryable and job.attempts < job.max_attempts:
        values["status"] = "pending"
        delay = backoff_seconds(job.attempts, error_class)
        if retry_after is not None:
            delay = max(delay, min(float(retry_after), MAX_DELAY_SECONDS))
        values["run_at"] = now + timedelta(seconds=delay)
    else:
        values["status"] = "failed"
    written = session.execute(
        update(QueuedJob)
        .where(_leased(job_id, owner))
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    # The lease may have passed to another worker between the read and this write.
    return values["status"] if written.rowcount == 1 else None


def cancel(
    session: Session, job_id: int, *, now: datetime, reason: str, org_id: int | None = None
) -> bool:
    """Cancel a pending job (with the reason kept as its last error). False if not pending."""
    begin_write(session)
    conditions = [QueuedJob.id == job_id, QueuedJob.status == "pending"]
    if org_id is not None:
        conditions.append(QueuedJob.org_id == org_id)
    result = session.execute(
        update(QueuedJob)
        .where(*conditions)
        .values(status="cancelled", last_error=reason, error_class="CANCELLED", updated_at=now)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def cancel_where(session: Session, *conditions, now: datetime, reason: str) -> int:  # noqa: ANN002
    """Cancel every pending job matching the conditions. Returns how many."""
    begin_write(session)
    result = session.execute(
        update(QueuedJob)
        .where(QueuedJob.status == "pending", *conditions)
        .values(status="cancelled", last_error=reason, error_class="CANCELLED", updated_at=now)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount or 0


def retry(session: Session, job_id: int, *, now: datetime, org_id: int | None = None) -> bool:
    """Give a failed job a fresh set of attempts, due now. False if it was not failed."""
    begin_write(session)
    conditions = [QueuedJob.id == job_id, QueuedJob.status == "failed"]
    if org_id is not None:
        conditions.append(QueuedJob.org_id == org_id)
    result = session.execute(
        update(QueuedJob)
        .where(*conditions)
        .values(status="pending", attempts=0, run_at=now, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def recover_stale(session: Session, *, now: datetime) -> int:
    """Return jobs whose lease expired (their worker died) to pending.

    A job that had used its last attempt is failed instead. Returns how many jobs were
    recovered or failed.
    """
    begin_write(session)
    handled = 0
    for has_attempts_left, status, message in (
        (True, "pending", "The worker stopped before finishing; retried."),
        (False, "failed", "The worker stopped before finishing on the last attempt."),
    ):
        attempts_left = QueuedJob.attempts < QueuedJob.max_attempts
        result = session.execute(
            update(QueuedJob)
            .where(_expired(now), attempts_left if has_attempts_left else ~attempts_left)
            .values(
                status=status,
                lease_owner=None,
                lease_expires_at=None,
                last_error=message,
                error_class="LEASE_EXPIRED",
                updated_at=now,
            )
            .execution_options(synchronize_session=False)
        )
        handled += result.rowcount or 0
    return handled


def purge_completed(session: Session, *, older_than: datetime) -> int:
    """Delete completed and cancelled jobs finished before `older_than`; failed ones stay."""
    begin_write(session)
    result = session.execute(
        delete(QueuedJob)
        .where(QueuedJob.status.in_(("completed", "cancelled")), QueuedJob.updated_at < older_than)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount or 0


def counts(session: Session, *conditions) -> dict[str, int]:  # noqa: ANN002
    """Jobs per status (every status present, zero when none), plus `total`."""
    rows = session.execute(
        select(QueuedJob.status, func.count()).where(*conditions).group_by(QueuedJob.status)
    ).all()
    result = dict.fromkeys(("pending", "processing", "completed", "failed", "cancelled"), 0)
    result.update({status: n for status, n in rows})
    result["total"] = sum(result.values())
    return result


def oldest_pending_due(session: Session, *conditions) -> datetime | None:  # noqa: ANN002
    return session.scalar(
        select(func.min(QueuedJob.run_at)).where(QueuedJob.status == "pending", *conditions)
    )


def insert_raw(session: Session, rows: list[dict]) -> None:
    """Insert fully-formed rows (benchmarks and tests building large backlogs)."""
    begin_write(session)
    session.execute(insert(QueuedJob), rows)
