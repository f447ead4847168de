"""The chatbot: a workspace's settings and facts, its intents, and its trained classifier.

Conversations and their messages are the coach's models (webapp/models/coach.py): one thread
model for every channel, whoever answers in it.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    JSON,
    Boolean,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from webapp.core.extensions import db
from webapp.models.types import UTCDateTime

# What an intent may do besides answering (services/chat/actions.py).
CHAT_ACTIONS = ("capture_lead", "lead_status", "callback", "start_workflow", "handover")


class ChatSettings(db.Model):
    """One per workspace. `widget_key` names the workspace in the widget's script tag (public;
    it grants nothing but starting a chat). The facts are what the bot may say; it never
    says what is not written here, in the brand profile or the business description."""

    __tablename__ = "chat_settings"

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), unique=True
    )
    widget_key: Mapped[str] = mapped_column(String(32), unique=True)
    web_enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    sms_enabled: Mapped[bool] = mapped_column(Boolean, default=False)
    whatsapp_enabled: Mapped[bool] = mapped_column(Boolean, default=False)
    widget_title: Mapped[str] = mapped_column(String(60), default="Chat with us")
    opening_hours: Mapped[str] = mapped_column(Text, default="")
    pricing: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ChatIntent(db.Model):
    """What visitors may mean: example phrases, the answers (given in turn: `next_response`)
    and the actions. `role` marks the intents the bot's rules know: "out_of_scope" (a
    misunderstanding), "handover" (asks for a person), "complaint"; None for the others."""

    __tablename__ = "chat_intents"
    __table_args__ = (UniqueConstraint("org_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(100))
    description: Mapped[str] = mapped_column(Text, default="")
    role: Mapped[str | None] = mapped_column(String(20))
    training_phrases: Mapped[list] = mapped_column(JSON, default=list)
    responses: Mapped[list] = mapped_column(JSON, default=list)
    actions: Mapped[list] = mapped_column(JSON, default=list)  # names from CHAT_ACTIONS
    workflow_id: Mapped[int | None] = mapped_column(
        ForeignKey("workflows.id", ondelete="SET NULL")
    )  # the "start_workflow" action's
    next_response: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ChatModel(db.Model):
    """A workspace's trained classifier (pickled scikit-learn pipeline), keyed by the hash
    of the intents it was trained on: a different hash means it is stale (retrained lazily)."""

    __tablename__ = "chat_models"

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), unique=True
    )
    intents_hash: Mapped[str] = mapped_column(String(64))
    model: Mapped[bytes] = mapped_column(LargeBinary)
    trained_at: Mapped[datetime] = mapped_column(UTCDateTime())
