"""The 1-minute workflows tick: start the runs of schedule triggers that fired, then run
the due `workflows.step` jobs (ended waits, timeouts, new runs) until none is due or
WORKFLOWS_TICK_SECONDS pass."""

from __future__ import annotations

import time

from jobs.runner import JobContext
from jobs.schedule import node_id
from webapp.core import clock
from webapp.core.extensions import db
from webapp.services.workflows import fire_schedules, run_due_steps

TICK_SECONDS = 50  # inside the minute


def run(ctx: JobContext) -> dict:
    started = fire_schedules(db.session, now=ctx.now, org_id=ctx.org_id)
    ctx.checkpoint()  # commits the new runs; nothing of ours stays open while steps run
    worked = run_due_steps(
        db.engine,
        owner=f"runner:{node_id()}:{ctx.run_id}",
        clock=clock.now,
        org_id=ctx.org_id,
        deadline=time.monotonic() + TICK_SECONDS,
    )
    return {
        "runs_started": started,
        "claimed": worked.claimed,
        "completed": worked.completed,
        "retried": worked.retried,
        "deferred": worked.deferred,
        "failed": worked.failed,
    }
