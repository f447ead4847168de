"""The minute's asset generations: the ones a request's own after-response run did not
finish (a crash, a slow provider), and the retries the engine scheduled."""

from __future__ import annotations

import time

from jobs.runner import JobContext
from jobs.schedule import node_id
from webapp.core import clock
from webapp.core.extensions import db
from webapp.services.assets import run_asset_jobs

TICK_SECONDS = 50  # inside the minute


def run(ctx: JobContext) -> dict:
    ctx.checkpoint()  # no transaction of ours stays open while generations run
    worked = run_asset_jobs(
        db.engine,
        owner=f"runner:{node_id()}:{ctx.run_id}",
        clock=clock.now,
        org_id=ctx.org_id,
        deadline=time.monotonic() + TICK_SECONDS,
    )
    return {"claimed": worked.claimed, "completed": worked.completed, "failed": worked.failed}
