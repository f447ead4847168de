"""Messages contacts send us by SMS or WhatsApp: STOP, START, HELP, or anything else.

The keywords are the carriers', Twilio's and the CTIA's, in any case and with trailing
punctuation: an opt-out word (STOP, STOP ALL, UNSUBSCRIBE, CANCEL, END, QUIT, REVOKE,
OPTOUT, OPT OUT) alone, or STOP / UNSUBSCRIBE / OPT OUT / REVOKE followed by anything ("STOP
please", "Stop\n-- Jo, sent from my phone"); START / UNSTOP alone subscribe again (YES
too, from a contact who opted out); each for the channel it came by only (an SMS START never
resubscribes email, a WhatsApp STOP leaves SMS alone); HELP / INFO alone answer who is writing and how to reach
them. Anything else lands on the contact's timeline.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from webapp.models import BrandProfile, Lead, LeadEvent, Organization
from webapp.services.events import record_product_event
from webapp.services.messaging import consent

# Opt-out words that count alone only ("END of season?" is a question, not an opt-out) …
STOP_WORDS = frozenset({"STOP", "STOPALL", "STOP ALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT",
                        "REVOKE", "OPTOUT", "OPT OUT"})  # fmt: skip
# … and the ones whose first words opt out whatever follows (a signature, "please").
STOP_LEADS = ("STOP", "STOPALL", "UNSUBSCRIBE", "OPTOUT", "OPT OUT", "REVOKE")
START_WORDS = frozenset({"START", "UNSTOP"})
OPTED_OUT_START_WORDS = frozenset({"YES"})  # Twilio's opt-in word; only from the opted out
HELP_WORDS = frozenset({"HELP", "INFO"})
POLITE = frozenset({"PLEASE", "PLS", "THANKS", "THANK YOU"})

STOP_REPLY = (
    "You are unsubscribed and will get no more {what} from {who}. Reply START to subscribe again."
)
START_REPLY = "You are subscribed again to messages from {who}. Reply STOP to unsubscribe."
HELP_REPLY = (
    "{who}: automated messages.{reach} Reply STOP to unsubscribe, START to subscribe again."
)

_NOT_WORD = re.compile(r"[^A-Z0-9]+")


@dataclass
class InboundResult:
    action: str  # unsubscribed | resubscribed | help | message
    reply: str | None  # what to answer the sender (None: no answer)
    lead_ids: list[int] = field(default_factory=list)
    coach_replies: list[int] = field(
        default_factory=list
    )  # reply follow-ups to send after the response


def keyword(body: str) -> str:
    """The message as words: upper-cased, punctuation and line breaks as single spaces."""
    return _NOT_WORD.sub(" ", body.upper().replace("-", "")).strip()


def classify(body: str, *, opted_out: bool) -> str | None:
    """ "stop", "start", "help", or None for an ordinary message."""
    words = keyword(body)
    bare = words
    for polite in POLITE:  # "STOP please", "HELP thanks"
        if bare.endswith(" " + polite):
            bare = bare[: -len(polite) - 1]
    if bare in STOP_WORDS or any(
        words == lead or words.startswith(lead + " ") for lead in STOP_LEADS
    ):
        return "stop"
    if bare in START_WORDS or (opted_out and bare in OPTED_OUT_START_WORDS):
        return "start"
    if bare in HELP_WORDS:
        return "help"
    return None


def handle_inbound(
    session: Session,
    *,
    phone: str | None,
    body: str,
    channel: str,
    message_sid: str | None,
    now: datetime,
    org_id: int | None = None,
) -> InboundResult:
    """Act on one inbound message from `phone` (E.164; None when unreadable). Flushes.

    `org_id`: the workspace that owns the receiving number. None for the deployment's shared
    number, which every workspace without its own sends from: then a STOP applies to each
    workspace that has a contact with this number (the contact asked that number to stop).
    """
    leads = consent.find_by_address(session, org_id, phone=phone) if phone else []
    who = _who(session, leads)
    word = keyword(body)[:40]  # what they wrote, for the reason kept on cancelled messages
    ids = [lead.id for lead in leads]
    kind = classify(
        body, opted_out=any(consent.opted_out(session, lead, channel) for lead in leads)
    )
    if kind == "stop":
        for lead in leads:
            consent.unsubscribe(
                session,
                lead,
                channel=channel,
                reason=f"replied {word} by {_channel_word(channel)}",
                now=now,
            )
        what = "WhatsApp messages" if channel == "whatsapp" else "text messages"
        return InboundResult("unsubscribed", STOP_REPLY.format(what=what, who=who), ids)
    if kind == "start":
        for lead in leads:
            consent.resubscribe(
                session,
                lead,
                channel=channel,
                reason=f"replied {word} by {_channel_word(channel)}",
                now=now,
            )
        return InboundResult("resubscribed", START_REPLY.format(who=who), ids)
    if kind == "help":
        return InboundResult("help", HELP_REPLY.format(who=who, reach=_reach(session, leads)), ids)
    for lead in leads:
        _keep_reply(session, lead, body, channel, message_sid, now)
    session.flush()
    answer, coached = _to_chatbot(session, leads, body, channel, message_sid, now)
    replies = (
        _to_coach(session, coached, body, message_sid, now)
        if channel == "whatsapp" and body.strip()
        else []
    )
    return InboundResult("message", answer, ids, replies)


def _to_chatbot(
    session: Session, leads: list[Lead], body: str, channel: str, sid: str | None, now: datetime
) -> tuple[str | None, list[Lead]]:
    """The chatbot answers for the workspaces that turned it on for this channel (its
    answer goes back in the webhook's response; one answer, the first workspace's, when a
    shared number reaches several). Returns the answer and the contacts left to the coach:
    a message the chatbot took is not the coach's to auto-reply to."""
    from webapp.services.chat import answer_inbound, enabled_on

    answer = None
    left = []
    for lead in leads:
        if not enabled_on(session, lead.org_id, channel):
            left.append(lead)
            continue
        said = answer_inbound(session, lead, body, channel, sid, now=now)
        answer = answer or said
    return answer, left


