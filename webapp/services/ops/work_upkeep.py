"""Upkeep of the work engine, for the housekeeping job: jobs whose worker died are retried
or failed (their areas told, see `webapp.queue.housekeeping`), sequence messages failed
that way settle their send and enrolment, and finished jobs are purged."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from webapp import queue
from webapp.services import messaging


def recover_abandoned_work(session: Session, *, now: datetime) -> dict[str, int]:
    """Jobs whose lease expired back to pending, or failed on their last attempt."""
    recovered = queue.recover_stale(session, now=now)
    # A sequence message whose sender died on its last attempt: its Send and enrolment say so.
    settled = messaging.settle_failed(session, now=now)
    return {"stale_leases_recovered": recovered, "failed_messages_settled": settled}


def purge_finished_work(session: Session, *, older_than: datetime) -> int:
    """Completed and cancelled jobs finished before `older_than` (failed ones stay)."""
    return queue.purge_completed(session, older_than=older_than)
