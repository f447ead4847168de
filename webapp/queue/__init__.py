"""THE work engine: the only code that writes `queued_jobs`.

- `store`: the job rows' life cycle (enqueue, claim, complete, fail, cancel, retry,
  recover, purge), lock keys included;
- `handlers`: job kinds registered once with their handler, retry policy and lease; the
  outcomes a handler returns (Done, RetryAt, Failed);
- `submitting`: submit a registered kind's job, reschedule pending ones, find the
  workspaces with due work;
- `worker`: claims due jobs of registered kinds and records each handler's outcome under
  the job's lease;
- `leases`: what a lease holder does with its batch besides completing or failing a job
  (renew the leases, give jobs back without spending an attempt, cancel one);
- `bulk`: enqueueing thousands at once (rows, or INSERT … SELECT), completing many;
- `batches`: a kind's batch handler, which finishes many claimed jobs in one transaction;
- `ack`: the same outcomes as SQL text, for a caller's raw DBAPI transaction on a hot path
  (the dispatcher's one-statement acknowledgement on PostgreSQL);
- `backoff`: the one retry delay (exponential, equal jitter);
- `statements`: the hot paths' statements (complete, enqueue one), built once;
- `reconnect`: a lost database connection costs a worker one batch, not its run;
- `housekeeping` (recover expired leases, purge finished jobs) and `stats` (counts).

Callers use the names exported here (or `queue.ack` for the SQL text).
"""

from __future__ import annotations

from webapp.queue import ack
from webapp.queue.backoff import (
    BASE_DELAY_SECONDS,
    DEFAULT_BASE_DELAY_SECONDS,
    MAX_DELAY_SECONDS,
    backoff_seconds,
)
from webapp.queue.batches import Batch
from webapp.queue.bulk import enqueue_from_select, enqueue_rows
from webapp.queue.handlers import (
    Done,
    Failed,
    JobContext,
    JobKind,
    LeaseLost,
    Outcome,
    RetryAt,
    register,
)
from webapp.queue.housekeeping import LEASE_EXPIRED, purge_completed, recover_stale
from webapp.queue.leases import cancel_leased, extend_leases, release
from webapp.queue.reconnect import RECONNECTS, give_back, lost_connection, pause
from webapp.queue.stats import counts, oldest_pending_due
from webapp.queue.store import (
    DEFAULT_LEASE_SECONDS,
    DEFAULT_MAX_ATTEMPTS,
    RETRYABLE,
    NewJob,
    cancel,
    cancel_where,
    claim,
    complete,
    enqueue,
    enqueue_many,
    extend_lease,
    fail,
    retry,
)
from webapp.queue.submitting import due_org_ids, reschedule, submit
from webapp.queue.worker import WorkResult, run_due, run_one

__all__ = [
    "LEASE_EXPIRED",
    "BASE_DELAY_SECONDS",
    "DEFAULT_BASE_DELAY_SECONDS",
    "DEFAULT_LEASE_SECONDS",
    "DEFAULT_MAX_ATTEMPTS",
    "MAX_DELAY_SECONDS",
    "RECONNECTS",
    "RETRYABLE",
    "Batch",
    "Done",
    "Failed",
    "JobContext",
    "JobKind",
    "LeaseLost",
    "NewJob",
    "Outcome",
    "RetryAt",
    "WorkResult",
    "ack",
    "backoff_seconds",
    "cancel",
    "cancel_leased",
    "cancel_where",
    "claim",
    "complete",
    "counts",
    "enqueue",
    "enqueue_from_select",
    "enqueue_many",
    "enqueue_rows",
    "extend_lease",
    "extend_leases",
    "fail",
    "give_back",
    "lost_connection",
    "oldest_pending_due",
    "pause",
    "purge_completed",
    "recover_stale",
    "register",
    "due_org_ids",
    "release",
    "reschedule",
    "retry",
    "run_due",
    "run_one",
    "submit",
]
