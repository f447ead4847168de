"""Enqueueing many jobs in one statement, for callers that queue thousands at a time.

- `enqueue_rows` inserts a list of `NewJob`s and tells which keys were new, with their ids
  (the caller writes its own rows that point at them, for example a Send per job).
- `enqueue_from_select` is INSERT … SELECT: the database builds the jobs from the caller's
  query, and nothing passes through Python per job (enrolling 100,000 contacts).
- `complete_held` records many leased jobs done in one statement (a kind's batch
  handler, `batches.py`).

Both skip keys already used (ON CONFLICT DO NOTHING on the idempotency key), so a second
run, or a concurrent one, adds nothing. They start a write transaction when none is open
and never commit.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import ColumnElement, Select, case, func, literal, update
from sqlalchemy.orm import Session

from webapp.core.db import begin_write, dialect_insert
from webapp.models.queue import QueuedJob
from webapp.models.types import UTCDateTime
from webapp.queue.store import NewJob
from webapp.queue.store import _row as _job_row

_TABLE = QueuedJob.__table__
_COLUMNS = [
    "kind",
    "idempotency_key",
    "payload",
    "run_at",
    "org_id",
    "max_attempts",
    "test_mode",
    "status",
    "attempts",
    "created_at",
    "updated_at",
]


def enqueue_rows(session: Session, jobs: Iterable[NewJob], *, now: datetime) -> dict[str, int]:
    """Insert `jobs` in one statement. Returns {idempotency key: id} of the NEW jobs only;
    a key missing from it was queued already."""
    rows = [_job_row(job, now) for job in jobs]
    if not rows:
        return {}
    begin_write(session)
    created = session.execute(
        dialect_insert(session)(_TABLE)
        .on_conflict_do_nothing(index_elements=["idempotency_key"])
        .returning(_TABLE.c.id, _TABLE.c.idempotency_key),
        rows,
    ).all()
    return {key: job_id for job_id, key in created}


def _at(value: datetime) -> ColumnElement:
    return literal(value, UTCDateTime())


def enqueue_from_select(
    session: Session,
    source: Select,
    *,
    kind: str,
    idempotency_key: ColumnElement,
    payload: ColumnElement,
    run_at: ColumnElement,
    org_id: int | None,
    max_attempts: int,
    test_mode: bool,
    now: datetime,
) -> None:
    """One job per row of `source` (its FROM, joins, WHERE and ORDER BY; its columns are
    replaced): `idempotency_key`, `payload` and `run_at` are expressions over those rows,
    the rest is the same for every job. Psycopg reports no row count for INSERT … SELECT,
    so nothing is returned: count what you need from your own rows."""
    begin_write(session)
    rows = source.with_only_columns(
        literal(kind),
        idempotency_key,
        payload,
        run_at,
        literal(org_id),
        literal(max_attempts),
        literal(test_mode),
        literal("pending"),
        literal(0),
        _at(now),
        _at(now),
        maintain_column_froms=False,
    )
    session.execute(
        dialect_insert(session)(_TABLE)
        .from_select(_COLUMNS, rows)
        .on_conflict_do_nothing(index_elements=["idempotency_key"])
    )


def complete_held(
    session: Session, job_ids: Iterable[int], owner: str, *, now: datetime
) -> set[int]:
    """Complete, in one statement, the jobs among `job_ids` that `owner` still leases, and
    count their attempt (a job of a `claim(start=False)` batch that had not started).
    Returns their ids. In a transaction the caller's writes for those jobs share: the
    compare-and-set first, as the worker records one job, and (PostgreSQL) row locks that
    hold until the commit, so no other worker can take one of them back meanwhile."""
    ids = list(job_ids)
    if not ids:
        return set()
    begin_write(session)
    done = session.execute(
        update(QueuedJob)
        .where(
            QueuedJob.id.in_(ids),
            QueuedJob.status == "processing",
            QueuedJob.lease_owner == owner,
        )
        .values(
            status="completed",
            attempts=QueuedJob.attempts + case((QueuedJob.started_at.is_(None), 1), else_=0),
            started_at=func.coalesce(QueuedJob.started_at, now),
            completed_at=now,
            updated_at=now,
            lease_owner=None,
            lease_expires_at=None,
            last_error=None,
            error_class=None,
        )
        .returning(QueuedJob.id)
        .execution_options(synchronize_session=False)
    )
    return set(done.scalars())
