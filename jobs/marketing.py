"""The marketing campaigns tick: start the scheduled campaigns whose start date has come and
complete those whose end date has passed, by each workspace's own calendar."""

from __future__ import annotations

from jobs.runner import JobContext
from webapp.core.extensions import db
from webapp.services.marketing import run_due


def run(ctx: JobContext) -> dict:
    result = run_due(db.session, now=ctx.now, org_id=ctx.org_id)
    db.session.commit()
    return {"started": result.started, "completed": result.completed}
