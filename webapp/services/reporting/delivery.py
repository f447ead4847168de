"""Emailing a weekly report to the workspace's owners, once per owner per report.

Each owner's email is a job of the work engine (`reporting.email`, keyed
`report:<id>:owner:<user id>`): queued in the transaction that saves the report, run right
after its commit, and retried with backoff when the mail server is down (the classes in
`queue.RETRYABLE`, 5 attempts; an open circuit breaker defers it without spending one).
The email is rendered from `templates/reports/email.txt` and `email.html` (autoescaped)
and delivered through the one email path (the local outbox by default; SMTP under the
workspace's circuit breaker when configured). Who received it is kept in
`report.summary["emailed_to"]` (written by the job's outcome), so regenerating a week
never emails it again.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

from flask import current_app
from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from webapp import queue
from webapp.integrations.email import EmailMessageSpec, message_id
from webapp.integrations.resilience import CircuitOpen, IntegrationError
from webapp.models import ActivityLog, Membership, Organization, User, WeeklyReport
from webapp.models.queue import QueuedJob
from webapp.queue import Done, Failed, JobContext, Outcome, RetryAt
from webapp.services.activity import log_activity
from webapp.services.connections import send_email, sender_domain
from webapp.services.marketing import EmailLayout, layout_for
from webapp.services.reporting.display import headline_cards, week_label
from webapp.services.reporting.figures import channel_label

log = logging.getLogger(__name__)

EMAIL_KIND = "reporting.email"
MAX_ATTEMPTS = 5


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
    org: Organization, report: WeeklyReport, owner: User, link: str, *, layout: EmailLayout
) -> EmailMessageSpec:
    """The weekly report email for one owner: subject, text and HTML parts (the body in the
    workspace's email frame, `layout`), a Message-ID the same on every attempt, on the
    sender's domain."""
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
    subject = f"Your weekly marketing report: {dates}"
    writer = "the built-in planner" if context["builtin"] else report.written_by
    note = (
        f"Written by {writer} from your campaign results and leads. You receive this email "
        f"because you own the workspace {org.name} in Marketing Autopilot."
    )
    return EmailMessageSpec(
        to=owner.email,
        subject=subject,
        text=env.get_template("reports/email.txt").render(context),
        html=layout.wrap(
            env.get_template("reports/email.html").render(context), subject=subject, note=note
        ),
        headers={
            "X-Autopilot-Report": str(report.id),
            "Auto-Submitted": "auto-generated",  # RFC 3834: no vacation replies to it
            "Feedback-ID": f"{report.id}:{org.id}:report:autopilot",
        },
        # The same on every attempt; keyed, so it names neither the report nor the owner.
        message_id=message_id(
            "weekly-report",
            report.id,
            report.created_at.isoformat(),
            owner.id,
            domain=sender_domain(org.id),
        ),
    )


def queue_report_emails(
    session: Session, org: Organization, report: WeeklyReport, *, now: datetime, public_url: str
) -> list[int]:
    """Queue the report's email for each owner who has not had it yet, in the caller's
    transaction. Returns the ids of the jobs still to run (`send_report_emails` runs them
    after the caller's commit).

    One job per (report, owner) ever: its key `report:<id>:owner:<user id>` makes a second
    submit — a regenerated week, a re-run job — add nothing."""
    already = {address.lower() for address in (report.summary or {}).get("emailed_to", [])}
    waiting: list[int] = []
    for owner in owners(session, org.id):
        if owner.email.lower() in already:
            continue
        job, _created = queue.submit(
            session,
            EMAIL_KIND,
            {"report_id": report.id, "owner_id": owner.id, "public_url": public_url},
            key=f"report:{report.id}:owner:{owner.id}",
            now=now,
            org_id=org.id,
        )
        if job.status == "pending":
            waiting.append(job.id)
    return waiting


@dataclass(frozen=True)
class EmailsSent:
    """What a run of report-email jobs did: the addresses emailed (of the ids asked for)
    and the engine's counts."""

    to: list[str]
    worked: queue.WorkResult


def send_report_emails(
    engine: Engine,
    *,
    owner: str,
    clock: Callable[[], datetime],
    org_id: int | None = None,
    job_ids: list[int] | None = None,
    deadline: float | None = None,
) -> EmailsSent:
    """Run the due report-email jobs (these ids, else every due one of the workspace, or of
    all workspaces) with no transaction of the caller's open. Returns who was emailed."""
    if job_ids is not None and not job_ids:
        return EmailsSent([], queue.WorkResult())
    where = [] if job_ids is None else [QueuedJob.id.in_(job_ids)]
    worked = queue.run_due(
        engine,
        kinds=[EMAIL_KIND],
        owner=owner,
        clock=clock,
        org_id=org_id,
        where=where,
        deadline=deadline,
        batch_size=10,
    )
    sent: list[str] = []
    if job_ids:
        with Session(engine) as session:
            results = session.scalars(
                select(QueuedJob.result).where(
                    QueuedJob.id.in_(job_ids), QueuedJob.status == "completed"
                )
            )
            sent = sorted((result or {})["to"] for result in results if (result or {}).get("to"))
    return EmailsSent(sent, worked)


@queue.register(EMAIL_KIND, max_attempts=MAX_ATTEMPTS, retryable=queue.RETRYABLE)
def send_report_email(job: QueuedJob, ctx: JobContext) -> Outcome:
    """Email one owner one report; its outcome adds the address to `emailed_to`.

    Rendering needs the Flask app context: the worker runs in its caller's. The reads end
    before the mail server is called, and the send commits its outbox row alone (no write
    transaction is open), so the circuit breaker's short transactions never wait for ours."""
    payload = job.payload
    report = ctx.session.get(WeeklyReport, payload["report_id"])
    owner = ctx.session.get(User, payload["owner_id"])
    if report is None or owner is None:
        return Done({"skipped": "the report or its owner is gone"})
    address = owner.email.lower()
    if address in {a.lower() for a in (report.summary or {}).get("emailed_to", [])}:
        return Done({"skipped": "already emailed"})
    org = ctx.session.get(Organization, report.org_id)
    link = report_url(report, payload["public_url"])
    layout = layout_for(ctx.session, org, payload["public_url"])
    spec = compose_report_email(org, report, owner, link, layout=layout)
    ctx.session.rollback()  # the reads end here
    try:
        send_email(ctx.session.get_bind(), job.org_id, spec, purpose="weekly_report", now=ctx.now())
    except CircuitOpen as exc:  # not a failure: try again when the breaker lets calls through
        return RetryAt(exc.retry_at, f"{exc.error_class}: {exc}")
    except IntegrationError as exc:
        log.warning("report %s email failed: %s", payload["report_id"], exc.error_class)
        return Failed(str(exc), str(exc.error_class), retry_after=exc.retry_after)

    def record(session: Session) -> None:
        _record_emailed(session, payload["report_id"], address, now=ctx.now())

    return Done({"to": address}, apply=record)


def _record_emailed(session: Session, report_id: int, address: str, *, now: datetime) -> None:
    """Add `address` to the report's `emailed_to` (the row locked: two owners' jobs may
    record at once on PostgreSQL)."""
    report = session.get(WeeklyReport, report_id, with_for_update=True)
    if report is None:
        return
    summary = dict(report.summary or {})
    summary["emailed_to"] = sorted({*summary.get("emailed_to", []), address})
    summary["emailed_at"] = now.isoformat()
    report.summary = summary


def log_report_generated(
    session: Session,
    org: Organization,
    report: WeeklyReport,
    sent: list[str],
    *,
    now: datetime,
    actor_id: int | None = None,
    queued: int = 0,
) -> ActivityLog:
    """The activity row that explains a generated report, with its headline numbers: whom
    it was emailed to (`sent`, what the jobs actually sent), or for how many owners its
    email is still queued (`queued`, when the row is written before the jobs run)."""
    dates = week_label(report.week_start, report.week_end)
    roi = "no spend" if report.roi is None else f"ROI {report.roi:.2f}×"
    emailed = f"; emailed to {_owners(len(sent))}" if sent else ""
    if queued:
        emailed += f"; email queued for {_owners(queued)}"
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
            **({"email_queued_for": queued} if queued else {}),
        },
        actor_id=actor_id,
    )


def _owners(n: int) -> str:
    return f"{n} owner{'s' if n != 1 else ''}"
