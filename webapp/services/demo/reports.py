"""`autopilot demo`: weekly reports of the demo workspace's recent weeks, so the Reports page
has a latest report and a history to show from the first sign-in."""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import Session

from webapp.models import CampaignMetric, Organization
from webapp.services.ai import BUILTIN_MODEL
from webapp.services.reporting import (
    Insights,
    builtin_insights,
    gather_facts,
    last_complete_week,
    log_report_generated,
    queue_report_emails,
    save_report,
)

DEMO_WEEKS = 8


def add_demo_reports(session: Session, org: Organization, now: datetime) -> None:
    """The last 8 complete weeks, written by the built-in writer (no AI cost), the latest
    emailed to the owners (once). Idempotent: rebuilding a week updates its row.

    The emails are queued (`reporting.email` jobs) in the caller's transaction, and its
    activity row says so; the caller runs them after its commit (`send_report_emails`).

    Reports only on results that exist, so `fill_demo_workspace` runs it after the
    campaigns; without results it does nothing rather than fill the history with empty weeks.
    """
    if (
        session.scalar(select(CampaignMetric.id).where(CampaignMetric.org_id == org.id).limit(1))
        is None
    ):
        return
    latest = last_complete_week(org, now)
    report = None
    for weeks_back in range(DEMO_WEEKS - 1, -1, -1):
        facts = gather_facts(session, org, latest - timedelta(weeks=weeks_back), now)
        words = builtin_insights(facts)
        insights = Insights(words["insights"], words["recommendations"], "builtin", BUILTIN_MODEL)
        report = save_report(session, org, facts, insights, now)
    public_url = current_app.config["PUBLIC_URL"]
    waiting = queue_report_emails(session, org, report, now=now, public_url=public_url)
    log_report_generated(session, org, report, [], now=now, queued=len(waiting))
