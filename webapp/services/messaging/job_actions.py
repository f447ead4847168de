"""A person's actions on single sequence messages: retry a failed one, cancel a pending one,
and cancel a deleted step's pending messages. The queue rows change through the work engine
(`queue.retry`, `queue.cancel`, `queue.cancel_where`); the Send and the enrolment follow.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from webapp import queue
from webapp.models import Campaign, QueuedJob
from webapp.models.sequence import Enrollment, Send, SequenceStep
from webapp.services.activity import log_activity


def _send_of_job(session: Session, campaign: Campaign, job_id: int) -> Send | None:
    return session.scalars(
        select(Send).where(
            Send.queued_job_id == job_id,
            Send.campaign_id == campaign.id,
            Send.org_id == campaign.org_id,
        )
    ).one_or_none()


def _message(session: Session, send: Send) -> str:
    """ "Message 2" for the sequence's second message: its step's place, as the builder
    numbers them (not the row id, which means nothing to the owner)."""
    position = session.scalar(select(SequenceStep.position).where(SequenceStep.id == send.step_id))
    return f"Message {position}" if position else "A message"


def retry_job(
    session: Session, campaign: Campaign, job_id: int, *, now: datetime, actor_id: int | None
) -> bool:
    """Send a failed message again (fresh attempts, due now). False if it was not failed."""
    send = _send_of_job(session, campaign, job_id)
    if send is None or not queue.retry(session, job_id, now=now, org_id=campaign.org_id):
        return False
    send.status, send.error, send.error_class = "queued", None, None
    session.execute(
        update(Enrollment)
        .where(Enrollment.id == send.enrollment_id, Enrollment.status == "stopped")
        .values(status="active", stopped_reason=None, finished_at=None)
        .execution_options(synchronize_session=False)
    )
    session.flush()
    log_activity(
        session,
        campaign.org_id,
        "sequence.job_retried",
        f"{_message(session, send)} of “{campaign.name}” to {send.to or 'the contact'} queued again.",
        now=now,
        entity=("campaign", campaign.id),
        actor_id=actor_id,
        details={"job_id": job_id, "send_id": send.id},
    )
    return True


def cancel_job(
    session: Session,
    campaign: Campaign,
    job_id: int,
    *,
    now: datetime,
    actor_id: int | None,
    reason: str,
) -> bool:
    """Cancel a pending message; the contact's sequence stops there. False if not pending."""
    reason = (reason or "Cancelled by a person.").strip()[:500]
    send = _send_of_job(session, campaign, job_id)
    if send is None or not queue.cancel(
        session, job_id, now=now, reason=reason, org_id=campaign.org_id
    ):
        return False
    send.status, send.error, send.error_class = "cancelled", reason, "CANCELLED"
    session.execute(
        update(Enrollment)
        .where(Enrollment.id == send.enrollment_id, Enrollment.status == "active")
        .values(status="stopped", stopped_reason=reason, finished_at=now)
        .execution_options(synchronize_session=False)
    )
    session.flush()
    log_activity(
        session,
        campaign.org_id,
        "sequence.job_cancelled",
        f"{_message(session, send)} of “{campaign.name}” to {send.to or 'the contact'} "
        f"cancelled: {reason}",
        now=now,
        entity=("campaign", campaign.id),
        actor_id=actor_id,
        details={"job_id": job_id, "send_id": send.id},
    )
    return True


def cancel_step_jobs(session: Session, step: SequenceStep, *, now: datetime, reason: str) -> int:
    """Cancel the pending messages of one step (before it is deleted). Returns how many."""
    pending = select(Send.queued_job_id).where(Send.step_id == step.id, Send.status == "queued")
    cancelled = queue.cancel_where(
        session, QueuedJob.id.in_(pending), QueuedJob.org_id == step.org_id, now=now, reason=reason
    )
    session.execute(
        update(Send)
        .where(Send.step_id == step.id, Send.status == "queued")
        .values(status="cancelled", error=reason, error_class="CANCELLED")
        .execution_options(synchronize_session=False)
    )
    return cancelled
