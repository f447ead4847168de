"""The chatbot on its three channels: SMS and WhatsApp messages handed over by the inbound
webhook (services/messaging/inbound.py), and the website widget's public conversation."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from webapp.core.errors import DomainError, NotFound
from webapp.models import ChatSettings, Conversation, ConversationMessage, Lead
from webapp.services.chat import bot, threads

MAX_MESSAGE = 1000


class MessageRefused(DomainError):
    pass


def enabled_on(session: Session, org_id: int, channel: str) -> bool:
    settings = session.scalars(select(ChatSettings).where(ChatSettings.org_id == org_id)).first()
    if settings is None:
        return False
    return {
        "sms": settings.sms_enabled,
        "whatsapp": settings.whatsapp_enabled,
        "web": settings.web_enabled,
    }.get(channel, False)


def answer_inbound(
    session: Session, lead: Lead, body: str, channel: str, sid: str | None, *, now: datetime
) -> str | None:
    """The bot's answer to an SMS / WhatsApp message from a contact (sent back in the
    webhook's response), or None: the bot is off on that channel, a person handles the
    conversation, or Twilio delivered the same message twice. Flushes."""
    if not body.strip() or not enabled_on(session, lead.org_id, channel):
        return None
    conversation = threads.phone_thread(session, lead, channel, now=now)
    if threads.already_kept(session, conversation, sid):
        return None
    turn = bot.hear(session, conversation, body, now=now, provider="twilio", sid=sid)
    return turn.reply.body if turn.reply is not None else None


@dataclass(frozen=True)
class WidgetTurn:
    token: str
    messages: list[ConversationMessage]


def widget_settings(session: Session, key: str) -> ChatSettings:
    settings = session.scalars(select(ChatSettings).where(ChatSettings.widget_key == key)).first()
    if settings is None or not settings.web_enabled:
        raise NotFound("No chat here.")
    return settings


def widget_say(
    session: Session, key: str, token: str | None, body: str, *, now: datetime
) -> WidgetTurn:
    """A visitor's message from the widget: their conversation (a new one, and a new
    cookie token, when theirs is missing or another workspace's), the bot's answer."""
    settings = widget_settings(session, key)
    body = (body or "").strip()
    if not body:
        raise MessageRefused("Type a message first.")
    if len(body) > MAX_MESSAGE:
        raise MessageRefused(f"Keep a message under {MAX_MESSAGE} characters.")
    conversation = threads.web_thread(session, settings.org_id, token) if token else None
    if conversation is None:
        token = secrets.token_urlsafe(24)
        conversation = threads.open_web_thread(session, settings.org_id, token, now=now)
    turn = bot.hear(session, conversation, body, now=now, provider="web")
    said = [turn.visitor] + ([turn.reply] if turn.reply is not None else [])
    return WidgetTurn(token, said)


def widget_messages(
    session: Session, key: str, token: str, *, after: int
) -> tuple[Conversation, list[ConversationMessage]]:
    """The visitor's conversation since message `after` (staff replies arrive this way)."""
    settings = widget_settings(session, key)
    conversation = threads.web_thread(session, settings.org_id, token) if token else None
    if conversation is None:
        raise NotFound("No such conversation.")
    return conversation, threads.transcript(session, conversation, after=after)


def as_json(message: ConversationMessage) -> dict:
    author = "visitor" if message.direction == "in" else (message.kind or "bot")
    return {"id": message.id, "from": author, "text": message.body}


# Per visitor address and per workspace: a visitor types a message every few seconds at
# most, and the widget polls every 4 s while open (15 a minute).
SAY_LIMITS = ((20, timedelta(minutes=1)), (600, timedelta(minutes=1)))
POLL_LIMITS = ((40, timedelta(minutes=1)), (3000, timedelta(minutes=1)))


class RateLimited(DomainError):
    def __init__(self, retry_after: timedelta) -> None:
        super().__init__("Too many messages; please wait a moment.")
        self.retry_after = retry_after


def check_rate(session: Session, key: str, ip: str, what: str, *, now: datetime) -> None:
    """Count one widget request (what: "say" or "poll") for the visitor's address and for
    the workspace's widget; raise RateLimited when either is over its limit. Call it before
    the request's reads (services/accounts/limits.py)."""
    from webapp.services.accounts import bucket, hit

    (ip_limit, ip_window), (key_limit, key_window) = SAY_LIMITS if what == "say" else POLL_LIMITS
    for name, limit, window in (
        (bucket(f"chat-{what}:ip", ip), ip_limit, ip_window),
        (bucket(f"chat-{what}:widget", key[:40]), key_limit, key_window),
    ):
        wait = hit(session, name, limit=limit, window=window, now=now)
        if wait is not None:
            raise RateLimited(wait)
