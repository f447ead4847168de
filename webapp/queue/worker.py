"""Running due jobs of registered kinds: claim a batch, run each handler, record each outcome.

    result = run_due(engine, kinds=["coach.followup"], owner=owner, clock=clock)

One batch at a time: the claim is its own short write transaction (committed at once, so
other workers see the leases). Each job then runs with no write transaction open. Its
outcome is recorded in a write transaction whose first statement for it is the job's new
status as a compare-and-set UPDATE (it only touches a job this worker still leases): a
worker whose job was taken over (its lease expired while it was stalled) records nothing
of it, and the handler's `apply` writes do not run. That is the engine's half of "exactly
once": a job killed midway is claimed again when its lease expires and runs from the
start, so handlers make their provider calls idempotent where the provider allows (or
look the message up before resending).

Outcomes are recorded in groups: one write transaction records up to GROUP_SIZE of them,
each behind its own lease check and in its own savepoint, because a commit per job cost
as much as the job's own writes (the coach at 10,000 messages a tick). A group is
recorded when it is full, when its first outcome has waited GROUP_SECONDS (a worker
killed midway leaves at most about that much finished work unrecorded, to be run again),
at the end of the batch, and at once after a `Done(record_now=True)` (a provider call a
rerun would repeat) or for a kind that keeps its lock (the next job of the key must see
this one's writes). A handler does not see the unrecorded outcomes of the jobs before it
in its group: jobs of one lock key are never in one batch, so only unrelated jobs share one.

An exception from a handler fails that job (class UNEXPECTED, not retried) and the batch
goes on: one job's bug must not stop the others. An exception from an outcome's `apply`
rolls back that job's savepoint (its job stays leased until the lease expires, then runs
again); the rest of the group is recorded, and the exception is raised after the commit.
"""

from __future__ import annotations

import logging
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from webapp.core.db import begin_write
from webapp.models.queue import QueuedJob
from webapp.queue import leases, reconnect, store
from webapp.queue.batches import run_batch
from webapp.queue.handlers import (
    Apply,
    Done,
    Failed,
    JobContext,
    JobKind,
    LeaseLost,
    Outcome,
    RetryAt,
    kind,
)

log = logging.getLogger(__name__)

UNEXPECTED = "UNEXPECTED"
# Outcomes recorded per write transaction at most, and how long the first may wait for it.
GROUP_SIZE = 50
GROUP_SECONDS = 0.1


@dataclass
class WorkResult:
    claimed: int = 0
    completed: int = 0
    retried: int = 0  # a failed attempt that will be tried again
    deferred: int = 0  # RetryAt: back to pending without spending an attempt
    failed: int = 0
    lost: int = 0  # the lease passed to another worker: nothing recorded

    def add(self, other: WorkResult) -> None:
        for name in self.__dataclass_fields__:
            setattr(self, name, getattr(self, name) + getattr(other, name))


@dataclass
class _Lease:
    engine: Engine
    job_id: int
    owner: str
    clock: Callable[[], datetime]
    seconds: int

    def write(self, fn: Apply) -> None:
        with Session(self.engine, expire_on_commit=False) as session:
            if not store.extend_lease(
                session, self.job_id, self.owner, now=self.clock(), lease_seconds=self.seconds
            ):
                session.rollback()
                raise LeaseLost(f"job {self.job_id} is no longer leased to {self.owner}")
            fn(session)
            session.commit()

    def extend(self) -> bool:
        try:
            self.write(lambda _session: None)
        except LeaseLost:
            return False
        return True


def run_due(
    engine: Engine,
    *,
    kinds: Sequence[str],
    owner: str,
    clock: Callable[[], datetime],
    batch_size: int = 50,
    org_id: int | None = None,
    where: Sequence = (),
    deadline: float | None = None,
    max_batches: int | None = None,
    lease_seconds: int | None = None,
) -> WorkResult:
    """Run due jobs of `kinds` batch by batch until none is due, `deadline` (a
    time.monotonic() value) passes or `max_batches` ran. Returns the counts.

    `lease_seconds` overrides the kinds' lease length (a deployment's setting for it)."""
    specs = _specs(kinds, lease_seconds)
    lease_seconds = max(spec.lease_seconds for spec in specs.values())
    total = WorkResult()
    batches = lost = 0
    while max_batches is None or batches < max_batches:
        if deadline is not None and time.monotonic() >= deadline:
            break
        jobs: list[QueuedJob] = []
        try:
            with Session(engine) as session:
                jobs = store.claim(
                    session,
                    owner,
                    now=clock(),
                    limit=batch_size,
                    lease_seconds=lease_seconds,
                    kinds=list(kinds),
                    org_id=org_id,
                    where=where,
                    start=False,  # each job's attempt counts when its handler starts
                )
                session.commit()
            if not jobs:
                break
            batches += 1
            total.claimed += len(jobs)
            _run_batch(engine, specs, jobs, owner=owner, clock=clock, total=total)
        except Exception as exc:  # a lost connection costs this batch only (queue/reconnect.py)
            lost += 1
            if not reconnect.lost_connection(exc) or lost > reconnect.RECONNECTS:
                raise
            log.warning("worker %s lost its database connection: %s", owner, exc)
            reconnect.pause(lost)
            reconnect.give_back(engine, owner, jobs, clock)
            continue
        lost = 0
    return total


