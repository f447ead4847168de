"""Addresses a workspace must not send to (bounced, complained, unsubscribed, added by hand),
and the provider events already acted on (webhooks and the bounce mailbox are idempotent on
them)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from webapp.core.extensions import db
from webapp.models.types import UTCDateTime

SUPPRESSION_CHANNELS = ("email", "sms", "whatsapp")
SUPPRESSION_REASONS = ("hard_bounce", "complaint", "unsubscribe", "manual")


class Suppression(db.Model):
    __tablename__ = "suppressions"
    # The unique constraint is the index `blocked` looks up (org, channel, address).
    __table_args__ = (
        UniqueConstraint("org_id", "channel", "address"),
        Index("ix_suppressions_org_created", "org_id", "created_at", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    channel: Mapped[str] = mapped_column(String(16))  # email | sms | whatsapp
    address: Mapped[str] = mapped_column(String(254))  # lower-cased email, or E.164
    reason: Mapped[str] = mapped_column(
        String(16)
    )  # hard_bounce | complaint | unsubscribe | manual
    detail: Mapped[str] = mapped_column(Text, default="")  # the SMTP answer, the provider event
    source: Mapped[str] = mapped_column(String(40), default="")  # smtp | mailbox | mailgun | …
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


class BounceEvent(db.Model):
    """A provider's bounce or complaint event (or a bounce mail) already handled."""

    __tablename__ = "bounce_events"
    __table_args__ = (UniqueConstraint("org_id", "provider", "event_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    provider: Mapped[str] = mapped_column(
        String(16)
    )  # ses | mailgun | postmark | sendgrid | mailbox
    event_id: Mapped[str] = mapped_column(String(255))
    outcome: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
