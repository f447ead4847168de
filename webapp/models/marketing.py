"""Marketing campaigns by objective, and the workspace's brand (colours, logo, language,
postal address) that everything the product makes for it uses."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import JSON, Date, ForeignKey, Index, LargeBinary, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from webapp.core.extensions import db
from webapp.models.types import UTCDateTime

CAMPAIGN_TYPES = (
    "lead_generation",
    "brand_awareness",
    "client_retention",
    "re_engagement",
    "upsell",
    "referral",
)
CAMPAIGN_STATUSES = ("draft", "scheduled", "active", "paused", "completed", "archived")
LANGUAGES = ("en", "de")


class MarketingCampaign(db.Model):
    """A campaign with an objective; its assets, landing page and prediction hang off it,
    and the autopilot's per-channel budget campaigns (`campaigns.marketing_campaign_id`)
    are its paid-media part."""

    __tablename__ = "marketing_campaigns"
    __table_args__ = (
        Index("ix_marketing_campaigns_org_status", "org_id", "status"),
        Index("ix_marketing_campaigns_status_starts", "status", "starts_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(120))
    type: Mapped[str] = mapped_column(String(32))  # one of CAMPAIGN_TYPES
    objective: Mapped[str] = mapped_column(Text, default="")  # in the owner's words
    status: Mapped[str] = mapped_column(String(16), default="draft")  # CAMPAIGN_STATUSES
    starts_on: Mapped[date | None] = mapped_column(Date)
    ends_on: Mapped[date | None] = mapped_column(Date)
    budget: Mapped[Decimal] = mapped_column(Numeric(12, 2), default=Decimal("0"))
    channels: Mapped[list] = mapped_column(JSON, default=list)  # planned channels
    settings: Mapped[dict] = mapped_column(JSON, default=dict)  # offer, audience notes …
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class BrandProfile(db.Model):
    """One per workspace; absent means the defaults of `services/marketing/brief.py`."""

    __tablename__ = "brand_profiles"

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), unique=True
    )
    primary_color: Mapped[str] = mapped_column(String(7), default="#1d4ed8")  # "#rrggbb"
    accent_color: Mapped[str] = mapped_column(String(7), default="#f59e0b")
    language: Mapped[str] = mapped_column(String(8), default="en")  # one of LANGUAGES
    logo: Mapped[bytes | None] = mapped_column(LargeBinary)  # PNG, at most 512 KB
    logo_mime: Mapped[str | None] = mapped_column(String(40))
    postal_address: Mapped[str] = mapped_column(Text, default="")  # mail footers (CAN-SPAM)
    website: Mapped[str] = mapped_column(String(300), default="")
    phone: Mapped[str] = mapped_column(String(40), default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
