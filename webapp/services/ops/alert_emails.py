"""Health alert emails as jobs of the work engine: one `ops.alert_email` job per (alert,
owner), keyed `alert:<id>:owner:<user id>`, so an alert is emailed to each owner once
however often it is evaluated or its job re-run.

The jobs are queued in the transaction that opens the alert (`queue_alert_emails`) and run
after its commit (`send_alert_emails`), with no write transaction open while the mail
server is called. An alert counts as queued once it has jobs: it is never queued again,
whatever becomes of them. A mail server that refuses fails the attempt and the engine
retries it with backoff (the classes in `queue.RETRYABLE`, 5 attempts); an open circuit
breaker defers it, without spending an attempt, to when the breaker lets calls through.
`notified_at` is set by the outcome of the last of an alert's jobs to go out: it says
when the owners were emailed, not when the emails were queued.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from flask import current_app, has_app_context
from sqlalchemy import ColumnElement, func, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from webapp import queue
from webapp.integrations.email import EmailMessageSpec, message_id
from webapp.integrations.resilience import CircuitOpen, IntegrationError
from webapp.models import HealthAlert, Organization, User
from webapp.models.queue import QueuedJob
from webapp.queue import Done, Failed, JobContext, Outcome, RetryAt
from webapp.services.connections import send_email, sender_domain
from webapp.services.reporting import owners

log = logging.getLogger(__name__)

ALERT_EMAIL_KIND = "ops.alert_email"
MAX_ATTEMPTS = 5
WAITING = ("pending", "processing")


def _keys_of(alert_id: int) -> ColumnElement[bool]:
    return QueuedJob.idempotency_key.like(f"alert:{alert_id}:owner:%")


def queue_alert_emails(session: Session, org_id: int, *, now: datetime) -> list[int]:
    """Queue the emails owed for the workspace's open alerts, one job per owner, in the
    caller's transaction. Alerts emailed already, or queued before, are skipped. Returns
    the new jobs' ids."""
    alerts = list(
        session.scalars(
            select(HealthAlert)
            .where(
                HealthAlert.org_id == org_id,
                HealthAlert.status == "open",
                HealthAlert.notified_at.is_(None),
            )
            .order_by(HealthAlert.id)
        )
    )
    queued: list[int] = []
    people: list[User] | None = None
    for alert in alerts:
        if session.scalar(select(QueuedJob.id).where(_keys_of(alert.id)).limit(1)) is not None:
            continue
        people = owners(session, org_id) if people is None else people
        for owner in people:
            job, created = queue.submit(
                session,
                ALERT_EMAIL_KIND,
                {"alert_id": alert.id, "owner_id": owner.id},
                key=f"alert:{alert.id}:owner:{owner.id}",
                now=now,
                org_id=org_id,
            )
            if created:
                queued.append(job.id)
    return queued


def send_alert_emails(
    engine: Engine,
    *,
    owner: str,
    clock: Callable[[], datetime],
    org_id: int | None = None,
    deadline: float | None = None,
) -> queue.WorkResult:
    """Run the due alert-email jobs (of one workspace, or all) until none is due or
    `deadline` (time.monotonic()) passes, with no transaction of the caller's open."""
    return queue.run_due(
        engine,
        kinds=[ALERT_EMAIL_KIND],
        owner=owner,
        clock=clock,
        org_id=org_id,
        deadline=deadline,
        batch_size=10,
    )


def due_count(session: Session, *, now: datetime, org_id: int | None = None) -> int:
    """Alert emails due and waiting for a worker (a run whose time was up left them)."""
    conditions = [QueuedJob.kind == ALERT_EMAIL_KIND, QueuedJob.run_at <= now]
    if org_id is not None:
        conditions.append(QueuedJob.org_id == org_id)
    return queue.counts(session, *conditions)["pending"]


def alert_email(org: Organization, alert: HealthAlert, owner: User) -> EmailMessageSpec:
    """One owner's email about an alert: what happened, what to do, a link to the page.

    Marked as automatic (RFC 3834 Auto-Submitted: no vacation replies) and with a
    Message-ID the same on every attempt that carries no address (not the recipient's)."""
    detail = alert.detail or {}
    base = (
        current_app.config.get("PUBLIC_URL") if has_app_context() else None
    ) or "http://127.0.0.1:8000"
    link = base.rstrip("/") + "/health"
    text = (
        f"{detail.get('title', alert.kind)}\n\n{detail.get('text', '')}\n\n"
        f"What to do: {detail.get('fix', '')}\n\n"
        f"Workspace health: {link}\n\nYou get this email once per alert; it is resolved by "
        f"itself when the condition clears.\n"
    )
    return EmailMessageSpec(
        to=owner.email,
        subject=f"[{org.name}] Alert: {detail.get('title', alert.kind)}",
        text=text,
        headers={
            "X-Autopilot-Alert": alert.kind,
            "Auto-Submitted": "auto-generated",
            "Feedback-ID": f"{alert.kind}:{org.id}:alert:autopilot",
        },
        message_id=message_id(
            "health-alert",
            alert.id,
            alert.first_seen_at.isoformat(),
            owner.id,
            domain=sender_domain(org.id),
        ),
    )


@queue.register(ALERT_EMAIL_KIND, max_attempts=MAX_ATTEMPTS, retryable=queue.RETRYABLE)
def send_alert_email(job: QueuedJob, ctx: JobContext) -> Outcome:
    """Email one owner about one alert; the last of the alert's jobs sets `notified_at`.

    An alert resolved before its email went out (a long outage) is not announced any more.
    The reads end before the mail server is called; the send commits its outbox row alone."""
    alert_id, owner_id = job.payload["alert_id"], job.payload["owner_id"]
    alert = ctx.session.get(HealthAlert, alert_id)
    owner = ctx.session.get(User, owner_id)
    if alert is None or owner is None:
        return Done({"skipped": "the alert or its owner is gone"})
    if alert.status != "open":
        return Done({"skipped": "resolved before it was emailed"})
    spec = alert_email(ctx.session.get(Organization, alert.org_id), alert, owner)
    ctx.session.rollback()  # the reads end here
    try:
        send_email(ctx.session.get_bind(), job.org_id, spec, purpose="health_alert", now=ctx.now())
    except CircuitOpen as exc:  # not a failure: try again when the breaker lets calls through
        return RetryAt(exc.retry_at, f"{exc.error_class}: {exc}")
    except IntegrationError as exc:
        log.warning("alert %s email failed for workspace %s: %s", alert_id, job.org_id, exc)
        return Failed(str(exc), str(exc.error_class), retry_after=exc.retry_after)

    def record(session: Session) -> None:
        _mark_notified(session, alert_id, job.id, now=ctx.now())

    return Done({"to": spec.to}, apply=record)


def _mark_notified(session: Session, alert_id: int, job_id: int, *, now: datetime) -> None:
    """Set `notified_at` once none of the alert's other emails is still waiting. The alert's
    row is locked first (PostgreSQL), so two owners' jobs finishing together cannot both
    see the other as still processing."""
    alert = session.get(HealthAlert, alert_id, with_for_update=True)
    if alert is None or alert.notified_at is not None:
        return
    waiting = session.scalar(
        select(func.count())
        .select_from(QueuedJob)
        .where(
            QueuedJob.kind == ALERT_EMAIL_KIND,
            _keys_of(alert_id),
            QueuedJob.status.in_(WAITING),
            QueuedJob.id != job_id,
        )
    )
    if not waiting:
        alert.notified_at = now
