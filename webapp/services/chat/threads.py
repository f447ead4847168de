"""The chatbot's side of the shared conversations: finding or opening a thread and keeping
a message in it (with the thread's counters)."""

from __future__ import annotations

import hashlib
from datetime import datetime

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from webapp.core.db import dialect_insert
from webapp.models import Conversation, ConversationMessage, Lead
from webapp.models.coach import THREAD_WHERE


def visitor_key(token: str) -> str:
    """What we keep of a visitor's conversation cookie: its SHA-256 (the cookie is the
    secret that lets the visitor read the thread)."""
    return hashlib.sha256(token.encode()).hexdigest()


def web_thread(session: Session, org_id: int, token: str) -> Conversation | None:
    """The workspace's web chat of this cookie; None for another workspace's cookie."""
    return session.scalars(
        select(Conversation).where(
            Conversation.org_id == org_id,
            Conversation.channel == "web",
            Conversation.visitor_key == visitor_key(token),
        )
    ).one_or_none()


def open_web_thread(session: Session, org_id: int, token: str, *, now: datetime) -> Conversation:
    conversation = Conversation(
        org_id=org_id,
        channel="web",
        visitor_key=visitor_key(token),
        status="active",
        chat_state="open",
        last_preview="",
        message_count=0,
        misunderstood=0,
        created_at=now,
        updated_at=now,
    )
    session.add(conversation)
    session.flush()
    return conversation


def phone_thread(session: Session, lead: Lead, channel: str, *, now: datetime) -> Conversation:
    """The contact's SMS or WhatsApp thread (the coach's, for WhatsApp), opened if need be."""
    session.execute(
        dialect_insert(session)(Conversation.__table__)
        .values(
            org_id=lead.org_id,
            lead_id=lead.id,
            channel=channel,
            phone=lead.phone or "",
            status="active",
            last_preview="",
            message_count=0,
            misunderstood=0,
            created_at=now,
            updated_at=now,
        )
        .on_conflict_do_nothing(
            index_elements=["org_id", "channel", "lead_id"], index_where=text(THREAD_WHERE)
        )
    )
    return session.scalars(
        select(Conversation).where(
            Conversation.org_id == lead.org_id,
            Conversation.channel == channel,
            Conversation.lead_id == lead.id,
        )
    ).one()


def already_kept(session: Session, conversation: Conversation, sid: str | None) -> bool:
    if not sid:
        return False
    return (
        session.scalar(
            select(ConversationMessage.id).where(
                ConversationMessage.conversation_id == conversation.id,
                ConversationMessage.provider_sid == sid,
            )
        )
        is not None
    )


def keep(
    session: Session,
    conversation: Conversation,
    direction: str,
    body: str,
    *,
    now: datetime,
    **fields,
) -> ConversationMessage:
    """Add a message (fields: kind, intent, confidence, actor_id, provider, provider_sid,
    status) and move the thread's counters. Flushes."""
    message = ConversationMessage(
        conversation_id=conversation.id,
        org_id=conversation.org_id,
        direction=direction,
        body=body,
        status=fields.pop("status", "received" if direction == "in" else "sent"),
        created_at=now,
        **fields,
    )
    session.add(message)
    conversation.message_count = (conversation.message_count or 0) + 1
    conversation.last_message_at = now
    conversation.last_preview = body.strip()[:200]
    if direction == "in":
        conversation.last_inbound_at = now
    else:
        conversation.last_outbound_at = now
    conversation.updated_at = now
    session.flush()
    return message


def transcript(
    session: Session, conversation: Conversation, *, after: int = 0, limit: int = 200
) -> list[ConversationMessage]:
    return list(
        session.scalars(
            select(ConversationMessage)
            .where(
                ConversationMessage.conversation_id == conversation.id,
                ConversationMessage.id > after,
            )
            .order_by(ConversationMessage.id)
            .limit(limit)
        )
    )
