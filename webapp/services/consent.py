"""Consent: a contact unsubscribes (one click, List-Unsubscribe-Post, or STOP) or comes back.

An unsubscribed contact gets nothing more: its pending messages are cancelled with the
reason (shown on the automation tab), its enrolments stop, and the dispatcher checks again
just before sending. Services flush, never commit.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from webapp import queue
from webapp.models import Lead, LeadEvent, QueuedJob
from webapp.models.sequence import Enrollment, Send
from webapp.services.activity import log_activity

CHANNEL_WORDS = {"email": "email", "sms": "SMS", "whatsapp": "WhatsApp", None: "request"}


def cancel_lead_messages(session: Session, lead: Lead, *, reason: str, now: datetime) -> int:
    """Cancel every queued message of the contact and stop its active enrolments. Returns
    how many messages were cancelled."""
    queue_ids = select(Send.queued_job_id).where(
        Send.lead_id == lead.id, Send.org_id == lead.org_id, Send.status == "queued", Send.queued_job_id.is_not(None)
    )
    cancelled = queue.cancel_where(session, QueuedJob.id.in_(queue_ids), QueuedJob.org_id == lead.org_id,
                                   now=now, reason=reason)
    session.execute(
        update(Send)
        .where(Send.lead_id == lead.id, Send.org_id == lead.org_id, Send.status == "queued",
               Send.queued_job_id.in_(select(QueuedJob.id).where(QueuedJob.status == "cancelled")))
        .values(status="cancelled", error=reason, error_class="CANCELLED")
        .execution_options(synchronize_session=False)
    )
    session.execute(
        update(Enrollment)
        .where(Enrollment.lead_id == lead.id, Enrollment.org_id == lead.org_id, Enrollment.status == "active")
        .values(status="stopped", stopped_reason=reason, finished_at=now)
        .execution_options(synchronize_session=False)
    )
    return cancelled


def unsubscribe(session: Session, lead: Lead, *, channel: str | None, reason: str, now: datetime,
                actor_id: int | None = None) -> bool:
    """Unsubscribe the contact from all messages. Returns False when it already was.

    `channel` says where the request came from (email link, SMS or WhatsApp STOP, or None
    for a person in the app); `reason` is kept on every cancelled message.
    """
    if lead.unsubscribed_at is not None:
        return False
    lead.unsubscribed_at = now
    lead.updated_at = now
    session.flush()
    cancelled = cancel_lead_messages(session, lead, reason=reason, now=now)
    via = CHANNEL_WORDS.get(channel, channel)
    session.add(LeadEvent(
        org_id=lead.org_id, lead_id=lead.id, type="unsubscribed",
        description=f"Unsubscribed by {via}: {reason}",
        details={"channel": channel, "reason": reason, "cancelled": cancelled}, actor_id=actor_id, created_at=now,
    ))
    log_activity(
        session, lead.org_id, "contact.unsubscribed",
        f"{lead.display_name} unsubscribed ({via}); {cancelled} pending message{'s' if cancelled != 1 else ''} "
        "cancelled.",
        now=now, entity=("lead", lead.id), actor_id=actor_id,
        details={"channel": channel, "reason": reason, "cancelled": cancelled},
    )
    return True


def resubscribe(session: Session, lead: Lead, *, channel: str | None, reason: str, now: datetime,
                actor_id: int | None = None) -> bool:
    """Let the contact receive messages again (START, or a person). Cancelled messages stay
    cancelled; sequences enrol it again only if it is new. False when it was subscribed."""
    if lead.unsubscribed_at is None:
        return False
    lead.unsubscribed_at = None
    lead.updated_at = now
    via = CHANNEL_WORDS.get(channel, channel)
    session.add(LeadEvent(
        org_id=lead.org_id, lead_id=lead.id, type="resubscribed", description=f"Subscribed again by {via}: {reason}",
        details={"channel": channel, "reason": reason}, actor_id=actor_id, created_at=now,
    ))
    log_activity(session, lead.org_id, "contact.resubscribed", f"{lead.display_name} subscribed again ({via}).",
                 now=now, entity=("lead", lead.id), actor_id=actor_id, details={"channel": channel})
    session.flush()
    return True


def find_by_address(session: Session, org_id: int | None, *, email: str | None = None,
                    phone: str | None = None) -> list[Lead]:
    """The contacts with this email or phone (every workspace when `org_id` is None, as an
    inbound STOP to a shared number cannot say which workspace it meant)."""
    conditions = []
    if email:
        conditions.append(Lead.email == email.strip().lower())
    if phone:
        conditions.append(Lead.phone == phone.strip())
    if not conditions:
        return []
    query = select(Lead).where(or_(*conditions))
    if org_id is not None:
        query = query.where(Lead.org_id == org_id)
    return list(session.scalars(query.order_by(Lead.id)))
