"""The state of a sequence's messages in queue words: counts, the backlog's ETA, the list of
jobs, and the totals of the whole sequence queue.

A message is a Send plus its queue row; its state reads the Send first (sent, failed or
cancelled settle it) and the queue row after (processing, failed, cancelled), else pending.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from webapp import queue
from webapp.models import Campaign, Lead, QueuedJob
from webapp.models.sequence import Enrollment, Send, SequenceStep
from webapp.services.messaging.step_jobs import KIND


@dataclass(frozen=True)
class AutomationStatus:
    total: int
    pending: int
    processing: int
    completed: int
    failed: int
    cancelled: int
    success_rate: float | None  # completed ÷ (completed + failed), None before any outcome
    backlog_eta: timedelta | None  # how long the pending messages take at the paced rate
    per_minute: float | None  # the pacing of the first step's channel (None = unpaced)
    due_now: int = 0  # pending and already due
    next_due_at: datetime | None = None
    test: int = 0  # of `total`, recorded as tests


def _job_status():
    """A Send's state in queue words: pending | processing | completed | failed | cancelled."""
    return case(
        (Send.status.in_(("sent", "delivered")), "completed"),
        (Send.status == "failed", "failed"),
        (Send.status == "cancelled", "cancelled"),
        (QueuedJob.status == "processing", "processing"),
        (QueuedJob.status == "failed", "failed"),
        (QueuedJob.status == "cancelled", "cancelled"),
        else_="pending",
    )


def automation_status(session: Session, campaign: Campaign, *, now: datetime) -> AutomationStatus:
    """Counts of the campaign's messages by state, the success rate and the backlog's ETA."""
    status = _job_status()
    rows = session.execute(
        select(status, func.count(), func.sum(case((Send.test_mode, 1), else_=0)))
        .select_from(Send)
        .outerjoin(QueuedJob, QueuedJob.id == Send.queued_job_id)
        .where(Send.campaign_id == campaign.id, Send.org_id == campaign.org_id)
        .group_by(status)
    ).all()
    counts = dict.fromkeys(("pending", "processing", "completed", "failed", "cancelled"), 0)
    test = 0
    for name, count, tests in rows:
        counts[name] += count
        test += int(tests or 0)
    due = session.execute(
        select(func.count(), func.min(QueuedJob.run_at))
        .select_from(Send)
        .join(QueuedJob, QueuedJob.id == Send.queued_job_id)
        .where(
            Send.campaign_id == campaign.id,
            Send.org_id == campaign.org_id,
            Send.status == "queued",
            QueuedJob.status == "pending",
        )
    ).one()
    due_now = (
        session.scalar(
            select(func.count())
            .select_from(Send)
            .join(QueuedJob, QueuedJob.id == Send.queued_job_id)
            .where(
                Send.campaign_id == campaign.id,
                Send.status == "queued",
                QueuedJob.status == "pending",
                QueuedJob.run_at <= now,
            )
        )
        or 0
    )
    outcomes = counts["completed"] + counts["failed"]
    per_minute = _per_minute(campaign.channel)
    eta = None
    if per_minute:
        from webapp.integrations.resilience import backlog_eta

        eta = backlog_eta(due_now, per_minute)
    return AutomationStatus(
        total=sum(counts.values()),
        success_rate=(counts["completed"] / outcomes) if outcomes else None,
        backlog_eta=eta,
        per_minute=per_minute,
        due_now=due_now,
        next_due_at=due[1],
        test=test,
        **counts,
    )


def _per_minute(channel: str) -> float | None:
    from webapp.integrations.delivery import rate_per_minute
    from webapp.services.connections import provider_for

    if channel not in ("email", "sms", "whatsapp"):
        return None
    try:
        if provider_for(channel) == "outbox":
            return None
    except RuntimeError:  # no app context: the deployment's defaults
        pass
    rate = rate_per_minute(channel)
    return rate or None


@dataclass(frozen=True)
class JobRow:
    job_id: int | None
    send_id: int
    contact_name: str
    contact_id: int
    step_position: int
    channel: str
    due_at: datetime
    status: str  # pending | processing | completed | failed | cancelled
    attempts: int
    error: str | None
    error_class: str | None
    test_mode: bool
    sent_at: datetime | None = None
    to: str = ""
    held: str | None = None  # why a pending message waits (quiet hours, WhatsApp's window)


