"""The 15-minute WhatsApp coach job: enrol the audiences, then write and send what is due.

For every workspace whose coach is on (or only `ctx.org_id`, run by hand), contacts of the
audience get their first follow-up (each queued as a "coach.followup" job of the work
engine); then `process_due` runs the due jobs through the engine (`queue.run_due`), batch
by batch, until none is due or the tick's time budget (COACH_TICK_SECONDS, default 600 s,
well inside the 15 minutes) is spent. What is left goes out on the next tick.
"""

from __future__ import annotations

import time

from jobs.runner import JobContext
from webapp.core.extensions import db
from webapp.services.coach import audience as coach


def run(ctx: JobContext) -> dict:
    budget = int(ctx.app.config.get("COACH_TICK_SECONDS") or 600)
    deadline = time.monotonic() + budget
    enrolled = coach.schedule_followups(db.session, ctx.org_id, now=ctx.now)
    ctx.checkpoint()  # enrolments are saved; no transaction stays open while messages go out
    result = coach.process_due(
        ctx.app, now=ctx.now, owner=None, deadline=deadline, org_id=ctx.org_id
    )
    return {
        "enrolled": enrolled,
        "sent": result.sent,
        "replies": result.replies,
        "skipped": result.skipped,
        "retried": result.retried,
        "failed": result.failed,
        "deferred": result.deferred,
        "batches": result.batches,
        "notes": result.details[:5],
    }
