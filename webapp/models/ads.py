"""An autopilot channel campaign linked to a campaign on an ad platform (Google Ads, Meta).

One link per campaign. `daily_budget_minor` is what the platform has (read back after every
push), in the account currency's minor units; `paused_month` is the month ("2026-12") in
which we paused the platform campaign because its month-to-date spend reached its budget.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from webapp.core.extensions import db
from webapp.models.types import UTCDateTime

AD_PROVIDERS = ("google_ads", "meta_ads")


class AdPlatformLink(db.Model):
    __tablename__ = "ad_platform_links"
    __table_args__ = (Index("ix_ad_platform_links_org_provider", "org_id", "provider"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    campaign_id: Mapped[int] = mapped_column(
        ForeignKey("campaigns.id", ondelete="CASCADE"), unique=True
    )
    provider: Mapped[str] = mapped_column(String(16))  # google_ads | meta_ads
    platform_campaign_id: Mapped[str] = mapped_column(String(64))
    platform_name: Mapped[str] = mapped_column(String(255))
    platform_status: Mapped[str] = mapped_column(String(32))
    currency: Mapped[str] = mapped_column(String(3))
    daily_budget_minor: Mapped[int] = mapped_column(default=0)
    paused_month: Mapped[str | None] = mapped_column(String(7))
    last_pull_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_push_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
