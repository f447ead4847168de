"""The durable job queue: every outbound message and retryable step is a row here.

Life of a job: pending → processing → completed | failed | cancelled.

- `enqueue` is idempotent on `idempotency_key` (for example "enrollment:7:step:2").
- `claim` leases up to n due jobs to one worker in a single UPDATE … RETURNING statement
  (PostgreSQL adds FOR UPDATE SKIP LOCKED in the subquery; SQLite is serialised by the
  BEGIN IMMEDIATE set up in `webapp.core.db`). Jobs whose lease expired are claimable again
  while they have attempts left (or were never started); `recover_stale` fails the others.
- An attempt is counted when a job's work starts (`started_at`): at the claim, or, for a
  batch worked through one job at a time, as each job begins (`claim(start=False)`).
- `complete`, `fail` and `extend_lease` only touch a row the caller still leases, so a
  stalled worker can never overwrite the outcome of the worker that took over.
- Every function that writes starts the session's transaction as a write transaction
  (`begin_write`: BEGIN IMMEDIATE on SQLite) unless one is already open, so call it first
  in a transaction, or after `begin_write`.
- `fail` retries retryable error classes with exponential backoff and equal jitter
  (`backoff.backoff_seconds`) until `max_attempts`; anything else fails at once.

Functions flush or execute but never commit: the caller (job runner, view) commits.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, exists, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, aliased

from webapp.core.db import begin_write, dialect_insert
from webapp.models.queue import QueuedJob
from webapp.queue import statements
from webapp.queue.backoff import backoff_seconds
from webapp.queue.due import due_rows

DEFAULT_LEASE_SECONDS = 120
DEFAULT_MAX_ATTEMPTS = 5

# Error classes (shared with the resilience layer). Only these are worth retrying.
RETRYABLE = frozenset({"TRANSIENT_NETWORK", "RATE_LIMITED", "INTEGRATION_OFFLINE", "LEASE_EXPIRED"})


@dataclass(frozen=True)
class NewJob:
    kind: str
    idempotency_key: str
    payload: dict
    run_at: datetime
    org_id: int | None = None
    max_attempts: int = DEFAULT_MAX_ATTEMPTS
    test_mode: bool = False
    lock_key: str | None = None


def _row(job: NewJob, now: datetime) -> dict:
    return {
        "kind": job.kind,
        "idempotency_key": job.idempotency_key,
        "payload": job.payload,
        "run_at": job.run_at,
        "org_id": job.org_id,
        "max_attempts": job.max_attempts,
        "test_mode": job.test_mode,
        "lock_key": job.lock_key,
        "status": "pending",
        "attempts": 0,
        "created_at": now,
        "updated_at": now,
    }


def _insert_ignoring_duplicates(session: Session):
    return dialect_insert(session)(QueuedJob).on_conflict_do_nothing(
        index_elements=["idempotency_key"]
    )


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
    lock_key: str | None = None,
) -> tuple[QueuedJob, bool]:
    """Add a job unless one with the same key exists.

    `lock_key`: at most one job with this key is processing at any time (for example
    "conversation:7"); the others wait, pending, until it is finished.

    Returns (job, created): the existing job and False when the key was already used.
    """
    begin_write(session)
    job = NewJob(
        kind, idempotency_key, payload, run_at or now, org_id, max_attempts, test_mode, lock_key
    )
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
    # A Core insert of the table (half the CPU of the ORM's bulk insert per row); count the
    # ids the database returns, since a batch's row count is not reported everywhere.
    if len(rows) == 1:
        return len(session.execute(statements.INSERT_ONE, rows[0]).all())
    table = QueuedJob.__table__
    stmt = (
        dialect_insert(session)(table)
        .on_conflict_do_nothing(index_elements=["idempotency_key"])
        .returning(table.c.id)
    )
    return len(session.execute(stmt, rows).all())


def _expired(now: datetime):
    return and_(QueuedJob.status == "processing", QueuedJob.lease_expires_at < now)


def _claimable(
    now: datetime, kinds: Sequence[str] | None, org_id: int | None, where: Sequence = ()
):
    conditions, states = _claim_parts(now, kinds, org_id, where)
    return and_(or_(states["due"], states["abandoned"]), *conditions)


def _claim_parts(now: datetime, kinds, org_id: int | None, where: Sequence = ()):
    due = and_(QueuedJob.status == "pending", QueuedJob.run_at <= now)
    # A job whose worker died on its last attempt is not handed out again (a job that
    # kills its worker would otherwise loop forever); recover_stale fails it. One that was
    # leased but never started cost no attempt, so it is always handed out again.
    abandoned = and_(
        _expired(now),
        or_(QueuedJob.attempts < QueuedJob.max_attempts, QueuedJob.started_at.is_(None)),
    )
    # A job whose lock key another job holds waits (its own expired lease counts as held
    # by itself: reclaiming it keeps the key on the same row).
    holder = aliased(QueuedJob)
    key_free = or_(
        QueuedJob.lock_key.is_(None),
        ~exists().where(
            holder.lock_key == QueuedJob.lock_key,
            holder.status == "processing",
            holder.id != QueuedJob.id,
        ),
    )
    conditions = [key_free]
    if kinds:
        conditions.append(QueuedJob.kind.in_(list(kinds)))
    if org_id is not None:
        conditions.append(QueuedJob.org_id == org_id)
    conditions.extend(where)
    return conditions, {"due": due, "abandoned": abandoned}  # read apart by queue/due.py


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
    start: bool = True,
) -> list[QueuedJob]:
    """Lease up to `limit` due jobs to `owner`, oldest due first, atomically.

    `where` adds conditions on QueuedJob (for example one campaign's jobs).

    `start`: each claimed job counts as an attempt now (`started_at` set). A caller that
    works through its batch one job at a time passes False and starts each job as its work
    begins (`leases.start`, or `ack.START` on a hot path): a worker that dies then charges
    an attempt to the job it was working on only, not to the batch it never got to.
    Commit soon after: on SQLite the write lock is held
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
    rows = due_rows(session, *_claim_parts(now, kinds, org_id, where), limit=limit)
    picked, keys = [], set()
    for job_id, key in rows:  # one job per lock key in a batch, the oldest due
        if key is None or key not in keys:
            picked.append(job_id)
            keys.add(key)
    if not picked:
        return []
    if keys - {None} and session.get_bind().dialect.name == "postgresql":
        # Two workers may pick two jobs of one key at the same moment; the partial unique
        # index refuses the second, whose claim then takes nothing this time.
        try:
            with session.begin_nested():
                return _lease(session, picked, owner, now, lease_seconds, start)
        except IntegrityError:
            return []
    return _lease(session, picked, owner, now, lease_seconds, start)


def _lease(
    session: Session,
    picked: list[int],
    owner: str,
    now: datetime,
    lease_seconds: int,
    start: bool,
) -> list[QueuedJob]:
    stmt = (
        update(QueuedJob)
        .where(QueuedJob.id.in_(picked))
        .values(
            status="processing",
            lease_owner=owner,
            lease_expires_at=now + timedelta(seconds=lease_seconds),
            attempts=QueuedJob.attempts + 1 if start else QueuedJob.attempts,
            started_at=now if start else None,
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


def _leased(job_id: int, owner: str):
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
    params = {"job": job_id, "owner": owner, "now": now, "result": result}
    return session.execute(statements.COMPLETE, params).rowcount == 1


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
    base: float | None = None,
    jitter: bool = True,
) -> str | None:
    """Record a failed attempt of a leased job.

    A retryable error with attempts left goes back to pending after a backoff (never sooner
    than the provider's `retry_after` seconds, when it said; `base` and `jitter` as in
    `backoff_seconds`, the job kind's policy); anything else is failed for good. Returns
    the new status, or None if the lease was lost.
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
        delay = backoff_seconds(
            job.attempts, error_class, base=base, retry_after=retry_after, jitter=jitter
        )
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


def cancel_where(session: Session, *conditions, now: datetime, reason: str) -> int:
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
