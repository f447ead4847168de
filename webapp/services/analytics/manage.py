"""Defining reports: create from a template or from scratch, change, delete. Every change
is checked here (the form and the API get the same errors, by field) and logged."""

from __future__ import annotations

from datetime import datetime

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import select
from sqlalchemy.orm import Session

from webapp.models import CHANNELS, REPORT_SCHEDULES, REPORT_TYPES, AnalyticsReport
from webapp.services.activity import log_activity
from webapp.services.analytics.catalogue import (
    DIMENSIONS,
    MAX_DIMENSIONS,
    MAX_RECIPIENTS,
    METRICS,
    TEMPLATES,
)


class ReportInvalid(ValueError):
    """A report definition that cannot be saved; `field` names the form field."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def list_reports(session: Session, org_id: int) -> list[AnalyticsReport]:
    return list(
        session.scalars(
            select(AnalyticsReport)
            .where(AnalyticsReport.org_id == org_id)
            .order_by(AnalyticsReport.name, AnalyticsReport.id)
        )
    )


def template_fields(key: str) -> dict | None:
    """A template's fields for the new-report form (recipients left to the owner)."""
    template = TEMPLATES.get(key)
    if template is None:
        return None
    return {k: v for k, v in template.items() if k != "about"} | {"recipients": [], "send_hour": 7}


def parse_recipients(text: str) -> list[str]:
    """Addresses separated by commas, semicolons or lines, normalised and de-duplicated."""
    raw = [part.strip() for part in text.replace(";", ",").replace("\n", ",").split(",")]
    out: list[str] = []
    for value in filter(None, raw):
        try:
            address = validate_email(value, check_deliverability=False).normalized.lower()
        except EmailNotValidError as exc:
            raise ReportInvalid("recipients", f"{value!r} is not an email address: {exc}") from exc
        if address not in out:
            out.append(address)
    return out


def check(fields: dict) -> dict:
    """The clean definition. Raises ReportInvalid naming the first bad field."""
    name = " ".join(str(fields.get("name") or "").split())
    if not name:
        raise ReportInvalid("name", "Give the report a name.")
    if len(name) > 120:
        raise ReportInvalid("name", "Keep the name under 120 characters.")
    if fields.get("report_type") not in REPORT_TYPES:
        raise ReportInvalid("report_type", "Choose sales, traffic, conversion or engagement.")
    if fields.get("schedule") not in REPORT_SCHEDULES:
        raise ReportInvalid("schedule", "Choose daily, weekly or monthly.")
    metrics = [m for m in fields.get("metrics") or [] if m]
    if not metrics:
        raise ReportInvalid("metrics", "Choose at least one metric.")
    if unknown := [m for m in metrics if m not in METRICS]:
        raise ReportInvalid("metrics", f"Unknown metric: {', '.join(unknown)}.")
    dimensions = [d for d in fields.get("dimensions") or [] if d]
    if unknown := [d for d in dimensions if d not in DIMENSIONS]:
        raise ReportInvalid("dimensions", f"Unknown dimension: {', '.join(unknown)}.")
    if len(dimensions) > MAX_DIMENSIONS:
        raise ReportInvalid("dimensions", f"Choose at most {MAX_DIMENSIONS} dimensions.")
    channel = fields.get("channel") or ""
    if channel and channel not in CHANNELS:
        raise ReportInvalid("channel", "Choose one of the channels, or all channels.")
    recipients = fields.get("recipients") or []
    if isinstance(recipients, str):
        recipients = parse_recipients(recipients)
    if not recipients:
        raise ReportInvalid("recipients", "Add at least one email address to send it to.")
    if len(recipients) > MAX_RECIPIENTS:
        raise ReportInvalid("recipients", f"At most {MAX_RECIPIENTS} recipients.")
    hour = fields.get("send_hour", 7)
    if not isinstance(hour, int) or not 0 <= hour <= 23:
        raise ReportInvalid("send_hour", "Choose an hour from 0 to 23.")
    return {
        "name": name,
        "report_type": fields["report_type"],
        "schedule": fields["schedule"],
        "metrics": list(dict.fromkeys(metrics)),
        "dimensions": list(dict.fromkeys(dimensions)),
        "filters": {"channel": channel} if channel else {},
        "recipients": recipients,
        "send_hour": hour,
    }


def create_report(
    session: Session, org_id: int, fields: dict, *, actor_id: int | None, now: datetime
) -> AnalyticsReport:
    """Save a new report. Raises ReportInvalid."""
    clean = check(fields)
    report = AnalyticsReport(org_id=org_id, created_at=now, updated_at=now, **clean)
    session.add(report)
    session.flush()
    _log(session, report, "created", actor_id, now)
    return report


def update_report(
    session: Session, report: AnalyticsReport, fields: dict, *, actor_id: int | None, now: datetime
) -> AnalyticsReport:
    """Change a report's definition. Raises ReportInvalid."""
    for key, value in check(fields).items():
        setattr(report, key, value)
    report.updated_at = now
    session.flush()
    _log(session, report, "changed", actor_id, now)
    return report


def delete_report(
    session: Session, report: AnalyticsReport, *, actor_id: int | None, now: datetime
) -> None:
    _log(session, report, "deleted", actor_id, now)
    session.delete(report)
    session.flush()


def _log(session, report: AnalyticsReport, verb: str, actor_id, now) -> None:
    log_activity(
        session,
        report.org_id,
        f"analytics.report_{verb}",
        f"Analytics report {report.name} {verb} ({report.schedule}, "
        f"{len(report.metrics)} metrics, {len(report.recipients)} recipients).",
        now=now,
        entity=("analytics_report", report.id),
        details={"metrics": report.metrics, "dimensions": report.dimensions},
        actor_id=actor_id,
    )
