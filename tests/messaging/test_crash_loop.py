"""A crash loop of the sequence sender (issue 10, item 2), with real processes: sender
workers (tests/workers/sequence_worker.py) SIGKILLed right after their first delivery,
again and again, against a real SMTP sink that records each message and holds its "250"
for a moment, so every kill loses the acknowledgement of the message in flight.

Before the fix every kill charged an attempt to the whole claimed batch: after
max_attempts kills, the batch's never-tried jobs failed "on the last attempt" and their
Sends and enrolments stayed queued and active forever.
"""

from __future__ import annotations

import subprocess
import time
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import select, update

from tests.messaging.test_automation_reliability import Worker, due_emails, smtp_sink
from webapp import queue
from webapp.core.clock import system_now
from webapp.core.extensions import db
from webapp.models import Lead, QueuedJob
from webapp.models.sequence import Enrollment, Send
from webapp.services.messaging import step_jobs
from webapp.services.messaging.dispatch_recovery import settle_failed

pytestmark = pytest.mark.slow

TOTAL = 60
BATCH = 20
LEASE = 1
KILLS = 3
MAX_ATTEMPTS = 2  # fewer than KILLS: the message in flight at every kill fails for good

__all__ = ["smtp_sink"]  # the fixture, used by name


def kill_after_first_delivery(worker: Worker, sink) -> None:
    before = len(sink.messages)
    worker.go.touch()
    assert sink.wait_for(before + 1, timeout=30), worker.output()
    worker.kill()


def test_a_crash_loop_charges_only_the_message_in_flight(
    app, alice_org, smtp_sink, database_url, tmp_path: Path
):
    campaign = due_emails(alice_org, TOTAL)
    db.session.execute(update(QueuedJob).values(max_attempts=MAX_ATTEMPTS))
    db.session.commit()
    started = time.monotonic()
    *workers, last = [
        Worker(tmp_path, f"w{i}", database_url, smtp_sink.port, batch=BATCH, lease=LEASE)
        for i in range(KILLS + 1)
    ]
    for worker in (*workers, last):
        worker.wait_ready()
    print(f"workers ready in {time.monotonic() - started:.1f}s")
    smtp_sink.reply_delay = 0.5  # every kill lands before the worker hears "accepted"
    for worker in workers:
        kill_after_first_delivery(worker, smtp_sink)
        time.sleep(LEASE + 0.3)  # the dead worker's leases run out before the next one starts
    smtp_sink.reply_delay = 0.0
    last.go.touch()
    try:  # it finishes once nothing is left pending or processing
        code = last.process.wait(timeout=40)
    except subprocess.TimeoutExpired:
        last.kill()
        code = None
    print(f"all done in {time.monotonic() - started:.1f}s")
    # What a housekeeping tick does, in case the last worker left anything to it.
    queue.recover_stale(db.session, now=system_now())
    settle_failed(db.session, now=system_now())
    db.session.commit()

    delivered = Counter(m.rcpt_tos[0] for m in smtp_sink.messages)
    jobs = db.session.execute(
        select(QueuedJob, Send, Enrollment, Lead.email)
        .join(Send, Send.queued_job_id == QueuedJob.id)
        .join(Enrollment, Enrollment.id == Send.enrollment_id)
        .join(Lead, Lead.id == Send.lead_id)
        .where(Send.campaign_id == campaign.id, QueuedJob.kind == step_jobs.KIND)
    ).all()
    assert len(jobs) == TOTAL
    failed = [row for row in jobs if row[0].status == "failed"]
    never_tried_failed = [email for job, _s, _e, email in failed if not delivered[email]]
    print(
        f"{len(smtp_sink.messages)} deliveries of {TOTAL} messages; "
        f"failed {[(email, job.attempts) for job, _s, _e, email in failed]}"
    )
    assert never_tried_failed == [], f"{len(never_tried_failed)} jobs failed without a try"
    assert set(delivered) == {email for *_rows, email in jobs}  # every message went out
    # Only the message in flight at a kill is delivered again: one per kill at most.
    assert sum(n - 1 for n in delivered.values()) <= KILLS
    for job, send, enrollment, email in jobs:
        assert job.attempts <= delivered[email], (email, job.attempts, delivered[email])
        if job.status == "failed":
            assert send.status == "failed" and "stopped" in (send.error or ""), send.error
            assert enrollment.status == "stopped"
            assert enrollment.stopped_reason.startswith("Step 1 could not be sent")
        else:
            assert (job.status, send.status, enrollment.status) == (
                "completed",
                "sent",
                "completed",
            )
    # The message in flight at the first MAX_ATTEMPTS kills used every attempt it had.
    assert [delivered[email] for *_rows, email in failed] == [MAX_ATTEMPTS]
    assert code == 0, last.output()
