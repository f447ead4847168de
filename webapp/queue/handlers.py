"""Job kinds: each registered once with its handler, retry policy and lease length.

A handler runs one claimed job:

    @register("coach.followup", max_attempts=3, lease_seconds=300)
    def send_followup(job: Job, ctx: JobContext) -> Outcome:
        ...                      # read with ctx.session, call providers
        return Done(apply=lambda session: record(session, ...))

It reads (ctx.session) and calls providers with no write transaction open, then returns
an outcome. The worker (webapp/queue/worker.py) records the outcome in ONE short write
transaction, after checking that this worker still holds the job's lease: the outcome's
`apply` (the handler's own writes) and the job's new status commit together, or not at
all. A handler that must make progress visible midway (a setup step that says "running")
uses `ctx.write(fn)`, a short write transaction of its own under the same lease check.

Outcomes:
- `Done(result, apply, record_now)` — completed; `record_now`: see "Groups" below.
- `RetryAt(at, reason, apply)` — not a failure: run again at `at` without spending an
  attempt (a closed send window, an open circuit, a conversation busy elsewhere).
- `Failed(error, error_class, retryable, retry_after, apply)` — a failed attempt; the
  kind's retry policy decides whether it is retried (after `store.backoff_seconds`, with
  the kind's `backoff_base` and `jitter` when it sets them) or failed for good.
  `retryable` overrides the policy for this one failure.

An outcome's `apply` runs after the job's new status is written, in the same transaction,
so it can read the job's row to learn what the engine decided (a retry's `run_at`).

Groups: the worker records the outcomes of a batch's jobs several to a transaction (each
behind its own lease check), so a worker killed midway may leave the last fraction of a
second of finished jobs unrecorded; they run again when their leases expire. A handler
whose provider call must not be repeated returns `Done(..., record_now=True)`: its record
commits before the next job runs.

A kind may also give `on_failed(session, job, failure)`: called in the transaction that
records a failed attempt, after the engine decided, with the job as stored now (status
"pending" and its new run_at when it will be retried, "failed" when it is failed for
good), so a domain row can mirror the job's state (a follow-up ends failed, a step shows
when it retries). It is not called for a job taken over by another worker.

Every handler is a plain function; `register` puts it in `KINDS` at import time, so the
module that defines a kind must be imported before its jobs are run (the worker looks a
kind up by name and fails a job of an unknown kind with CONFIGURATION_ERROR).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from webapp.models.queue import QueuedJob
from webapp.queue.store import DEFAULT_LEASE_SECONDS, DEFAULT_MAX_ATTEMPTS, RETRYABLE

Apply = Callable[[Session], None]


@dataclass(frozen=True)
class Done:
    result: dict | None = None
    apply: Apply | None = None
    # After a provider call that a rerun would repeat (a WhatsApp message: Twilio has no
    # idempotency key): record it before the next job runs, not with its group.
    record_now: bool = False


@dataclass(frozen=True)
class RetryAt:
    at: datetime
    reason: str = ""
    apply: Apply | None = None


@dataclass(frozen=True)
class Failed:
    error: str
    error_class: str
    retryable: bool | None = None
    retry_after: float | None = None
    apply: Apply | None = None


Outcome = Done | RetryAt | Failed


class LeaseLost(Exception):
    """Another worker holds the job now: stop, and write nothing more."""


@dataclass
class JobContext:
    """What a handler gets beside its job: the session, the clock and the lease."""

    session: Session
    clock: Callable[[], datetime]
    owner: str
    # Shared by the jobs of one claimed batch (see JobKind.prepare), e.g. preloaded rows.
    batch: Any = None
    # Set by the worker: runs `fn(session)` in a short write transaction under the lease.
    writer: Callable[[Apply], None] | None = None
    extender: Callable[[], bool] | None = None

    def now(self) -> datetime:
        return self.clock()

    def write(self, fn: Apply) -> None:
        """Commit `fn(session)` now, in a write transaction that first renews the job's
        lease; raises LeaseLost (having written nothing) when another worker holds it."""
        assert self.writer is not None
        self.writer(fn)

    def keep_lease(self) -> None:
        """Renew the job's lease during long work; raises LeaseLost when it is gone."""
        assert self.extender is not None
        if not self.extender():
            raise LeaseLost("the job's lease passed to another worker")


Job = QueuedJob
Handler = Callable[[QueuedJob, JobContext], Outcome]
OnFailed = Callable[[Session, QueuedJob, Failed], None]


@dataclass(frozen=True)
class JobKind:
    name: str
    handler: Handler
    max_attempts: int = DEFAULT_MAX_ATTEMPTS
    lease_seconds: int = DEFAULT_LEASE_SECONDS
    retryable: frozenset[str] = RETRYABLE
    # Called once per claimed batch with (session, jobs); its result is ctx.batch.
    prepare: Callable[[Session, list[QueuedJob]], Any] | None = None
    options: dict = field(default_factory=dict)
    # Called with (session, job as stored now, failure) after each failed attempt is recorded.
    on_failed: OnFailed | None = None
    # Retry delays: base·2^(attempts-1) seconds; None takes the error class's base.
    backoff_base: float | None = None
    jitter: bool = True
    # A completed job hands its lock key straight to the next due job of that key, which
    # the same worker runs next (a chain of steps stays in one worker; see worker.run_one).
    keep_lock: bool = False
    # Called with (queue.batches.Batch, jobs) for each claimed batch before its jobs run
    # one by one: finishes what it can of them in bulk (see batches.py).
    batch: Callable[[Any, list[QueuedJob]], None] | None = None


KINDS: dict[str, JobKind] = {}


def register(
    name: str,
    *,
    max_attempts: int = DEFAULT_MAX_ATTEMPTS,
    lease_seconds: int = DEFAULT_LEASE_SECONDS,
    retryable: frozenset[str] = RETRYABLE,
    prepare: Callable[[Session, list[QueuedJob]], Any] | None = None,
    on_failed: OnFailed | None = None,
    backoff_base: float | None = None,
    jitter: bool = True,
    keep_lock: bool = False,
    batch: Callable[[Any, list[QueuedJob]], None] | None = None,
) -> Callable[[Handler], Handler]:
    """Register `name`'s handler (a decorator). Registering a name twice with another
    handler is a programming error; the same function again (a re-import) is fine."""

    def decorate(handler: Handler) -> Handler:
        existing = KINDS.get(name)
        if existing is not None and existing.handler.__qualname__ != handler.__qualname__:
            raise ValueError(f"job kind {name!r} is registered twice")
        KINDS[name] = JobKind(
            name,
            handler,
            max_attempts,
            lease_seconds,
            retryable,
            prepare,
            backoff_base=backoff_base,
            jitter=jitter,
            keep_lock=keep_lock,
            on_failed=on_failed,
            batch=batch,
        )
        return handler

    return decorate


def kind(name: str) -> JobKind | None:
    return KINDS.get(name)
