"""Running the Job API's jobs: right after the request that enqueued or retried them
(after its response), and every few minutes by the `api_jobs` scheduled job, which also
picks up the retries the engine scheduled."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

from sqlalchemy.engine import Engine

from webapp import queue
from webapp.models.queue import QueuedJob
from webapp.services.api_jobs.kinds import API_KINDS


def run_api_jobs(
    engine: Engine,
    *,
    owner: str,
    clock: Callable[[], datetime],
    org_id: int | None = None,
    job_ids: Sequence[int] | None = None,
    deadline: float | None = None,
) -> queue.WorkResult:
    """Run the due API jobs (these ids, else every due one of the workspace, or of all)
    with no transaction of the caller's open. Returns the engine's counts."""
    where = [] if job_ids is None else [QueuedJob.id.in_(list(job_ids))]
    return queue.run_due(
        engine,
        kinds=list(API_KINDS),
        owner=owner,
        clock=clock,
        org_id=org_id,
        where=where,
        deadline=deadline,
        batch_size=10,
    )