STATUS_FILTERS = ("pending", "processing", "completed", "failed", "cancelled")


def recent_jobs(
    session: Session,
    campaign: Campaign,
    *,
    page: int = 1,
    per_page: int = 25,
    status: str | None = None,
) -> tuple[list[JobRow], bool]:
    """The campaign's messages, newest first (one page). Returns (rows, has_more)."""
    page = max(int(page or 1), 1)
    per_page = min(max(int(per_page or 25), 1), 200)
    state = _job_status()
    query = (
        select(
            Send,
            QueuedJob.id,
            QueuedJob.attempts,
            QueuedJob.last_error,
            QueuedJob.error_class,
            state,
            Lead.full_name,
            Lead.email,
            Lead.phone,
            SequenceStep.position,
        )
        .select_from(Send)
        .outerjoin(QueuedJob, QueuedJob.id == Send.queued_job_id)
        .join(Lead, Lead.id == Send.lead_id)
        .join(SequenceStep, SequenceStep.id == Send.step_id)
        .where(Send.campaign_id == campaign.id, Send.org_id == campaign.org_id)
    )
    if status in STATUS_FILTERS:
        query = query.where(state == status)
    rows = session.execute(
        query.order_by(Send.id.desc()).offset((page - 1) * per_page).limit(per_page + 1)
    ).all()
    return [_job_row(*row) for row in rows[:per_page]], len(rows) > per_page


def _job_row(
    send: Send,
    job_id: int | None,
    attempts: int | None,
    last_error: str | None,
    job_class: str | None,
    job_state: str,
    name: str | None,
    email: str | None,
    phone: str | None,
    position: int,
) -> JobRow:
    """One row of `recent_jobs`: the Send's own error first, then its job's while it still
    speaks about this try: a failed job, or one waiting to retry after a failed attempt. A
    job a person sent again (attempts back to 0) has not failed since."""
    speaks = job_state == "failed" or (job_state != "completed" and (attempts or 0) > 0)
    return JobRow(
        job_id=job_id,
        send_id=send.id,
        contact_name=name or email or phone or f"Contact {send.lead_id}",
        contact_id=send.lead_id,
        step_position=position,
        channel=send.channel,
        due_at=send.due_at,
        status=job_state,
        attempts=attempts or 0,
        error=send.error or (last_error if speaks else None),
        error_class=send.error_class or (job_class if speaks else None),
        test_mode=send.test_mode,
        sent_at=send.sent_at,
        to=send.to,
        held=last_error if job_state == "pending" and not speaks else None,
    )


def pending_jobs(session: Session, *conditions) -> int:
    """Sequence messages still to send (pending or processing)."""
    return (
        session.scalar(
            select(func.count())
            .select_from(QueuedJob)
            .where(
                QueuedJob.kind == KIND, QueuedJob.status.in_(("pending", "processing")), *conditions
            )
        )
        or 0
    )


def summary(session: Session, *, now: datetime, org_id: int | None = None) -> dict:
    """Totals of the sequence queue (for the external cron's summary endpoint)."""
    conditions = [QueuedJob.kind == KIND]
    if org_id is not None:
        conditions.append(QueuedJob.org_id == org_id)
    counts = queue.counts(session, *conditions)
    due = (
        session.scalar(
            select(func.count())
            .select_from(QueuedJob)
            .where(*conditions, QueuedJob.status == "pending", QueuedJob.run_at <= now)
        )
        or 0
    )
    active = (
        session.scalar(
            select(func.count())
            .select_from(Campaign)
            .where(
                Campaign.kind == "sequence",
                Campaign.status == "active",
                *([Campaign.org_id == org_id] if org_id is not None else []),
            )
        )
        or 0
    )
    enrollments = (
        session.scalar(
            select(func.count())
            .select_from(Enrollment)
            .where(
                Enrollment.status == "active",
                *([Enrollment.org_id == org_id] if org_id is not None else []),
            )
        )
        or 0
    )
    oldest = queue.oldest_pending_due(session, *conditions)
    return {
        "jobs": counts,
        "due_now": due,
        "active_sequences": active,
        "active_enrollments": enrollments,
        "oldest_pending_due": oldest.isoformat() if oldest else None,
    }
