"""The hourly segments job: re-evaluate every segment whose rules read "now" (a window of
days, a relative date), so contacts leave "ordered in the last 30 days" when the 30 days
pass although nothing about them changed. Each segment is committed on its own."""

from __future__ import annotations

from jobs.runner import JobContext
from webapp.core.extensions import db
from webapp.services.segments.passes import reevaluate


def run(ctx: JobContext) -> dict:
    return reevaluate(
        db.session, ctx.now, org_id=ctx.org_id, time_relative_only=True, after_each=ctx.checkpoint
    )
