"""Health alerts: one row per episode of a condition (queue backed up, failure rate, AI cost
spike, delivery rate) in a workspace, from first seen to resolved.

`open_kind` is the kind while the alert is open and NULL once resolved, so the unique
(org_id, open_kind) pair allows one open alert per kind and any number of resolved ones
(NULLs never collide, on SQLite and PostgreSQL alike).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from webapp.core.extensions import db
from webapp.models.types import UTCDateTime

ALERT_KINDS = ("queue_backed_up", "failure_rate", "ai_cost_spike", "delivery_rate")
ALERT_STATUSES = ("open", "resolved")


class HealthAlert(db.Model):
    __tablename__ = "health_alerts"
    __table_args__ = (
        UniqueConstraint("org_id", "open_kind"),
        Index("ix_health_alerts_status_org", "status", "org_id"),
        Index("ix_health_alerts_org_first_seen", "org_id", "first_seen_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(16), default="open")
    open_kind: Mapped[str | None] = mapped_column(String(40))
    first_seen_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime())
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    notified_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    detail: Mapped[dict] = mapped_column(JSON, default=dict)
