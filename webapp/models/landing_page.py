"""Landing pages: a campaign's public page built from sections, and its daily counters."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Date, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from webapp.core.extensions import db
from webapp.models.types import UTCDateTime

PAGE_STATUSES = ("draft", "published")


class LandingPage(db.Model):
    __tablename__ = "landing_pages"
    __table_args__ = (
        UniqueConstraint("org_id", "slug"),
        Index("ix_landing_pages_org_campaign", "org_id", "marketing_campaign_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    marketing_campaign_id: Mapped[int | None] = mapped_column(
        ForeignKey("marketing_campaigns.id", ondelete="SET NULL")
    )
    slug: Mapped[str] = mapped_column(String(60))  # unique within the workspace
    title: Mapped[str] = mapped_column(String(120))
    language: Mapped[str] = mapped_column(String(8), default="en")
    # {"hero": {...}, "benefits": {...}, "testimonials": {...}, "faq": {...}, "form": {...}}
    sections: Mapped[dict] = mapped_column(JSON, default=dict)
    variation: Mapped[int] = mapped_column(default=0)  # which draft of the copy writer
    status: Mapped[str] = mapped_column(String(16), default="draft")  # PAGE_STATUSES
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class LandingPageDay(db.Model):
    """Views and form submissions of one page on one day (UTC). A narrow row per day, not
    two counters on the page: a view then never rewrites the page's wide row (its sections
    JSON) nor waits on an owner saving it, and the days give the history for free."""

    __tablename__ = "landing_page_days"

    page_id: Mapped[int] = mapped_column(
        ForeignKey("landing_pages.id", ondelete="CASCADE"), primary_key=True
    )
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    views: Mapped[int] = mapped_column(default=0)
    form_submissions: Mapped[int] = mapped_column(default=0)
