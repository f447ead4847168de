"""The WhatsApp coach: a workspace's settings, its conversations, every message, and the
follow-ups it has scheduled.

A follow-up is one message to write and send at `due_at`: kind "followup" (the regular
coaching message, by frequency and window) or "reply" (an answer to an incoming message).
`open_key` ("followup:<lead>" or "reply:<lead>") is set while a follow-up is pending or
processing and cleared when it finishes: its unique index keeps at most one open follow-up
of each kind per contact, whatever runs concurrently.

Sending is the work engine's: each pending follow-up has a queue job ("coach.followup",
coach/work.py) whose lease, attempts and lock key say who is sending it; the follow-up
stays "pending" until the job finishes it (sent, skipped, failed).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Float, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from webapp.core.extensions import db
from webapp.models.types import UTCDateTime

COACH_AUDIENCES = ("all_contacts", "new_leads", "qualified")
COACH_FREQUENCIES = ("daily", "three_per_week", "weekly")
CONVERSATION_STATUSES = ("active", "opted_out", "stopped")
CONVERSATION_CHANNELS = ("whatsapp", "sms", "web")
CHAT_STATES = ("open", "escalated", "resolved")  # None: a coach-only thread, not in the chat inbox
# One SMS or WhatsApp thread per contact and channel; web chats are one per visitor (cookie).
THREAD_WHERE = "channel <> 'web'"
FOLLOWUP_KINDS = ("followup", "reply")
FOLLOWUP_STATUSES = (
    "pending",
    "processing",
    "sent",
    "skipped",
    "failed",
)  # processing: before 0015


class CoachSettings(db.Model):
    __tablename__ = "coach_settings"

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), unique=True
    )
    audience: Mapped[str] = mapped_column(String(20), default="new_leads")
    goal: Mapped[str] = mapped_column(Text, default="")
    frequency: Mapped[str] = mapped_column(String(20), default="weekly")
    window_start: Mapped[str] = mapped_column(String(5), default="09:00")  # local wall time, HH:MM
    window_end: Mapped[str] = mapped_column(String(5), default="18:00")
    tone: Mapped[str] = mapped_column(String(120), default="friendly")
    language: Mapped[str] = mapped_column(String(8), default="en")
    enabled: Mapped[bool] = mapped_column(Boolean, default=False)
    auto_reply: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


class Conversation(db.Model):
    """One thread with one contact on one channel, shared by the WhatsApp coach and the
    chatbot (web widget, SMS, WhatsApp). One worker writes to it at a time: the jobs of the
    coach's follow-ups share the lock key "conversation:<id>" (coach/work.py).

    `chat_state` is the chatbot's: open (the bot answers), escalated (a person handles it;
    the bot stays quiet), resolved; None for a thread the chatbot never took part in. A web
    chat has no contact until the visitor leaves an address; its visitor is known by the
    SHA-256 of their conversation cookie (`visitor_key`)."""

    __tablename__ = "coach_conversations"
    __table_args__ = (
        Index(
            "uq_coach_conversations_thread",
            "org_id",
            "channel",
            "lead_id",
            unique=True,
            sqlite_where=text(THREAD_WHERE),
            postgresql_where=text(THREAD_WHERE),
        ),
        Index("ix_coach_conversations_org_last", "org_id", "last_message_at", "id"),
        Index("ix_coach_conversations_lead", "lead_id"),
        Index("ix_coach_conversations_chat", "org_id", "chat_state", "last_message_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    lead_id: Mapped[int | None] = mapped_column(ForeignKey("leads.id", ondelete="CASCADE"))
    channel: Mapped[str] = mapped_column(String(16), default="whatsapp")
    visitor_key: Mapped[str | None] = mapped_column(String(64), unique=True)
    phone: Mapped[str] = mapped_column(String(32), default="")
    status: Mapped[str] = mapped_column(String(16), default="active")
    status_reason: Mapped[str | None] = mapped_column(Text)
    chat_state: Mapped[str | None] = mapped_column(String(16))
    escalated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    escalation_reason: Mapped[str | None] = mapped_column(String(40))
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    misunderstood: Mapped[int] = mapped_column(Integer, default=0)  # in a row
    last_inbound_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_outbound_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_message_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_preview: Mapped[str] = mapped_column(String(200), default="")
    message_count: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ConversationMessage(db.Model):
    __tablename__ = "coach_messages"
    __table_args__ = (
        Index("ix_coach_messages_conversation", "conversation_id", "id"),
        Index("ix_coach_messages_org_created", "org_id", "created_at"),
        Index("ix_coach_messages_sid", "provider_sid"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    conversation_id: Mapped[int] = mapped_column(
        ForeignKey("coach_conversations.id", ondelete="CASCADE")
    )
    org_id: Mapped[int] = mapped_column(Integer)  # the conversation's
    direction: Mapped[str] = mapped_column(String(3))  # in | out
    body: Mapped[str] = mapped_column(Text, default="")
    kind: Mapped[str | None] = mapped_column(String(16))  # out: followup | reply | bot | staff
    provider: Mapped[str | None] = mapped_column(String(16))  # twilio | outbox (out), twilio (in)
    provider_sid: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(
        String(16), default="sent"
    )  # received | sent | delivered | failed
    ai_provider: Mapped[str | None] = mapped_column(String(16))  # builtin | openai
    followup_id: Mapped[int | None] = mapped_column(Integer)
    intent: Mapped[str | None] = mapped_column(String(100))  # a bot message: what it understood
    confidence: Mapped[float | None] = mapped_column(Float)
    actor_id: Mapped[int | None] = mapped_column(Integer)  # a staff message: who wrote it
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class CoachFollowup(db.Model):
    __tablename__ = "coach_followups"
    __table_args__ = (
        Index("ix_coach_followups_due", "status", "due_at"),
        Index("ix_coach_followups_org_due", "org_id", "status", "due_at"),
        Index("ix_coach_followups_lead", "lead_id", "status"),
        Index("ix_coach_followups_conversation", "conversation_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    lead_id: Mapped[int] = mapped_column(ForeignKey("leads.id", ondelete="CASCADE"))
    conversation_id: Mapped[int] = mapped_column(
        ForeignKey("coach_conversations.id", ondelete="CASCADE")
    )
    kind: Mapped[str] = mapped_column(String(16), default="followup")
    due_at: Mapped[datetime] = mapped_column(UTCDateTime())
    status: Mapped[str] = mapped_column(String(16), default="pending")
    open_key: Mapped[str | None] = mapped_column(String(40), unique=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    error_class: Mapped[str | None] = mapped_column(String(40))
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    message_id: Mapped[int | None] = mapped_column(Integer)  # the ConversationMessage it produced
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


def open_key(kind: str, lead_id: int) -> str:
    """The `open_key` of a contact's open follow-up ("followup") or reply ("reply")."""
    return f"{kind}:{lead_id}"
