"""Messages contacts send us by SMS or WhatsApp: STOP, START, HELP, or anything else.

The keywords are the carriers' and Twilio's (matched on the whole message, any case):
STOP/STOPALL/UNSUBSCRIBE/CANCEL/END/QUIT unsubscribe, START/UNSTOP subscribe again,
HELP/INFO answer how to stop. Anything else lands on the contact's timeline.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from webapp.models import Lead, LeadEvent, Organization
from webapp.services import consent

STOP_WORDS = frozenset({"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT"})
START_WORDS = frozenset({"START", "UNSTOP"})
HELP_WORDS = frozenset({"HELP", "INFO"})

STOP_REPLY = "You are unsubscribed and will get no more messages from {who}. Reply START to subscribe again."
START_REPLY = "You are subscribed again to messages from {who}. Reply STOP to unsubscribe."
HELP_REPLY = "Automated messages from {who}. Reply STOP to unsubscribe, START to subscribe again."


@dataclass
class InboundResult:
    action: str  # unsubscribed | resubscribed | help | message
    reply: str | None  # what to answer the sender (None: no answer)
    lead_ids: list[int] = field(default_factory=list)
    coach_replies: list[int] = field(default_factory=list)  # reply follow-ups to send after the response


def keyword(body: str) -> str:
    """The message as a keyword: trimmed, upper-cased, without trailing punctuation."""
    return body.strip().strip(".!?").strip().upper()


def handle_inbound(session: Session, *, phone: str | None, body: str, channel: str, message_sid: str | None,
                   now: datetime, org_id: int | None = None) -> InboundResult:
    """Act on one inbound message from `phone` (E.164; None when unreadable). Flushes.

    `org_id`: the workspace that owns the receiving number. None for the deployment's shared
    number, which every workspace without its own sends from: then a STOP applies to each
    workspace that has a contact with this number (the contact asked that number to stop).
    """
    leads = consent.find_by_address(session, org_id, phone=phone) if phone else []
    who = _who(session, leads)
    word = keyword(body)
    ids = [lead.id for lead in leads]
    if word in STOP_WORDS:
        for lead in leads:
            consent.unsubscribe(session, lead, channel=channel, reason=f"replied {word} by {_channel_word(channel)}",
                                now=now)
        return InboundResult("unsubscribed", STOP_REPLY.format(who=who), ids)
    if word in START_WORDS:
        for lead in leads:
            consent.resubscribe(session, lead, channel=channel, reason=f"replied {word} by {_channel_word(channel)}",
                                now=now)
        return InboundResult("resubscribed", START_REPLY.format(who=who), ids)
    if word in HELP_WORDS:
        return InboundResult("help", HELP_REPLY.format(who=who), ids)
    for lead in leads:
        session.add(LeadEvent(
            org_id=lead.org_id, lead_id=lead.id, type="inbound_message",
            description=f"Replied by {_channel_word(channel)}: {body.strip()[:500]}",
            details={"channel": channel, "body": body[:2000], "message_sid": message_sid}, created_at=now,
        ))
    session.flush()
    replies = _to_coach(session, leads, body, message_sid, now) if channel == "whatsapp" and body.strip() else []
    return InboundResult("message", None, ids, replies)


def _to_coach(session: Session, leads: list[Lead], body: str, message_sid: str | None, now: datetime) -> list[int]:
    """The WhatsApp coach keeps the message in its conversation. Returns the reply
    follow-ups it queued (the 15-minute job sends them if nobody sends them sooner)."""
    from webapp.services import coach

    replies = []
    for lead in leads:
        record = coach.record_inbound(session, lead.org_id, lead, body, message_sid, now)
        if record is not None and record.reply_followup_id is not None:
            replies.append(record.reply_followup_id)
    return replies


def _channel_word(channel: str) -> str:
    return "WhatsApp" if channel == "whatsapp" else "SMS"


def _who(session: Session, leads: list[Lead]) -> str:
    org_ids = sorted({lead.org_id for lead in leads})
    if len(org_ids) == 1:
        name = session.scalar(select(Organization.name).where(Organization.id == org_ids[0]))
        if name:
            return name
    return "us"
