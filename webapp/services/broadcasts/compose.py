"""Composing a broadcast: its message (a one-step "sequence" the dispatcher sends), its
audience, a preview and a test to yourself.

A broadcast owns a Campaign (kind "broadcast") and one SequenceStep holding the message,
so the templating, the checks and the preview are the sequences' own. Services flush,
never commit.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from webapp.core.errors import DomainError
from webapp.core.extensions import db
from webapp.integrations import delivery
from webapp.integrations.resilience import CircuitOpen, IntegrationError
from webapp.models import Broadcast, Campaign, Lead, Organization, Segment, SegmentMember
from webapp.models.sequence import SequenceStep
from webapp.services.activity import log_activity
from webapp.services.connections import open_channel
from webapp.services.messaging import SequenceError, check_step, render_step, variables_for
from webapp.services.suppression import not_suppressed

EDITABLE = ("draft", "scheduled")


class BroadcastError(DomainError):
    """A broadcast the rules refuse; `field` names the form field it belongs to."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


def _checked(session: Session, org_id: int, fields: dict) -> dict:
    name = " ".join((fields.get("name") or "").split())
    if not name:
        raise BroadcastError("Give the broadcast a name.", "name")
    if len(name) > 120:
        raise BroadcastError("Keep the name under 120 characters.", "name")
    try:
        step = check_step(
            fields.get("channel") or "",
            fields.get("subject") or "",
            fields.get("body") or "",
            0,
            "minutes",
        )
    except SequenceError as exc:
        raise BroadcastError(str(exc), exc.field) from None
    segment_id = fields.get("segment_id") or None
    if segment_id is not None:
        found = session.scalar(
            select(Segment.id).where(Segment.id == int(segment_id), Segment.org_id == org_id)
        )
        if found is None:
            raise BroadcastError("Choose one of this workspace's segments.", "segment_id")
    days = fields.get("conversion_days", 7)
    if not isinstance(days, int) or not 1 <= days <= 90:
        raise BroadcastError("Count conversions within 1 to 90 days of a click.", "conversion_days")
    event = (fields.get("conversion_event") or "").strip()
    if len(event) > 100:
        raise BroadcastError("Keep the event name under 100 characters.", "conversion_event")
    return {"name": name, "step": step, "segment_id": segment_id, "days": days, "event": event}


def create_broadcast(
    session: Session, org_id: int, fields: dict, *, actor_id: int | None, now: datetime
) -> Broadcast:
    """A new draft broadcast from the form's fields. Raises BroadcastError naming the field."""
    ok = _checked(session, org_id, fields)
    campaign = Campaign(
        org_id=org_id,
        name=ok["name"],
        channel=ok["step"]["channel"],
        kind="broadcast",
        auto_managed=False,
        status="draft",
        settings={},
        created_at=now,
        updated_at=now,
    )
    session.add(campaign)
    session.flush()
    session.add(
        SequenceStep(
            org_id=org_id,
            campaign_id=campaign.id,
            position=1,
            created_at=now,
            updated_at=now,
            **ok["step"],
        )
    )
    broadcast = Broadcast(
        org_id=org_id,
        campaign_id=campaign.id,
        name=ok["name"],
        audience="segment" if ok["segment_id"] else "all",
        segment_id=ok["segment_id"],
        status="draft",
        recipients=0,
        conversion_days=ok["days"],
        conversion_event=ok["event"],
        created_by_id=actor_id,
        created_at=now,
        updated_at=now,
    )
    session.add(broadcast)
    session.flush()
    log_activity(
        session,
        org_id,
        "broadcast.created",
        f"Broadcast “{broadcast.name}” drafted.",
        now=now,
        entity=("broadcast", broadcast.id),
        actor_id=actor_id,
    )
    return broadcast


def update_broadcast(
    session: Session, broadcast: Broadcast, fields: dict, *, actor_id: int | None, now: datetime
) -> Broadcast:
    """Change a draft or scheduled broadcast. Raises BroadcastError once it has started."""
    if broadcast.status not in EDITABLE:
        raise BroadcastError("A broadcast that has started cannot be edited.")
    ok = _checked(session, broadcast.org_id, fields)
    step = message_of(session, broadcast)
    for name, value in ok["step"].items():
        setattr(step, name, value)
    step.updated_at = now
    campaign = session.get(Campaign, broadcast.campaign_id)
    campaign.name, campaign.channel, campaign.updated_at = ok["name"], step.channel, now
    broadcast.name, broadcast.segment_id = ok["name"], ok["segment_id"]
    broadcast.audience = "segment" if ok["segment_id"] else "all"
    broadcast.conversion_days, broadcast.conversion_event = ok["days"], ok["event"]
    broadcast.updated_at = now
    session.flush()
    return broadcast


