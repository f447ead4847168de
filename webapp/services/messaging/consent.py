"""Consent, per channel: a contact opts out of email (the unsubscribe link, one-click
List-Unsubscribe-Post), of SMS (STOP by text) or of WhatsApp (STOP there) on its own, or a
person in the app unsubscribes it from everything; and comes back the same way.

An opt-out from one channel is a suppression row (reason "unsubscribe") for the contact's
address on that channel (services/suppression), so an SMS START lifts the SMS opt-out only
and never resubscribes email. "Everything" is `Lead.unsubscribed_at`. Pending messages of
what was opted out of are cancelled with the reason (shown on the automation tab), and every
send path asks `may_send` just before sending. Services flush, never commit.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, or_, select, update
from sqlalchemy.orm import Session

from webapp import queue
from webapp.models import Lead, LeadEvent, QueuedJob, Suppression
from webapp.models.sequence import Enrollment, Send
from webapp.services.activity import log_activity
from webapp.services.leads import contact_changed

CHANNEL_WORDS = {"email": "email", "sms": "SMS", "whatsapp": "WhatsApp", None: "request"}
CHANNELS = ("email", "sms", "whatsapp")


def cancel_lead_messages(
    session: Session, lead: Lead, *, reason: str, now: datetime, channel: str | None = None
) -> int:
    """Cancel every queued message of the contact (on `channel` only, when given) and stop
    the enrolments they belonged to (all active ones when no channel is given). Returns how
    many messages were cancelled."""
    on_channel = [Send.channel == channel] if channel else []
    queued = select(Send.enrollment_id).where(Send.lead_id == lead.id, Send.status == "queued")
    stopping = [Enrollment.id.in_(queued.where(*on_channel))] if channel else []
    enrollments = list(
        session.scalars(
            select(Enrollment.id).where(
                Enrollment.lead_id == lead.id,
                Enrollment.org_id == lead.org_id,
                Enrollment.status == "active",
                *stopping,
            )
        )
    )
    queue_ids = select(Send.queued_job_id).where(
        Send.lead_id == lead.id,
        Send.org_id == lead.org_id,
        Send.status == "queued",
        Send.queued_job_id.is_not(None),
        *on_channel,
    )
    cancelled = queue.cancel_where(
        session,
        QueuedJob.id.in_(queue_ids),
        QueuedJob.org_id == lead.org_id,
        now=now,
        reason=reason,
    )
    session.execute(
        update(Send)
        .where(
            Send.lead_id == lead.id,
            Send.org_id == lead.org_id,
            Send.status == "queued",
            Send.queued_job_id.in_(select(QueuedJob.id).where(QueuedJob.status == "cancelled")),
            *on_channel,
        )
        .values(status="cancelled", error=reason, error_class="CANCELLED")
        .execution_options(synchronize_session=False)
    )
    session.execute(
        update(Enrollment)
        .where(Enrollment.id.in_(enrollments), Enrollment.status == "active")
        .values(status="stopped", stopped_reason=reason, finished_at=now)
        .execution_options(synchronize_session=False)
    )
    return cancelled


def _address(lead: Lead, channel: str) -> str | None:
    return lead.email if channel == "email" else lead.phone


def opted_out(session: Session, lead: Lead, channel: str) -> bool:
    """Whether the contact opted out of `channel` (or of everything)."""
    from webapp.services.suppression import blocked

    if lead.unsubscribed_at is not None:
        return True
    return blocked(session, lead.org_id, channel, _address(lead, channel)) == "unsubscribe"


def unsubscribe(
    session: Session,
    lead: Lead,
    *,
    channel: str | None,
    reason: str,
    now: datetime,
    actor_id: int | None = None,
) -> bool:
    """Opt the contact out of `channel` (email link, SMS or WhatsApp STOP), or out of
    everything when `channel` is None (a person in the app). False when it already was.

    `reason` is kept on every cancelled message.
    """
    if opted_out(session, lead, channel) if channel else lead.unsubscribed_at is not None:
        return False
    if channel is None:
        lead.unsubscribed_at = now
    else:
        from webapp.services.suppression import suppress

        address = _address(lead, channel)
        if not (address or "").strip():
            return False
        suppress(session, lead.org_id, channel, address, reason="unsubscribe", now=now,
                 detail=reason, source=channel, actor_id=actor_id)  # fmt: skip
    lead.updated_at = now
    session.flush()
    cancelled = cancel_lead_messages(session, lead, reason=reason, now=now, channel=channel)
    via = CHANNEL_WORDS.get(channel, channel)
    what = f"from {via}" if channel else "from everything"
    details = {"channel": channel, "reason": reason, "cancelled": cancelled}
    session.add(
        LeadEvent(org_id=lead.org_id, lead_id=lead.id, type="unsubscribed",
                  description=f"Unsubscribed {what} by {via}: {reason}", details=details,
                  actor_id=actor_id, created_at=now)
    )  # fmt: skip
    log_activity(
        session,
        lead.org_id,
        "contact.unsubscribed",
        f"{lead.display_name} unsubscribed {what}; {cancelled} pending "
        f"message{'s' if cancelled != 1 else ''} cancelled.",
        now=now,
        entity=("lead", lead.id),
        actor_id=actor_id,
        details=details,
    )
    contact_changed(
        session, lead, "consent", {"subscribed": False, "channel": channel}, actor_id, now
    )
    return True


def resubscribe(
    session: Session,
    lead: Lead,
    *,
    channel: str | None,
    reason: str,
    now: datetime,
    actor_id: int | None = None,
) -> bool:
    """Let the contact receive messages on `channel` again (START by SMS lifts the SMS
    opt-out only), or everything when `channel` is None (a person). Bounces and complaints
    stay on the suppression list. Cancelled messages stay cancelled; sequences enrol it
    again only if it is new. False when it was not opted out."""
    if not (opted_out(session, lead, channel) if channel else lead.unsubscribed_at):
        return False
    if channel is not None:
        _keep_other_channels_out(session, lead, channel, now=now)
        address = _address(lead, channel)
        session.execute(
            delete(Suppression).where(
                Suppression.org_id == lead.org_id,
                Suppression.channel == channel,
                Suppression.address == (address or "").strip().lower(),
                Suppression.reason == "unsubscribe",
            )
        )
    lead.unsubscribed_at = None
    lead.updated_at = now
    via = CHANNEL_WORDS.get(channel, channel)
    what = f"to {via}" if channel else "to everything"
    session.add(
        LeadEvent(org_id=lead.org_id, lead_id=lead.id, type="resubscribed",
                  description=f"Subscribed again {what} by {via}: {reason}",
                  details={"channel": channel, "reason": reason}, actor_id=actor_id,
                  created_at=now)
    )  # fmt: skip
    log_activity(
        session,
        lead.org_id,
        "contact.resubscribed",
        f"{lead.display_name} subscribed again {what}.",
        now=now,
        entity=("lead", lead.id),
        actor_id=actor_id,
        details={"channel": channel},
    )
    session.flush()
    contact_changed(
        session, lead, "consent", {"subscribed": True, "channel": channel}, actor_id, now
    )
    return True


def _keep_other_channels_out(session: Session, lead: Lead, channel: str, *, now: datetime) -> None:
    """A contact unsubscribed from everything who asks for one channel back (START) stays
    out of the others: "everything" becomes one opt-out per other channel."""
    if lead.unsubscribed_at is None:
        return
    from webapp.services.suppression import suppress

    detail = f"Unsubscribed from everything on {lead.unsubscribed_at:%Y-%m-%d}."
    for other in CHANNELS:
        address = _address(lead, other)
        if other != channel and (address or "").strip():
            suppress(session, lead.org_id, other, address, reason="unsubscribe", now=now,
                     detail=detail, source="everything")  # fmt: skip


def find_by_address(
    session: Session, org_id: int | None, *, email: str | None = None, phone: str | None = None
) -> list[Lead]:
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


def opt_out_by_provider(
    session: Session, lead: Lead, channel: str, *, detail: str, now: datetime
) -> bool:
    """The provider refused a message because the recipient opted out with it (Twilio's
    21610: they replied STOP to our number): the contact is opted out of that channel."""
    return unsubscribe(
        session,
        lead,
        channel=channel,
        reason=f"The provider says the recipient opted out ({detail[:200]})",
        now=now,
    )
