"""The WhatsApp coach: a workspace's settings, its conversations, every message, and the
follow-ups it has scheduled.

A follow-up is one message to write and send at `due_at`: kind "followup" (the regular
coaching message, by frequency and window) or "reply" (an answer to an incoming message).
`open_key` ("followup:<lead>" or "reply:<lead>") is set while a follow-up is pending or
processing and cleared when it finishes: its unique index keeps at most one open follow-up
of each kind per contact, whatever runs concurrently.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from webapp.extensions import db
from webapp.models.types import UTCDateTime

COACH_AUDIENCES = ("all_contacts", "new_leads", "qualified")
COACH_FREQUENCIES = ("daily", "three_per_week", "weekly")
CONVERSATION_STATUSES = ("active", "opted_out", "stopped")
FOLLOWUP_KINDS = ("followup", "reply")
FOLLOWUP_STATUSES = ("pending", "processing", "sent", "skipped", "failed")


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
    """The coach's WhatsApp thread with one contact. `lease_*`: the worker processing it."""

    __tablename__ = "coach_conversations"
    __table_args__ = (
        UniqueConstraint("org_id", "lead_id"),
        Index("ix_coach_conversations_org_last", "org_id", "last_message_at", "id"),
        Index("ix_coach_conversations_lead", "lead_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    lead_id: Mapped[int] = mapped_column(ForeignKey("leads.id", ondelete="CASCADE"))
    phone: Mapped[str] = mapped_column(String(32), default="")
    status: Mapped[str] = mapped_column(String(16), default="active")
    status_reason: Mapped[str | None] = mapped_column(Text)
    last_inbound_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_outbound_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_message_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_preview: Mapped[str] = mapped_column(String(200), default="")
    message_count: Mapped[int] = mapped_column(Integer, default=0)
    lease_owner: Mapped[str | None] = mapped_column(String(80))
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
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
    kind: Mapped[str | None] = mapped_column(String(16))  # out: followup | reply
    provider: Mapped[str | None] = mapped_column(String(16))  # twilio | outbox (out), twilio (in)
    provider_sid: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(
        String(16), default="sent"
    )  # received | sent | delivered | failed
    ai_provider: Mapped[str | None] = mapped_column(String(16))  # builtin | openai
    followup_id: Mapped[int | None] = mapped_column(Integer)
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
    lease_owner: Mapped[str | None] = mapped_column(String(80))
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    message_id: Mapped[int | None] = mapped_column(Integer)  # the ConversationMessage it produced
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


def open_key(kind: str, lead_id: int) -> str:
    """The `open_key` of a contact's open follow-up ("followup") or reply ("reply")."""
    return f"{kind}:{lead_id}"
