"""Hand-over to a person and back: escalating (staff hear of it in the activity feed), a
staff reply on the conversation's own channel, and resolving."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from webapp.core.errors import DomainError
from webapp.integrations.delivery import OutgoingMessage
from webapp.integrations.receipts import SendReceipt
from webapp.integrations.resilience import IntegrationError
from webapp.models import Conversation, ConversationMessage, Lead
from webapp.services.activity import log_activity
from webapp.services.chat.threads import keep

REASONS = {
    "asked_for_person": "asked for a person",
    "complaint": "a complaint",
    "unsure": "the bot was not sure what they meant",
    "misunderstood": "the bot misunderstood twice in a row",
    "missing_fact": "the bot lacks a fact to answer (add it in the chat settings)",
    "no_intents": "the workspace has no intents yet",
    "staff": "a person replied",
}
CHANNEL_WORDS = {"web": "website chat", "sms": "SMS", "whatsapp": "WhatsApp"}


class ReplyRefused(DomainError):
    """A staff reply that cannot go: empty, too long, or no way to reach the contact."""


def who(session: Session, conversation: Conversation) -> str:
    lead = session.get(Lead, conversation.lead_id) if conversation.lead_id else None
    return lead.display_name if lead is not None else f"A visitor (chat {conversation.id})"


def escalate(session: Session, conversation: Conversation, reason: str, *, now: datetime) -> None:
    """A person takes over: the bot goes quiet and staff see it in the activity feed."""
    if conversation.chat_state == "escalated":
        return
    conversation.chat_state = "escalated"
    conversation.escalated_at = now
    conversation.escalation_reason = reason
    conversation.resolved_at = None
    conversation.updated_at = now
    log_activity(
        session,
        conversation.org_id,
        "chat.escalated",
        f"{who(session, conversation)} needs a person on "
        f"{CHANNEL_WORDS.get(conversation.channel, conversation.channel)}: "
        f"{REASONS.get(reason, reason)}.",
        now=now,
        entity=("conversation", conversation.id),
        details={"reason": reason, "channel": conversation.channel},
    )


def resolve(
    session: Session, conversation: Conversation, *, actor_id: int | None, now: datetime
) -> None:
    conversation.chat_state = "resolved"
    conversation.resolved_at = now
    conversation.misunderstood = 0
    conversation.updated_at = now
    log_activity(
        session,
        conversation.org_id,
        "chat.resolved",
        f"Chat with {who(session, conversation)} resolved.",
        now=now,
        actor_id=actor_id,
        entity=("conversation", conversation.id),
    )


@dataclass(frozen=True)
class PlannedReply:
    """A checked staff reply, ready to go out with no transaction of ours open."""

    conversation_id: int
    org_id: int
    channel: str
    to: str | None  # SMS / WhatsApp: the number; web: None (the widget fetches it)
    body: str


def plan_reply(session: Session, conversation: Conversation, body: str) -> PlannedReply:
    """Check a staff reply. Raises ReplyRefused (empty, too long, nobody to send it to)."""
    body = (body or "").strip()
    if not body:
        raise ReplyRefused("Write a reply first.")
    if len(body) > 1600:
        raise ReplyRefused("Keep a reply under 1600 characters.")
    to = None
    if conversation.channel in ("sms", "whatsapp"):
        lead = session.get(Lead, conversation.lead_id) if conversation.lead_id else None
        to = (lead.phone if lead else None) or conversation.phone
        if lead is None or not to:
            raise ReplyRefused("This contact has no phone number to reply to.")
        if lead.unsubscribed_at is not None:
            raise ReplyRefused("This contact has unsubscribed; they get no more messages.")
    return PlannedReply(conversation.id, conversation.org_id, conversation.channel, to, body)


def send_reply(planned: PlannedReply, *, engine: Engine, now: datetime) -> SendReceipt | None:
    """Send an SMS / WhatsApp reply through the workspace's provider (under its breaker).
    Call it with no write transaction open. Raises ReplyRefused when it did not go."""
    if planned.to is None:
        return None
    from webapp.services.connections import open_channel

    message = OutgoingMessage(
        channel=planned.channel,
        to=planned.to,
        text=planned.body,
        org_id=planned.org_id,
        purpose="chat",
    )
    try:
        with open_channel(
            planned.org_id, planned.channel, engine=engine, clock=lambda: now
        ) as channel:
            return channel.send(message)
    except IntegrationError as exc:
        raise ReplyRefused(f"The reply did not go: {exc}") from exc


def record_reply(
    session: Session,
    conversation: Conversation,
    planned: PlannedReply,
    receipt: SendReceipt | None,
    *,
    actor_id: int,
    now: datetime,
) -> ConversationMessage:
    """Keep the reply in the transcript; a person now handles the conversation (the bot
    stays quiet until it is resolved). Flushes."""
    escalate(session, conversation, "staff", now=now)
    return keep(
        session,
        conversation,
        "out",
        planned.body,
        now=now,
        kind="staff",
        actor_id=actor_id,
        provider=receipt.provider if receipt else "web",
        provider_sid=receipt.provider_message_id if receipt else None,
    )
