"""Shared state of the resilience layer: one circuit breaker (and health record) per
workspace and provider, and token buckets for pacing sends."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Float, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from webapp.core.extensions import db
from webapp.models.types import UTCDateTime


class CircuitBreaker(db.Model):
    """closed → (5 consecutive failures) → open → (after 60 s) half_open → one trial call;
    held: the provider refused us (sign-in, TLS, relaying), 5 min doubling to 1 h, lifted
    at once by new settings (services/connections/holds.py).

    Also the integration's health record: last success, last failure and its class, and how
    long the last call took. `org_id` 0 means the deployment-wide credentials.
    """

    __tablename__ = "circuit_breakers"
    __table_args__ = (UniqueConstraint("org_id", "provider"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(Integer, default=0)
    provider: Mapped[str] = mapped_column(String(32))  # smtp | twilio | openai | …
    state: Mapped[str] = mapped_column(String(16), default="closed")
    consecutive_failures: Mapped[int] = mapped_column(default=0)
    opened_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    retry_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    trial_owner: Mapped[str | None] = mapped_column(String(120))
    last_success_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_failure_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_error_class: Mapped[str | None] = mapped_column(String(40))
    last_error: Mapped[str | None] = mapped_column(Text)
    last_duration_ms: Mapped[int | None] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class TokenBucket(db.Model):
    """A token bucket for "N per minute" pacing, shared by every process."""

    __tablename__ = "token_buckets"

    key: Mapped[str] = mapped_column(String(120), primary_key=True)
    tokens: Mapped[float] = mapped_column(Float)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
