"""Emailing a report's run to its recipients, once per recipient per run.

Each recipient's email is an `analytics.email` job of the work engine, keyed
`analytics:<run id>:<address>`, queued in the transaction that saves the run and run right
after its commit (retried with backoff when the mail server is down). It goes through the
one email path (`connections.send_email`: the outbox, or SMTP under the workspace's
breaker), with the figures in text and HTML and the charts as PNGs carried inline (cid).
Who received it is kept in `run.emailed_to`, written by the job's outcome.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from urllib.parse import urlsplit

from flask import current_app
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from webapp import queue
from webapp.integrations.email import EmailMessageSpec, InlineImage, message_id
from webapp.integrations.resilience import CircuitOpen, IntegrationError
from webapp.models import AnalyticsReport, AnalyticsReportRun, Organization
from webapp.models.queue import QueuedJob
from webapp.queue import Done, Failed, JobContext, Outcome, RetryAt
from webapp.services.analytics import display
from webapp.services.analytics.catalogue import DIMENSIONS, METRICS
from webapp.services.analytics.charts import chart_png
from webapp.services.connections import send_email

log = logging.getLogger(__name__)

EMAIL_KIND = "analytics.email"
MAX_ATTEMPTS = 5


def report_url(report_id: int, public_url: str) -> str:
    parts = urlsplit(public_url)
    adapter = current_app.url_map.bind(
        parts.netloc or "127.0.0.1:8000",
        script_name=parts.path or "/",
        url_scheme=parts.scheme or "http",
    )
    return adapter.build("analytics.show", {"analytics_report_id": report_id}, force_external=True)


def compose(
    org: Organization, report: AnalyticsReport, run: AnalyticsReportRun, to: str, link: str
) -> EmailMessageSpec:
    """The email of one run for one recipient, its charts drawn as PNGs shown by cid."""
    figures = run.figures
    charts = display.chart_series(figures)
    images = tuple(
        InlineImage(
            cid=f"{chart['id']}.{run.id}@autopilot",
            data=chart_png(chart["title"], chart["labels"], chart["values"], line=chart["line"]),
            filename=f"{chart['id']}.png",
        )
        for chart in charts
    )
    context = {
        "org": org,
        "report": report,
        "run": run,
        "figures": figures,
        "cards": display.cards(figures),
        "charts": list(zip(charts, images, strict=True)),
        "tables": figures["tables"],
        "metrics": METRICS,
        "dimensions": DIMENSIONS,
        "fmt": display.format_value,
        "link": link,
    }
    env = current_app.jinja_env
    return EmailMessageSpec(
        to=to,
        subject=f"{report.name}: {figures['period']['label']}",
        text=env.get_template("analytics/email.txt").render(context),
        html=env.get_template("analytics/email.html").render(context),
        headers={"X-Autopilot-Analytics-Run": str(run.id)},
        message_id=message_id("analytics", run.id, to, domain=urlsplit(link).hostname),
        inline_images=images,
    )


def queue_run_emails(
    session: Session,
    report: AnalyticsReport,
    run: AnalyticsReportRun,
    *,
    now: datetime,
    public_url: str,
) -> list[int]:
    """Queue the run's email for each recipient not yet emailed, in the caller's
    transaction. Returns the ids of the pending jobs."""
    already = set(run.emailed_to or [])
    waiting: list[int] = []
    for address in report.recipients:
        if address in already:
            continue
        job, _created = queue.submit(
            session,
            EMAIL_KIND,
            {"run_id": run.id, "to": address, "public_url": public_url},
            key=f"analytics:{run.id}:{address}",
            now=now,
            org_id=report.org_id,
        )
        if job.status == "pending":
            waiting.append(job.id)
    return waiting


def send_run_emails(
    engine: Engine,
    *,
    owner: str,
    clock: Callable[[], datetime],
    org_id: int | None = None,
    job_ids: list[int] | None = None,
    deadline: float | None = None,
) -> queue.WorkResult:
    """Run the due report emails (these ids, else every due one) with no transaction open."""
    if job_ids is not None and not job_ids:
        return queue.WorkResult()
    where = [] if job_ids is None else [QueuedJob.id.in_(job_ids)]
    return queue.run_due(
        engine,
        kinds=[EMAIL_KIND],
        owner=owner,
        clock=clock,
        org_id=org_id,
        where=where,
        deadline=deadline,
        batch_size=10,
    )


@queue.register(EMAIL_KIND, max_attempts=MAX_ATTEMPTS, retryable=queue.RETRYABLE)
def send_run_email(job: QueuedJob, ctx: JobContext) -> Outcome:
    """Email one recipient one run; the outcome adds the address to `run.emailed_to`."""
    payload = job.payload
    run = ctx.session.get(AnalyticsReportRun, payload["run_id"])
    if run is None:
        return Done({"skipped": "the report was deleted"})
    if payload["to"] in (run.emailed_to or []):
        return Done({"skipped": "already emailed"})
    report = ctx.session.get(AnalyticsReport, run.report_id)
    org = ctx.session.get(Organization, run.org_id)
    link = report_url(report.id, payload["public_url"])
    spec = compose(org, report, run, payload["to"], link)
    ctx.session.rollback()  # the reads end before the mail server is called
    try:
        send_email(
            ctx.session.get_bind(), job.org_id, spec, purpose="analytics_report", now=ctx.now()
        )
    except CircuitOpen as exc:
        return RetryAt(exc.retry_at, f"{exc.error_class}: {exc}")
    except IntegrationError as exc:
        log.warning("analytics run %s email failed: %s", payload["run_id"], exc.error_class)
        return Failed(str(exc), str(exc.error_class), retry_after=exc.retry_after)

    def record(session: Session) -> None:
        locked = session.get(AnalyticsReportRun, payload["run_id"], with_for_update=True)
        if locked is not None:
            locked.emailed_to = sorted({*(locked.emailed_to or []), payload["to"]})

    return Done({"to": payload["to"]}, apply=record)
