"""Emailing a weekly report to the workspace's owners, once per owner per report.

The email is rendered from `templates/reports/email.txt` and `email.html` (autoescaped)
and delivered through the email adapter (the local outbox by default). Who received it is
kept in `report.summary["emailed_to"]`, so regenerating a week never emails it again.
"""

from __future__ import annotations

from datetime import datetime
from urllib.parse import urlsplit

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import Session

from webapp.integrations.email import EmailMessageSpec, message_id, send_email
from webapp.models import ActivityLog, Membership, Organization, User, WeeklyReport
from webapp.services.activity import log_activity
from webapp.services.report_display import headline_cards, week_label
from webapp.services.reports import channel_label


def owners(session: Session, org_id: int) -> list[User]:
    return list(
        session.scalars(
            select(User)
            .join(Membership, Membership.user_id == User.id)
            .where(Membership.org_id == org_id, Membership.role == "owner")
            .order_by(User.id)
        )
    )


def report_url(report: WeeklyReport, public_url: str) -> str:
    """The report page's absolute address under the deployment's PUBLIC_URL."""
    parts = urlsplit(public_url)
    adapter = current_app.url_map.bind(
        parts.netloc or "127.0.0.1:8000",
        script_name=parts.path or "/",
        url_scheme=parts.scheme or "http",
    )
    return adapter.build("reports.show", {"report_id": report.id}, force_external=True)


def compose_report_email(
    org: Organization, report: WeeklyReport, owner: User, link: str
) -> EmailMessageSpec:
    """The weekly report email for one owner: subject, text and HTML parts, a stable Message-ID."""
    dates = week_label(report.week_start, report.week_end)
    top = (
        next(
            (c for c in report.summary.get("channels", []) if c["channel"] == report.top_channel),
            None,
        )
        if report.top_channel
        else None
    )
    context = {
        "org": org,
        "owner": owner,
        "report": report,
        "dates": dates,
        "cards": headline_cards(report),
        "top": top,
        "top_label": channel_label(report.top_channel) if report.top_channel else None,
        "link": link,
        "builtin": report.written_by.startswith("builtin"),
    }
    env = current_app.jinja_env  # autoescapes .html, not .txt
    return EmailMessageSpec(
        to=owner.email,
        subject=f"Your weekly marketing report: {dates}",
        text=env.get_template("reports/email.txt").render(context),
        html=env.get_template("reports/email.html").render(context),
        headers={"X-Autopilot-Report": str(report.id)},
        message_id=message_id("weekly-report", report.id, owner.id, domain=urlsplit(link).hostname),
    )


def email_report(
    session: Session, org: Organization, report: WeeklyReport, *, now: datetime, public_url: str
) -> list[str]:
    """Send the report to each owner who has not had it yet. Returns the addresses sent to."""
    summary = dict(report.summary or {})
    already = {address.lower() for address in summary.get("emailed_to", [])}
    link = report_url(report, public_url)
    sent: list[str] = []
    for owner in owners(session, org.id):
        if owner.email.lower() in already:
            continue
        send_email(
            session,
            org.id,
            compose_report_email(org, report, owner, link),
            purpose="weekly_report",
            now=now,
        )
        sent.append(owner.email.lower())
    if sent:
        summary["emailed_to"] = sorted(already | set(sent))
        summary["emailed_at"] = now.isoformat()
        report.summary = summary
        session.flush()
    return sent


def log_report_generated(
    session: Session,
    org: Organization,
    report: WeeklyReport,
    sent: list[str],
    *,
    now: datetime,
    actor_id: int | None = None,
) -> ActivityLog:
    """The activity row that explains a generated report, with its headline numbers."""
    dates = week_label(report.week_start, report.week_end)
    roi = "no spend" if report.roi is None else f"ROI {report.roi:.2f}×"
    emailed = f"; emailed to {len(sent)} owner{'s' if len(sent) != 1 else ''}" if sent else ""
    return log_activity(
        session,
        org,
        "report.generated",
        f"Weekly report for {dates}: {report.leads} leads, ${report.spend:,.2f} spent, "
        f"${report.revenue:,.2f} revenue, {roi}{emailed}.",
        now=now,
        entity=("weekly_report", report.id),
        details={
            "week_start": report.week_start.isoformat(),
            "leads": report.leads,
            "spend": str(report.spend),
            "revenue": str(report.revenue),
            "roi": None if report.roi is None else str(report.roi),
            "top_channel": report.top_channel,
            "written_by": report.written_by,
            "fallback_reason": (report.summary.get("ai") or {}).get("fallback_reason"),
            "emailed_to": sent,
        },
        actor_id=actor_id,
    )
