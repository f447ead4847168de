"""Events: what a contact did (`order.placed`, `cart.abandoned`, `email.clicked` …).

Events come from the API (`POST /api/v1/events`) and from the product's own happenings
(a lead captured, a mail opened or clicked, an unsubscribe, an SMS reply, a form post).
They are the facts segments count and workflows wait for, so they are append-only: one
row per (workspace, message id) — a repeated message id is the same event, not a new one.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from webapp.core.extensions import db
from webapp.models.types import UTCDateTime

EVENT_SOURCES = ("api", "product")


class Event(db.Model):
    __tablename__ = "events"
    __table_args__ = (
        # De-duplication: the sender's message id (or one we derive) is unique per workspace.
        UniqueConstraint("org_id", "message_id"),
        # "did X at least N times in the last D days" for one contact, and a contact's timeline.
        Index("ix_events_org_lead_name_at", "org_id", "lead_id", "name", "occurred_at"),
        # "who did X in the last D days" for a whole segment.
        Index("ix_events_org_name_at", "org_id", "name", "occurred_at"),
        # Retention pruning walks by arrival.
        Index("ix_events_org_received", "org_id", "received_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    lead_id: Mapped[int] = mapped_column(ForeignKey("leads.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(100))
    properties: Mapped[dict] = mapped_column(JSON, default=dict)
    message_id: Mapped[str] = mapped_column(String(200))
    source: Mapped[str] = mapped_column(String(16), default="api")  # EVENT_SOURCES
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime())  # when it happened
    received_at: Mapped[datetime] = mapped_column(UTCDateTime())  # when we stored it
