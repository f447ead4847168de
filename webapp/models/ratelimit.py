"""Hits counted by the one rate limiter (`webapp.services.accounts.limits`), shared by every
process: lead-form posts, failed sign-ins and API requests."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, String
from sqlalchemy.orm import Mapped, mapped_column

from webapp.core.extensions import db
from webapp.models.types import UTCDateTime


class RateLimitHit(db.Model):
    """One hit counted in a bucket such as "lead-form:ip:203.0.113.9".

    An event that counts in several buckets (a failed sign-in: its email and its address)
    is one row per bucket sharing `event`, so a limit over both buckets counts it once.
    """

    __tablename__ = "rate_limit_hits"
    __table_args__ = (
        Index("ix_rate_limit_hits_bucket_at", "bucket", "at"),
        Index("ix_rate_limit_hits_event", "event"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    bucket: Mapped[str] = mapped_column(String(320))
    event: Mapped[str] = mapped_column(String(32))
    at: Mapped[datetime] = mapped_column(UTCDateTime())
