"""The 5-minute ads tick: runs the ads jobs that are due — budget pushes the optimiser or a
new link queued, and the retries the work engine scheduled (after a rate limit, never
before the platform's retry-after)."""

from __future__ import annotations

import time

from jobs.runner import JobContext
from jobs.schedule import node_id
from webapp.core import clock
from webapp.core.extensions import db
from webapp.services.ads import run_ads_jobs

TICK_SECONDS = 240  # inside the 5 minutes


def run(ctx: JobContext) -> dict:
    ctx.checkpoint()  # no transaction of ours stays open while platforms are called
    worked = run_ads_jobs(
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
