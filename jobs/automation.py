"""The 15-minute sequences job: enrol new contacts, then send what is due.

It drains the due backlog batch by batch until nothing is due or the tick's time budget
(AUTOMATION_TICK_SECONDS, default 600 s, well inside the 15 minutes) is spent; what is
left goes out on the next tick. Run by hand for one workspace (`ctx.org_id`) it touches
only that workspace. The same services serve "Trigger now", "Process now" and the API.
"""

from __future__ import annotations

import time

from jobs.runner import JobContext
from webapp.core import clock
from webapp.core.extensions import db
from webapp.services.messaging import (
    dispatch,
    job_status,
    send_confirmations,
    sequence_lifecycle,
    triggering,
)
from webapp.services.messaging.dispatch import setting
from webapp.services.messaging.tracking import record_conversions


def run(ctx: JobContext) -> dict:
    budget = setting(ctx.app, "AUTOMATION_TICK_SECONDS", 600)
    deadline = time.monotonic() + budget
    triggered = triggering.trigger_new_contacts(db.session, org_id=ctx.org_id, now=ctx.now)
    conversions = record_conversions(db.session, org_id=ctx.org_id, now=ctx.now)
    ctx.checkpoint()  # enrolments are saved before anything is sent; no transaction stays open
    processed = dispatch.process_due(
        ctx.app, org_id=ctx.org_id, test_mode=None, now=ctx.now, deadline=deadline
    )
    confirmations = send_confirmations(  # the ones the form's own after-response run missed
        db.engine, owner=f"automation:{ctx.run_id}", clock=clock.now, org_id=ctx.org_id
    )
    completed = sequence_lifecycle.complete_finished(db.session, org_id=ctx.org_id, now=ctx.now)
    remaining = job_status.summary(db.session, now=ctx.now, org_id=ctx.org_id)
    db.session.commit()
    return {
        "enrolled": triggered.enrolled,
        "skipped": triggered.skipped,
        "sent": processed.sent,
        "retried": processed.retried,
        "failed": processed.failed,
        "cancelled": processed.cancelled,
        "deferred": processed.deferred,
        "conversions": conversions,
        "confirmation_emails": confirmations.completed,
        "sequences_completed": completed,
        "due_left": remaining["due_now"],
        "pending_left": remaining["jobs"]["pending"],
    }