def _run_batch(
    engine: Engine,
    specs: dict[str, JobKind],
    jobs: list[QueuedJob],
    *,
    owner: str,
    clock: Callable[[], datetime],
    total: WorkResult,
) -> None:
    """A claimed batch, kind by kind: what a kind's batch handler finishes in bulk is done
    (batches.py); the rest runs one by one."""
    for name in {job.kind for job in jobs}:
        group = [job for job in jobs if job.kind == name]
        if specs[name].batch is not None:
            rest = run_batch(engine, specs[name], group, owner=owner, clock=clock)
            total.completed += len(group) - len(rest)
            group = rest
            if not group:
                continue
        batch = _prepare(engine, specs[name], group)
        _run_jobs(engine, specs[name], group, owner=owner, clock=clock, batch=batch, total=total)


def _specs(kinds: Sequence[str], lease_seconds: int | None) -> dict[str, JobKind]:
    """The registered kinds by name, with `lease_seconds` instead of theirs when given."""
    specs = {name: kind(name) for name in kinds}
    missing = [name for name, spec in specs.items() if spec is None]
    if missing:
        raise LookupError(f"unknown job kinds: {', '.join(missing)}")
    if lease_seconds is not None:
        specs = {name: replace(spec, lease_seconds=lease_seconds) for name, spec in specs.items()}
    return specs


def _prepare(engine: Engine, spec: JobKind, jobs: list[QueuedJob]):
    if spec.prepare is None:
        return None
    # Closing the session detaches what it loaded without expiring it.
    with Session(engine, expire_on_commit=False) as session:
        return spec.prepare(session, jobs)


def run_one(
    engine: Engine,
    spec: JobKind,
    job: QueuedJob,
    *,
    owner: str,
    clock: Callable[[], datetime],
    batch=None,
) -> WorkResult:
    """Run one leased job's handler and record its outcome. Returns its count.

    For a kind registered with `keep_lock`, a completed job's record also claims the next
    due job of its lock key (same transaction), and that job runs next, and so on."""
    total = WorkResult()
    _run_jobs(engine, spec, [job], owner=owner, clock=clock, batch=batch, total=total)
    return total


def _run_jobs(
    engine: Engine,
    spec: JobKind,
    jobs: list[QueuedJob],
    *,
    owner: str,
    clock: Callable[[], datetime],
    batch,
    total: WorkResult,
) -> None:
    """Run the leased `jobs` one by one and record their outcomes in groups (see above),
    counting into `total`. A lost connection records the outcomes already in hand first, so
    the batch that goes back (run_due) holds only jobs that did not run."""
    todo = deque(jobs)
    group: list[tuple[QueuedJob, Outcome]] = []
    since = 0.0
    while todo:
        job = todo.popleft()
        try:
            outcome = _handle(engine, spec, job, owner=owner, clock=clock, batch=batch)
        except Exception:
            if group:
                total.add(_record_group(engine, spec, group, owner=owner, clock=clock)[0])
            raise
        if outcome is None:
            total.lost += 1
        else:
            since = since if group else time.monotonic()
            group.append((job, outcome))
        full = len(group) >= GROUP_SIZE or time.monotonic() - since >= GROUP_SECONDS
        at_once = spec.keep_lock or isinstance(outcome, Done) and outcome.record_now
        if group and (at_once or full or not todo):
            counted, following = _record_group(engine, spec, group, owner=owner, clock=clock)
            group = []
            total.add(counted)
            total.claimed += len(following)
            todo.extendleft(reversed(following))  # a kept lock's next job runs next


