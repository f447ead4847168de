"""Analytics reports a workspace defines (what to measure, by what, for whom, how often)
and their runs: one row per report and period, the guard that a scheduled report is
computed and emailed once per period however many processes tick."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Date, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from webapp.core.extensions import db
from webapp.models.types import UTCDateTime

REPORT_TYPES = ("sales", "traffic", "conversion", "engagement")
REPORT_SCHEDULES = ("daily", "weekly", "monthly")


class AnalyticsReport(db.Model):
    __tablename__ = "analytics_reports"
    __table_args__ = (Index("ix_analytics_reports_org", "org_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(120))
    report_type: Mapped[str] = mapped_column(String(16))  # REPORT_TYPES
    schedule: Mapped[str] = mapped_column(String(16))  # REPORT_SCHEDULES
    metrics: Mapped[list] = mapped_column(JSON, default=list)  # metric keys, in order
    dimensions: Mapped[list] = mapped_column(JSON, default=list)  # dimension keys
    filters: Mapped[dict] = mapped_column(JSON, default=dict)  # {"channel": "email"}
    recipients: Mapped[list] = mapped_column(JSON, default=list)  # email addresses
    send_hour: Mapped[int] = mapped_column(default=7)  # local hour the email goes out
    last_generated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class AnalyticsReportRun(db.Model):
    __tablename__ = "analytics_report_runs"
    __table_args__ = (UniqueConstraint("report_id", "period"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    report_id: Mapped[int] = mapped_column(ForeignKey("analytics_reports.id", ondelete="CASCADE"))
    period: Mapped[str] = mapped_column(String(16))  # 2026-12-02 | 2026-W48 | 2026-11
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)  # inclusive
    figures: Mapped[dict] = mapped_column(JSON, default=dict)
    emailed_to: Mapped[list] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
