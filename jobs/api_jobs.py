"""The 5-minute Job API runner: the jobs enqueued through `POST /api/v1/jobs` that the
request's own after-response run did not finish (a crash, a busy mail server), and the
retries the engine scheduled, until none is due or API_JOBS_TICK_SECONDS pass."""

from __future__ import annotations

import time

from jobs.runner import JobContext
from jobs.schedule import node_id
from webapp.core import clock
from webapp.core.extensions import db
from webapp.services.api_jobs import run_api_jobs

TICK_SECONDS = 240  # inside the 5 minutes


def run(ctx: JobContext) -> dict:
    ctx.checkpoint()  # no transaction of ours stays open while jobs run
    worked = run_api_jobs(
        db.engine,
        owner=f"runner:{node_id()}:{ctx.run_id}",
        clock=clock.now,
        org_id=ctx.org_id,
        deadline=time.monotonic() + TICK_SECONDS,
    )
    return {
        "claimed": worked.claimed,
        "completed": worked.completed,
        "retried": worked.retried,
        "deferred": worked.deferred,
        "failed": worked.failed,
    }