def _handle(
    engine: Engine,
    spec: JobKind,
    job: QueuedJob,
    *,
    owner: str,
    clock: Callable[[], datetime],
    batch,
) -> Outcome | None:
    """The handler's outcome (an exception fails the job); None when its lease was lost."""
    lease = _Lease(engine, job.id, owner, clock, spec.lease_seconds)
    with Session(engine, expire_on_commit=False) as session:
        ctx = JobContext(session, clock, owner, batch, lease.write, lease.extend)
        try:
            if job.started_at is None:
                _start(lease, job, owner, clock())
            return spec.handler(job, ctx)
        except LeaseLost:
            return None
        except Exception as exc:  # one job's bug must not stop the others
            if reconnect.lost_connection(exc):
                raise  # not the job's fault: run_due gives the batch back
            log.exception("job %s (%s) failed unexpectedly", job.id, job.kind)
            return Failed(f"{type(exc).__name__}: {exc}", UNEXPECTED, retryable=False)
        finally:
            session.rollback()  # the handler's reads end here; its writes are in `apply`


def _start(lease: _Lease, job: QueuedJob, owner: str, now: datetime) -> None:
    """Count the job's attempt, committed before its handler runs: a worker that dies then
    has charged the job it was working on, and only that one (the rest of its batch goes
    back as it was). Raises LeaseLost when the job is no longer ours."""
    lease.write(lambda session: leases.start(session, [job.id], owner, now=now))
    job.attempts, job.started_at = job.attempts + 1, now


def _record_group(
    engine: Engine,
    spec: JobKind,
    group: list[tuple[QueuedJob, Outcome]],
    *,
    owner: str,
    clock: Callable[[], datetime],
) -> tuple[WorkResult, list[QueuedJob]]:
    """Record `group`'s outcomes in one write transaction, each job in a savepoint of its
    own: a job whose lease was lost, or whose `apply` raised, contributes nothing."""
    total, following, errors = WorkResult(), [], []
    with Session(engine, expire_on_commit=False) as session:
        begin_write(session)
        for job, outcome in group:
            try:
                with session.begin_nested():
                    counted, nxt = _record(session, spec, job, outcome, owner=owner, now=clock())
            except LeaseLost:
                total.lost += 1
                continue
            except Exception as exc:  # recorded with the others, raised after the commit
                log.exception("recording job %s (%s) failed", job.id, job.kind)
                errors.append(exc)
                continue
            total.add(counted)
            following.extend([nxt] if nxt is not None else [])
        session.commit()
    if errors:
        raise errors[0]
    return total, following


def _record(
    session: Session, spec: JobKind, job: QueuedJob, outcome: Outcome, *, owner: str, now: datetime
) -> tuple[WorkResult, QueuedJob | None]:
    """The job's new status first — a compare-and-set UPDATE that only touches a job this
    worker still leases (LeaseLost when it does not) — then the outcome's writes (which may
    read what the engine decided), in the caller's transaction."""
    if isinstance(outcome, Done):
        ours = store.complete(session, job.id, owner, now=now, result=outcome.result)
        counted = WorkResult(completed=1)
    elif isinstance(outcome, RetryAt):
        back = [(job.id, outcome.at)]
        ours = leases.release(session, owner, back, now=now, reason=outcome.reason) == 1
        counted = WorkResult(deferred=1)
    else:
        retryable = outcome.retryable
        if retryable is None:
            retryable = outcome.error_class in spec.retryable
        status = store.fail(
            session,
            job.id,
            owner,
            now=now,
            error=outcome.error,
            error_class=outcome.error_class,
            retryable=retryable,
            retry_after=outcome.retry_after,
            base=spec.backoff_base,
            jitter=spec.jitter,
        )
        ours = status is not None
        counted = WorkResult(failed=1) if status == "failed" else WorkResult(retried=1)
    if not ours:
        raise LeaseLost(f"job {job.id} is no longer leased to {owner}")
    # After the job's row: the handler's writes may read what the engine decided.
    if outcome.apply is not None:
        outcome.apply(session)
    if isinstance(outcome, Failed) and spec.on_failed is not None:
        stored = session.scalars(
            select(QueuedJob)
            .where(QueuedJob.id == job.id)
            .execution_options(populate_existing=True)
        ).one()
        spec.on_failed(session, stored, outcome)
    following = None
    if spec.keep_lock and job.lock_key is not None and isinstance(outcome, Done):
        # In this transaction, so the key never looks free to another worker in between.
        claimed = store.claim(
            session,
            owner,
            now=now,
            limit=1,
            lease_seconds=spec.lease_seconds,
            kinds=[spec.name],
            where=[QueuedJob.lock_key == job.lock_key],
        )
        following = claimed[0] if claimed else None
    return counted, following
