"""What the dispatcher does after a crash: its own and the database connection's.

- `settle_failed`: a sequence job failed for good outside the dispatcher's own recording
  (its worker died on the last attempt, failed by `queue.recover_stale`) leaves its Send
  "queued" and its enrolment "active" forever; this marks the Send failed with the job's
  error and stops the enrolment with the reason, as `record_failure` does for a refused
  message. Idempotent; the dispatcher runs it at the start of each run, housekeeping
  after recovering leases.
- `Reconnecting` (a part of messaging/dispatch.py's `Dispatcher`): a lost database
  connection mid-batch (the server restarted, the backend was terminated) costs that
  batch only: the run reconnects, records the message it had sent but not acknowledged,
  gives the batch's other jobs back at once (no attempt spent, no lease to wait out) and
  goes on with the next batch.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from webapp import queue
from webapp.models import Campaign, QueuedJob
from webapp.models.sequence import Enrollment, Send, SequenceStep
from webapp.services.activity import log_activity
from webapp.services.messaging.step_jobs import KIND

log = logging.getLogger(__name__)


def settle_failed(session: Session, *, now: datetime) -> int:
    """Sends still queued whose job failed for good: failed, their enrolments stopped, one
    activity row per campaign. Returns how many sends were settled."""
    rows = session.execute(
        select(Send.id, Send.enrollment_id, Send.org_id, Send.campaign_id)
        .add_columns(SequenceStep.position, QueuedJob.last_error, QueuedJob.error_class)
        .join(QueuedJob, QueuedJob.id == Send.queued_job_id)
        .join(SequenceStep, SequenceStep.id == Send.step_id)
        .where(QueuedJob.kind == KIND, QueuedJob.status == "failed", Send.status == "queued")
    ).all()
    per_campaign: dict[tuple[int, int], int] = defaultdict(int)
    for send_id, enrollment_id, org_id, campaign_id, position, error, error_class in rows:
        error = error or "The message could not be sent."
        session.execute(
            update(Send)
            .where(Send.id == send_id, Send.status == "queued")
            .values(status="failed", error=error[:2000], error_class=error_class or "FAILED")
            .execution_options(synchronize_session=False)
        )
        reason = f"Step {position} could not be sent: {error}"
        session.execute(
            update(Enrollment)
            .where(Enrollment.id == enrollment_id, Enrollment.status == "active")
            .values(status="stopped", stopped_reason=reason[:2000], finished_at=now)
            .execution_options(synchronize_session=False)
        )
        per_campaign[(org_id, campaign_id)] += 1
    if per_campaign:
        names = dict(
            session.execute(
                select(Campaign.id, Campaign.name).where(
                    Campaign.id.in_([c for _o, c in per_campaign])
                )
            ).all()
        )
        for (org_id, campaign_id), failed in per_campaign.items():
            log_activity(
                session,
                org_id,
                "sequence.processed",
                f"“{names.get(campaign_id, campaign_id)}”: {failed} failed (the sending "
                "process stopped on their last attempt); their contacts' sequences stopped.",
                now=now,
                entity=("campaign", campaign_id),
                details={"sent": 0, "retried": 0, "failed": failed, "cancelled": 0},
            )
    return len(rows)


class Reconnecting:
    """Surviving a lost database connection (mixed into messaging/dispatch.py's `Dispatcher`)."""

    def reconnect(self, exc: BaseException, lost: int) -> None:
        """After a lost connection mid-batch: `recover`, retried while the database comes
        back; raises when it stays away (RECONNECTS tries, the `lost`-th loss in a row)."""
        while True:
            log.warning("dispatcher %s lost its database connection: %s", self.owner, exc)
            if lost > queue.RECONNECTS:
                raise exc
            queue.pause(lost)
            try:
                self.recover()
                return
            except Exception as again:
                if not queue.lost_connection(again):
                    raise
                exc, lost = again, lost + 1

    def recover(self) -> None:
        """A new bookkeeping connection, the sent message's acknowledgement written, and the
        rest of the batch back to pending, due now, without spending attempts."""
        if not self.conn.invalidated:
            self.conn.invalidate()
        self.conn = self.open.enter_context(self.bookkeeping())
        self.record_unacked()  # sent before the connection dropped: record it, once
        back = queue.give_back(self.engine, self.owner, self.leased, self.clock)
        self.leased, self.started = [], set()
        self.write_timeline(self.conn)
        log.info("dispatcher %s reconnected; %d jobs of its batch went back", self.owner, back)

    def settle(self, now: datetime) -> None:
        """Jobs of this kind whose worker died: back to pending, or failed for good with
        their Sends and enrolments saying so."""
        with Session(self.engine) as session:
            queue.recover_stale(session, now=now, kinds=[KIND])
            settle_failed(session, now=now)
            session.commit()
