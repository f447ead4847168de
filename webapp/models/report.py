"""Weekly reports and the local outbox of messages."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import JSON, Date, ForeignKey, Index, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from webapp.core.extensions import db
from webapp.models.types import UTCDateTime


class WeeklyReport(db.Model):
    __tablename__ = "weekly_reports"
    __table_args__ = (UniqueConstraint("org_id", "week_start"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    week_start: Mapped[date] = mapped_column(Date)  # Monday, in the workspace's zone
    week_end: Mapped[date] = mapped_column(Date)  # Sunday
    leads: Mapped[int] = mapped_column(default=0)
    spend: Mapped[Decimal] = mapped_column(Numeric(12, 2), default=Decimal("0"))
    revenue: Mapped[Decimal] = mapped_column(Numeric(12, 2), default=Decimal("0"))
    roi: Mapped[Decimal | None] = mapped_column(Numeric(12, 4))  # None when nothing was spent
    top_channel: Mapped[str | None] = mapped_column(String(32))
    summary: Mapped[dict] = mapped_column(
        JSON, default=dict
    )  # per channel, per day, week-over-week
    insights: Mapped[list] = mapped_column(JSON, default=list)
    recommendations: Mapped[list] = mapped_column(JSON, default=list)
    written_by: Mapped[str] = mapped_column(String(80), default="builtin")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class OutboxMessage(db.Model):
    """A message as the recipient sees it. With no provider configured, this is delivery."""

    __tablename__ = "outbox_messages"
    __table_args__ = (Index("ix_outbox_messages_org_created", "org_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int | None] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    channel: Mapped[str] = mapped_column(String(16))  # email | sms | whatsapp
    to: Mapped[str] = mapped_column(String(254))
    sender: Mapped[str] = mapped_column(String(254), default="")
    subject: Mapped[str] = mapped_column(String(300), default="")
    body_text: Mapped[str] = mapped_column(Text, default="")
    body_html: Mapped[str | None] = mapped_column(Text)
    headers: Mapped[dict] = mapped_column(JSON, default=dict)
    message_id: Mapped[str | None] = mapped_column(String(200), index=True)
    purpose: Mapped[str] = mapped_column(
        String(40), default=""
    )  # weekly_report | sequence | coach …
    test_mode: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
