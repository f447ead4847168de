"""Kinds that finish many claimed jobs at once: a batch handler, in ONE write transaction.

A kind registered with `batch=fn` gets each claimed batch of its jobs first, before they
run one by one: `fn(work, jobs)` finishes what it can in bulk (the workflows' timer
resumes: one conditional UPDATE ends the waits of a whole batch) and leaves the rest to
the handler, job by job, as usual.

- `work.take(ids)` completes the jobs it will finish here (the same compare-and-set a
  worker records one job with, in one statement, `bulk.complete_held`) and returns those
  this worker still leases: the handler then writes for those only. On PostgreSQL the
  UPDATE's row locks hold until the commit.
- `work.submit(...)` queues a next job like `submit`; they are inserted in one statement
  at the end.

All of it commits together or not at all. An exception rolls the whole batch back (a
deadlock, a visit that ran already, a bug) and every job of it runs one by one instead,
through its handler, where one job's failure is that job's alone.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from webapp.core.db import begin_write
from webapp.models.queue import QueuedJob
from webapp.queue import bulk, reconnect
from webapp.queue.handlers import JobKind, kind
from webapp.queue.store import NewJob

log = logging.getLogger(__name__)


@dataclass
class Batch:
    """One claimed batch as a batch handler sees it: its write session, owner and time."""

    session: Session
    owner: str
    now: datetime
    taken: set[int] = field(default_factory=set)
    new_jobs: list[NewJob] = field(default_factory=list)

    def take(self, job_ids: Iterable[int]) -> set[int]:
        """Complete these jobs with this transaction; the ids still leased to us."""
        held = bulk.complete_held(self.session, job_ids, self.owner, now=self.now)
        self.taken |= held
        return held

    def submit(
        self,
        name: str,
        payload: dict,
        *,
        key: str,
        run_at: datetime | None = None,
        org_id: int | None = None,
        lock_key: str | None = None,
    ) -> None:
        """Queue a registered kind's job (idempotent on `key`) with the batch's commit."""
        spec = kind(name)
        if spec is None:
            raise LookupError(f"unknown job kind {name!r}")
        at = run_at or self.now
        self.new_jobs.append(
            NewJob(name, key, payload, at, org_id, spec.max_attempts, False, lock_key)
        )


BatchHandler = Callable[[Batch, list[QueuedJob]], None]


def run_batch(
    engine: Engine,
    spec: JobKind,
    jobs: list[QueuedJob],
    *,
    owner: str,
    clock: Callable[[], datetime],
) -> list[QueuedJob]:
    """Give `jobs` to the kind's batch handler; returns the jobs it left (or all of them,
    when it failed), to be run one by one."""
    with Session(engine, expire_on_commit=False) as session:
        begin_write(session)
        work = Batch(session, owner, clock())
        try:
            spec.batch(work, jobs)
            bulk.enqueue_rows(session, work.new_jobs, now=work.now)
            session.commit()
        except Exception as exc:
            session.rollback()
            if reconnect.lost_connection(exc):
                raise  # run_due gives the batch back
            log.exception("a %s batch failed: its %d jobs run one by one", spec.name, len(jobs))
            return jobs
    return [job for job in jobs if job.id not in work.taken]
