"""Scheduled reports: which are due, and computing one report once for its period.

The claim is one statement, `INSERT … ON CONFLICT (report_id, period) DO NOTHING
RETURNING id`, so however many processes tick, one of them computes (and emails) a
report's period; the others get nothing back and move on."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from webapp.core.db import dialect_insert
from webapp.models import AnalyticsReport, AnalyticsReportRun, Organization
from webapp.services.activity import log_activity
from webapp.services.analytics import periods
from webapp.services.analytics.compute import figures
from webapp.services.analytics.periods import Period


def due_reports(
    session: Session, now: datetime, org_id: int | None = None
) -> Iterator[tuple[AnalyticsReport, str, Period]]:
    """(report, workspace zone, period) for each report whose period is due and not yet run."""
    stmt = (
        select(AnalyticsReport, Organization.timezone)
        .join(Organization, Organization.id == AnalyticsReport.org_id)
        .order_by(AnalyticsReport.id)
    )
    if org_id is not None:
        stmt = stmt.where(AnalyticsReport.org_id == org_id)
    rows = session.execute(stmt).all()
    done = {
        (report_id, key)
        for report_id, key in session.execute(
            select(AnalyticsReportRun.report_id, AnalyticsReportRun.period).where(
                AnalyticsReportRun.report_id.in_([r.id for r, _tz in rows])
            )
        )
    }
    for report, tz in rows:
        period = periods.due(report.schedule, now, tz or "UTC", report.send_hour)
        if period is not None and (report.id, period.key) not in done:
            yield report, tz or "UTC", period


def claim_run(
    session: Session, report: AnalyticsReport, period: Period, *, now: datetime
) -> AnalyticsReportRun | None:
    """Insert the report's run row for `period`; None when another process has it."""
    insert = dialect_insert(session)
    stmt = (
        insert(AnalyticsReportRun)
        .values(
            org_id=report.org_id,
            report_id=report.id,
            period=period.key,
            period_start=period.start,
            period_end=period.end,
            figures={},
            emailed_to=[],
            created_at=now,
        )
        .on_conflict_do_nothing(index_elements=["report_id", "period"])
        .returning(AnalyticsReportRun.id)
    )
    run_id = session.execute(stmt).scalar_one_or_none()
    return None if run_id is None else session.get(AnalyticsReportRun, run_id)


def generate_run(
    session: Session,
    report: AnalyticsReport,
    tz: str,
    period: Period,
    *,
    now: datetime,
    actor_id: int | None = None,
) -> AnalyticsReportRun | None:
    """Claim and compute one report's period, in the caller's transaction. Returns the run,
    or None when this period was already claimed."""
    run = claim_run(session, report, period, now=now)
    if run is None:
        return None
    run.figures = figures(session, report, period, tz)
    report.last_generated_at = now
    session.flush()
    log_activity(
        session,
        report.org_id,
        "analytics.report_generated",
        f"Analytics report {report.name} for {period.label} computed; emailing "
        f"{len(report.recipients)} recipient{'s' if len(report.recipients) != 1 else ''}.",
        now=now,
        entity=("analytics_report", report.id),
        details={"period": period.key, "totals": run.figures["totals"]},
        actor_id=actor_id,
    )
    return run


def latest_runs(session: Session, report: AnalyticsReport, limit: int = 10):
    return list(
        session.scalars(
            select(AnalyticsReportRun)
            .where(
                AnalyticsReportRun.org_id == report.org_id,
                AnalyticsReportRun.report_id == report.id,
            )
            .order_by(AnalyticsReportRun.period_start.desc())
            .limit(limit)
        )
    )
