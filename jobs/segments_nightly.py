"""The nightly segments job: diff every segment's stored membership against its rules and
repair any drift (a change that reached the database without a signal, a failed
re-evaluation), signalling each repaired entry and exit. Each segment is committed on its own."""

from __future__ import annotations

from jobs.runner import JobContext
from webapp.core.extensions import db
from webapp.services.segments.passes import reevaluate


def run(ctx: JobContext) -> dict:
    return reevaluate(
        db.session, ctx.now, org_id=ctx.org_id, time_relative_only=False, after_each=ctx.checkpoint
    )
