"""The one-minute broadcasts job: start the scheduled broadcasts whose time has come, send
what is due, and mark the broadcasts whose last message is settled as sent.

Broadcast messages are sequence messages to the dispatcher, so sending here also sends any
sequence message that is due: both ticks claim through the one work engine, which never
hands a job to two senders.
"""

from __future__ import annotations

import time

from jobs.runner import JobContext
from webapp.core.extensions import db
from webapp.services.broadcasts import finish_sent, start_due
from webapp.services.messaging import process_due
from webapp.services.messaging.dispatch import setting


def run(ctx: JobContext) -> dict:
    deadline = time.monotonic() + setting(ctx.app, "BROADCAST_TICK_SECONDS", 50)
    started = start_due(db.session, org_id=ctx.org_id, now=ctx.now)
    ctx.checkpoint()  # the recipients are saved before anything is sent
    processed = process_due(
        ctx.app, org_id=ctx.org_id, test_mode=False, now=ctx.now, deadline=deadline
    )
    finished = finish_sent(db.session, org_id=ctx.org_id, now=ctx.now)
    db.session.commit()
    return {
        "started": started,
        "sent": processed.sent,
        "failed": processed.failed,
        "cancelled": processed.cancelled,
        "deferred": processed.deferred,
        "finished": finished,
    }