def message_of(session: Session, broadcast: Broadcast) -> SequenceStep:
    """The broadcast's message (its campaign's one step)."""
    return session.scalars(
        select(SequenceStep).where(SequenceStep.campaign_id == broadcast.campaign_id)
    ).one()


def audience(org_id: int, segment_id: int | None, channel: str) -> list:
    """Conditions on Lead for who a broadcast goes to: subscribed, reachable on its channel,
    and (for a segment) a current member of its stored membership."""
    address = Lead.email if channel == "email" else Lead.phone
    conditions = [
        Lead.org_id == org_id,
        Lead.unsubscribed_at.is_(None),
        address.is_not(None),
        address != "",
        not_suppressed(channel),  # opted out of this channel, bounced, complained
    ]
    if segment_id is not None:
        conditions.append(
            Lead.id.in_(
                select(SegmentMember.lead_id).where(
                    SegmentMember.segment_id == segment_id, SegmentMember.exited_at.is_(None)
                )
            )
        )
    return conditions


def audience_count(session: Session, broadcast: Broadcast) -> int:
    """How many contacts the broadcast would go to if it started now."""
    if broadcast.audience == "segment" and broadcast.segment_id is None:
        return 0
    step = message_of(session, broadcast)
    conditions = audience(broadcast.org_id, broadcast.segment_id, step.channel)
    return session.scalar(select(func.count()).select_from(Lead).where(*conditions)) or 0


def preview(session: Session, broadcast: Broadcast, lead_id: int | None = None):
    """(contact, rendered message) for a sample recipient, or for a made-up one when the
    audience is empty."""
    step = message_of(session, broadcast)
    org = session.get(Organization, broadcast.org_id)
    query = select(Lead).where(*audience(broadcast.org_id, broadcast.segment_id, step.channel))
    if lead_id is not None:
        query = query.where(Lead.id == lead_id)
    lead = session.scalars(query.order_by(Lead.id).limit(1)).first()
    if lead is None:
        lead = Lead(
            org_id=org.id, full_name="Sam Sample", email="sam@example.com", phone="+15550100"
        )
    return lead, render_step(step, lead, org, variables=variables_for(lead, org))


def send_test(
    session: Session, broadcast: Broadcast, to: str, *, actor_id: int | None, now: datetime
) -> str:
    """Send the message, rendered for a sample recipient, to `to` (yourself) through the
    workspace's channel, marked as a test. Returns the provider's word for where it went.
    Raises BroadcastError when the address is missing or the channel refuses it."""
    to = (to or "").strip()
    if not to:
        raise BroadcastError("Give an address to send the test to.", "to")
    step = message_of(session, broadcast)
    _lead, rendered = preview(session, broadcast)
    message = delivery.OutgoingMessage(
        channel=step.channel,
        to=to,
        subject=f"[Test] {rendered.subject}" if step.channel == "email" else "",
        text=rendered.text,
        html=rendered.html,
        org_id=broadcast.org_id,
        purpose="broadcast_test",
    )
    try:
        with open_channel(
            broadcast.org_id, step.channel, engine=db.engine, clock=lambda: now
        ) as sender:
            sender.send(message, session=session)
            provider = sender.provider
    except (IntegrationError, CircuitOpen) as exc:
        raise BroadcastError(f"The test could not be sent: {exc}", "to") from None
    log_activity(
        session,
        broadcast.org_id,
        "broadcast.test_sent",
        f"Test of “{broadcast.name}” sent to {to}.",
        now=now,
        entity=("broadcast", broadcast.id),
        actor_id=actor_id,
    )
    return provider


def list_broadcasts(session: Session, org_id: int) -> list[Broadcast]:
    return list(
        session.scalars(
            select(Broadcast)
            .where(Broadcast.org_id == org_id)
            .order_by(Broadcast.created_at.desc(), Broadcast.id.desc())
        )
    )


def segments_for(session: Session, org_id: int) -> list[Segment]:
    return list(
        session.scalars(select(Segment).where(Segment.org_id == org_id).order_by(Segment.name))
    )