def _keep_reply(
    session: Session, lead: Lead, body: str, channel: str, sid: str | None, now: datetime
) -> None:
    """The reply on the contact's timeline, and as their `sms.replied` / `whatsapp.replied`
    event."""
    session.add(
        LeadEvent(
            org_id=lead.org_id,
            lead_id=lead.id,
            type="inbound_message",
            description=f"Replied by {_channel_word(channel)}: {body.strip()[:500]}",
            details={"channel": channel, "body": body[:2000], "message_sid": sid},
            created_at=now,
        )
    )
    _reply_event(session, lead, body, channel, sid, now)


def _reply_event(
    session: Session, lead: Lead, body: str, channel: str, sid: str | None, now: datetime
) -> None:
    """`sms.replied` / `whatsapp.replied`: keyed by Twilio's message SID, so a webhook
    delivered twice is one event (without a SID, by the contact and the instant)."""
    word = "whatsapp" if channel == "whatsapp" else "sms"
    record_product_event(
        session,
        lead.org_id,
        lead.id,
        f"{word}.replied",
        {"body": body.strip()[:500], "message_sid": sid},
        message_id=f"{word}:{sid}" if sid else f"{word}:{lead.id}:{now.isoformat()}",
        now=now,
    )


def _to_coach(
    session: Session, leads: list[Lead], body: str, message_sid: str | None, now: datetime
) -> list[int]:
    """The WhatsApp coach keeps the message in its conversation. Returns the reply
    follow-ups it queued (the 15-minute job sends them if nobody sends them sooner)."""
    from webapp.services.coach import record_inbound

    replies = []
    for lead in leads:
        record = record_inbound(session, lead.org_id, lead, body, message_sid, now)
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


def _reach(session: Session, leads: list[Lead]) -> str:
    """How to reach the business, from its brand profile (phone, then website), for HELP."""
    org_ids = sorted({lead.org_id for lead in leads})
    if len(org_ids) != 1:
        return ""
    brand = session.scalars(
        select(BrandProfile).where(BrandProfile.org_id == org_ids[0])
    ).one_or_none()
    ways = [w for w in ((brand.phone, brand.website) if brand else ()) if w and w.strip()]
    return f" Questions? {' or '.join(w.strip() for w in ways)}." if ways else ""
