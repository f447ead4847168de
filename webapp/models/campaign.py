"""Campaigns, their tasks, daily performance and the history of their budgets."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import JSON, Date, ForeignKey, Index, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.core.extensions import db
from webapp.models.types import UTCDateTime

CHANNELS = (
    "email",
    "sms",
    "whatsapp",
    "google_ads",
    "meta_ads",
    "seo",
    "content",
    "referral",
    "events",
)


class Campaign(db.Model):
    __tablename__ = "campaigns"
    __table_args__ = (Index("ix_campaigns_org_status", "org_id", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(120))
    channel: Mapped[str] = mapped_column(String(32))
    kind: Mapped[str] = mapped_column(String(16), default="auto")  # auto | sequence
    auto_managed: Mapped[bool] = mapped_column(default=False)
    status: Mapped[str] = mapped_column(
        String(16), default="active"
    )  # draft | active | paused | completed
    monthly_budget: Mapped[Decimal] = mapped_column(Numeric(12, 2), default=Decimal("0"))
    budget_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    settings: Mapped[dict] = mapped_column(JSON, default=dict)
    # The marketing campaign this budget line is the paid-media part of, if any.
    marketing_campaign_id: Mapped[int | None] = mapped_column(
        ForeignKey("marketing_campaigns.id", ondelete="SET NULL"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())

    tasks: Mapped[list[CampaignTask]] = relationship(
        back_populates="campaign", cascade="all, delete-orphan", order_by="CampaignTask.position"
    )


class CampaignTask(db.Model):
    __tablename__ = "campaign_tasks"

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    campaign_id: Mapped[int] = mapped_column(
        ForeignKey("campaigns.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(default=0)
    title: Mapped[str] = mapped_column(String(200))
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    campaign: Mapped[Campaign] = relationship(back_populates="tasks")


class CampaignMetric(db.Model):
    """One campaign's results for one day (from CSV, the API, or our own sends and forms)."""

    __tablename__ = "campaign_metrics"
    __table_args__ = (
        UniqueConstraint("campaign_id", "day"),
        Index("ix_campaign_metrics_org_day", "org_id", "day"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"))
    day: Mapped[date] = mapped_column(Date)
    impressions: Mapped[int] = mapped_column(default=0)
    clicks: Mapped[int] = mapped_column(default=0)
    spend: Mapped[Decimal] = mapped_column(Numeric(12, 2), default=Decimal("0"))
    leads: Mapped[int] = mapped_column(default=0)
    conversions: Mapped[int] = mapped_column(default=0)
    revenue: Mapped[Decimal] = mapped_column(Numeric(12, 2), default=Decimal("0"))
    source: Mapped[str] = mapped_column(String(16), default="csv")  # csv | api | tracked | demo
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class BudgetChange(db.Model):
    __tablename__ = "budget_changes"
    __table_args__ = (Index("ix_budget_changes_campaign_at", "campaign_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"))
    before: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    after: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    rule: Mapped[str] = mapped_column(
        String(40)
    )  # initial | low_performance | high_performance | manual
    reason: Mapped[str] = mapped_column(Text)
    details: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
