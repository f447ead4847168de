"""Broadcasts: one message to a segment or to every subscribed contact, now or at a time.

A broadcast's message is sent by the sequence dispatcher, so it owns a Campaign with
kind="broadcast" and one SequenceStep (the message); each recipient is an Enrollment with
one Send and one queue job, exactly like a sequence's first step. This row keeps what a
sequence has no place for: the audience, the schedule, the life cycle and the conversion
window.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from webapp.core.extensions import db
from webapp.models.types import UTCDateTime

# draft → scheduled → sending ⇄ paused → sent; draft/scheduled/sending/paused → cancelled
BROADCAST_STATUSES = ("draft", "scheduled", "sending", "paused", "sent", "cancelled")


class Broadcast(db.Model):
    __tablename__ = "broadcasts"
    __table_args__ = (
        Index("ix_broadcasts_org_created", "org_id", "created_at"),
        Index("ix_broadcasts_status_scheduled", "status", "scheduled_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(120))
    # "all" (every subscribed contact) or "segment"; a deleted segment leaves segment_id
    # NULL, and such a broadcast refuses to start rather than go to everyone.
    audience: Mapped[str] = mapped_column(String(16), default="all")
    segment_id: Mapped[int | None] = mapped_column(ForeignKey("segments.id", ondelete="SET NULL"))
    status: Mapped[str] = mapped_column(String(16), default="draft")
    scheduled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    recipients: Mapped[int] = mapped_column(Integer, default=0)  # set when it starts
    # A conversion: an event of this name (any event when empty) within N days of a click.
    conversion_days: Mapped[int] = mapped_column(Integer, default=7)
    conversion_event: Mapped[str] = mapped_column(String(100), default="")
    note: Mapped[str | None] = mapped_column(Text)  # why it stopped, for its page
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
