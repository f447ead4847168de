"""What contacts send the coach and what Twilio reports about its messages: an inbound
message joins its conversation (and may queue an auto-reply), delivery statuses update the
message, and `send_replies` sends the queued replies right away."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import datetime

from flask import Flask
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from webapp.core import clock
from webapp.core.db import dialect_insert
from webapp.models import (
    CoachFollowup,
    Conversation,
    ConversationMessage,
    Lead,
)
from webapp.models.coach import THREAD_WHERE, open_key
from webapp.services.coach.audience import get_settings, open_followup
from webapp.services.coach.process import process_due
from webapp.services.suppression import may_send

THREAD_KEY = ["org_id", "channel", "lead_id"]  # the unique index of one contact's thread
REPLY_SECONDS = 60  # time budget of the replies sent after a webhook request

log = logging.getLogger(__name__)


@dataclass
class InboundRecord:
    conversation_id: int
    message_id: int | None  # None: a duplicate delivery of a message already kept
    reply_followup_id: int | None  # the reply queued for it (auto-reply on), else None


def record_inbound(
    session: Session, org_id: int, lead: Lead, body: str, sid: str | None, now: datetime
) -> InboundRecord | None:
    """Keep a WhatsApp message from `lead` in its conversation; with auto-reply on, queue a
    reply due now. Returns None when the workspace's coach is not in use (never turned on and
    no conversation with the contact). Twilio may deliver a webhook twice: a message whose
    SID is already kept is not kept again. Flushes."""
    settings = get_settings(session, org_id)
    conversation = _conversation_of(session, org_id, lead)
    if conversation is None:
        if settings is None or not settings.enabled:
            return None
        conversation = _open_conversation(session, org_id, lead, now)
    if sid and _already_kept(session, conversation.id, sid):
        return InboundRecord(conversation.id, None, None)
    message = _keep_message(session, org_id, conversation, body, sid, now)
    reply_id = None
    if (
        settings is not None
        and settings.enabled
        and settings.auto_reply
        and may_send(session, lead, "whatsapp") is None
    ):
        reply_id = _queue_reply(session, org_id, lead.id, conversation.id, now)
    return InboundRecord(conversation.id, message.id, reply_id)


def _conversation_of(session: Session, org_id: int, lead: Lead) -> Conversation | None:
    return session.scalars(
        select(Conversation).where(*_whatsapp_thread(org_id, lead))
    ).one_or_none()


def _open_conversation(session: Session, org_id: int, lead: Lead, now: datetime) -> Conversation:
    """The contact's conversation, created now (or by a concurrent delivery a moment ago)."""
    session.execute(
        dialect_insert(session)(Conversation.__table__)
        .values(
            org_id=org_id,
            lead_id=lead.id,
            channel="whatsapp",
            phone=lead.phone or "",
            status="active",
            last_preview="",
            message_count=0,
            created_at=now,
            updated_at=now,
        )
        .on_conflict_do_nothing(index_elements=THREAD_KEY, index_where=text(THREAD_WHERE))
    )
    return session.scalars(select(Conversation).where(*_whatsapp_thread(org_id, lead))).one()


def _whatsapp_thread(org_id: int, lead: Lead) -> tuple:
    """The contact's WhatsApp thread (the chatbot may also talk to them by SMS or web)."""
    return (
        Conversation.org_id == org_id,
        Conversation.channel == "whatsapp",
        Conversation.lead_id == lead.id,
    )


def _already_kept(session: Session, conversation_id: int, sid: str) -> bool:
    return bool(
        session.scalar(
            select(ConversationMessage.id).where(
                ConversationMessage.conversation_id == conversation_id,
                ConversationMessage.provider_sid == sid,
                ConversationMessage.direction == "in",
            )
        )
    )


def _keep_message(
    session: Session,
    org_id: int,
    conversation: Conversation,
    body: str,
    sid: str | None,
    now: datetime,
) -> ConversationMessage:
    text = body.strip()[:4000]
    message = ConversationMessage(
        conversation_id=conversation.id,
        org_id=org_id,
        direction="in",
        body=text,
        provider="twilio",
        provider_sid=sid,
        status="received",
        created_at=now,
    )
    session.add(message)
    conversation.last_inbound_at = now
    conversation.last_message_at = now
    conversation.last_preview = text[:200]
    conversation.message_count = Conversation.message_count + 1
    conversation.updated_at = now
    session.flush()
    return message


def _queue_reply(
    session: Session, org_id: int, lead_id: int, conversation_id: int, now: datetime
) -> int | None:
    """The reply follow-up, due now: a new one, or the one already queued (it will see this
    message too)."""
    reply_id = open_followup(
        session, org_id, lead_id, conversation_id, "reply", due_at=now, now=now
    )
    if reply_id is None:
        reply_id = session.scalar(
            select(CoachFollowup.id).where(CoachFollowup.open_key == open_key("reply", lead_id))
        )
    return reply_id


def send_replies(app: Flask, followup_ids: list[int]) -> None:
    """Run the given reply follow-ups' jobs now (the webhook calls this once its response
    has gone out); what is not sent now is left to the 15-minute job."""
    try:
        with app.app_context():
            process_due(
                app, now=clock.now(), only=followup_ids, deadline=time.monotonic() + REPLY_SECONDS
            )
    except Exception:  # the job retries; a webhook's caller must never see this
        log.exception("coach: sending replies %s after the request failed", followup_ids)


DELIVERED = frozenset({"delivered", "read"})
UNDELIVERED = frozenset({"failed", "undelivered"})


def record_message_status(
    session: Session, followup_id: int, sid: str | None, status: str, error_code: str | None
) -> bool | None:
    """Apply Twilio's delivery report to the coach message sent for `followup_id`. Flushes.

    None when no message was sent for it; False when the report was ignored (another
    message's SID, or an intermediate status); True when applied."""
    message = session.scalars(
        select(ConversationMessage)
        .where(
            ConversationMessage.followup_id == followup_id, ConversationMessage.direction == "out"
        )
        .order_by(ConversationMessage.id.desc())
    ).first()
    if message is None:
        return None
    if not sid or sid != message.provider_sid:
        return False
    status = (status or "").strip().lower()
    if status in DELIVERED and message.status in ("sent", "delivered"):
        message.status = "delivered"
    elif status in UNDELIVERED and message.status != "failed":
        message.status = "failed"
    else:
        return False
    session.flush()
    return True
