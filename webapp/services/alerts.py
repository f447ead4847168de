"""Health alerts: conditions worth telling the owners about, opened once, kept fresh while
they last, and resolved when they clear.

Kinds and thresholds:
- queue_backed_up: more than 100 queued messages are late (due over 15 minutes ago);
- failure_rate: more than 10 % of the last 24 hours' finished messages failed (20 at least);
- ai_cost_spike: today's AI cost (UTC day) is above 3× the daily average of the 7 days
  before and above $1;
- delivery_rate: under 95 % of the last 24 hours' attempted sends went out (20 at least).

One open alert per (workspace, kind): a condition that persists refreshes its alert's
`last_seen_at` and is never re-announced. Opening and resolving each write an activity row;
an opened alert is emailed to the owners once (`notified_at`).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from decimal import Decimal

from flask import current_app, has_app_context
from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from webapp.db_setup import begin_write
from webapp.integrations.email import EmailMessageSpec, message_id, send_email
from webapp.integrations.resilience import IntegrationError
from webapp.models import AiCall, HealthAlert, Organization, Send
from webapp.services import workspace_health as wh
from webapp.services.activity import log_activity
from webapp.services.report_delivery import owners

log = logging.getLogger(__name__)

AI_SPIKE_FACTOR = Decimal(3)
AI_SPIKE_FLOOR = Decimal("1.00")
DELIVERY_RATE = 0.95
DELIVERY_MIN_SAMPLE = 20
ATTEMPTED = ("sent", "delivered", "failed")


@dataclass(frozen=True)
class Finding:
    kind: str
    title: str
    text: str
    fix: str
    link: str
    figures: dict

    def detail(self) -> dict:
        return {
            "title": self.title,
            "text": self.text,
            "fix": self.fix,
            "link": self.link,
            **self.figures,
        }


def check_conditions(session: Session, org_id: int, *, now: datetime) -> dict[str, Finding]:
    """Every alert condition that holds for the workspace now, by kind."""
    found: dict[str, Finding] = {}
    queue = wh.queue_health(session, [org_id], now).get(org_id) or wh.QueueHealth()
    if queue.late > wh.QUEUE_BACKED_UP:
        found["queue_backed_up"] = Finding(
            "queue_backed_up",
            f"The queue is backed up: {queue.late} messages are late",
            f"{queue.late} queued messages are more than 15 minutes late ({queue.pending} waiting in all).",
            "They go out as soon as sending catches up; if the number keeps growing, look at the health page "
            "for a paused integration or an overdue scheduled job.",
            "/health",
            {"late": queue.late, "pending": queue.pending, "threshold": wh.QUEUE_BACKED_UP},
        )
    rate = queue.failure_rate
    if rate is not None and queue.finished_24h >= wh.FAILURE_MIN_SAMPLE and rate > wh.FAILURE_RATE:
        found["failure_rate"] = Finding(
            "failure_rate",
            f"{rate:.0%} of messages failed in the last 24 hours",
            f"{queue.failed_24h} of {queue.finished_24h} finished messages failed (the alert fires above 10 %).",
            "Open the outbox to see each failure's reason; provider errors are fixed in Settings → Integrations.",
            "/automation",
            {"failed": queue.failed_24h, "finished": queue.finished_24h, "rate": round(rate, 4)},
        )
    spike = _ai_cost_spike(session, org_id, now)
    if spike:
        found["ai_cost_spike"] = spike
    delivery = _delivery_rate(session, org_id, now)
    if delivery:
        found["delivery_rate"] = delivery
    return found


def _ai_cost_spike(session: Session, org_id: int, now: datetime) -> Finding | None:
    midnight = datetime.combine(now.date(), time(0), tzinfo=now.tzinfo)
    week_before = midnight - timedelta(days=7)
    today, before = session.execute(
        select(
            func.coalesce(func.sum(_when(AiCall.created_at >= midnight, AiCall.cost_usd)), 0),
            func.coalesce(func.sum(_when(AiCall.created_at < midnight, AiCall.cost_usd)), 0),
        ).where(AiCall.org_id == org_id, AiCall.created_at >= week_before, AiCall.created_at <= now)
    ).one()
    today, average = Decimal(str(today)), Decimal(str(before)) / 7
    if today <= AI_SPIKE_FLOOR or today <= AI_SPIKE_FACTOR * average:
        return None
    times = (
        f"{today / average:.1f}× the daily average of the week before (${average:,.2f})"
        if average
        else ("with nothing spent the week before")
    )
    return Finding(
        "ai_cost_spike",
        f"AI spending jumped: ${today:,.2f} today",
        f"Today's AI cost is {times}.",
        "Look at the AI usage on the Autopilot page: a sequence or the coach may be writing far more than "
        "planned. The monthly AI budget caps it.",
        "/autopilot",
        {
            "today_usd": str(today.quantize(Decimal("0.01"))),
            "daily_average_usd": str(average.quantize(Decimal("0.01"))),
        },
    )


def _when(condition, value):  # noqa: ANN001, ANN202
    return case((condition, value), else_=0)


def _delivery_rate(session: Session, org_id: int, now: datetime) -> Finding | None:
    rows = session.execute(
        select(Send.status, func.count())
        .where(
            Send.org_id == org_id,
            Send.status.in_(ATTEMPTED),
            Send.test_mode.is_(False),
            Send.due_at >= now - wh.DAY,
            Send.due_at <= now,
        )
        .group_by(Send.status)
    ).all()
    counts = dict(rows)
    attempted = sum(counts.values())
    went_out = counts.get("sent", 0) + counts.get("delivered", 0)
    if attempted < DELIVERY_MIN_SAMPLE or went_out / attempted >= DELIVERY_RATE:
        return None
    rate = went_out / attempted
    return Finding(
        "delivery_rate",
        f"Only {rate:.0%} of messages were delivered in the last 24 hours",
        f"{went_out} of {attempted} messages went out; {attempted - went_out} failed (the alert fires under 95 %).",
        "Open the outbox to see why they failed: bad addresses need fixing on the contact, provider errors "
        "in Settings → Integrations.",
        "/automation",
        {"delivered": went_out, "attempted": attempted, "rate": round(rate, 4)},
    )


def evaluate_alerts(
    session: Session, org_id: int, *, now: datetime, notify: bool = True
) -> list[HealthAlert]:
    """Open, refresh and resolve the workspace's alerts. Returns the alerts open afterwards.

    With `notify`, newly opened alerts are emailed to the owners in the same transaction
    (outbox) or over SMTP; jobs pass False and call `pending_notifications`/`deliver`
    after committing, so no transaction is open while the mail server is called.
    """
    begin_write(session)
    findings = check_conditions(session, org_id, now=now)
    current = {
        a.kind: a
        for a in session.scalars(
            select(HealthAlert).where(HealthAlert.org_id == org_id, HealthAlert.status == "open")
        )
    }
    for kind, finding in findings.items():
        alert = current.get(kind)
        if alert is not None:
            alert.last_seen_at = now
            alert.detail = finding.detail()
            continue
        alert = HealthAlert(
            org_id=org_id,
            kind=kind,
            status="open",
            open_kind=kind,
            first_seen_at=now,
            last_seen_at=now,
            detail=finding.detail(),
        )
        session.add(alert)
        session.flush()
        current[kind] = alert
        log_activity(
            session,
            org_id,
            "health.alert_opened",
            f"Alert: {finding.title}. {finding.text} {finding.fix}",
            now=now,
            entity=("health_alert", alert.id),
            details={"kind": kind, **finding.figures},
        )
    for kind, alert in list(current.items()):
        if kind in findings:
            continue
        alert.status, alert.open_kind, alert.resolved_at = "resolved", None, now
        title = (alert.detail or {}).get("title", kind)
        log_activity(
            session,
            org_id,
            "health.alert_resolved",
            f"Resolved: {title} (open since {alert.first_seen_at:%-d %b %H:%M} UTC).",
            now=now,
            entity=("health_alert", alert.id),
            details={"kind": kind},
        )
        del current[kind]
    session.flush()
    if notify:
        deliver(session, org_id, pending_notifications(session, org_id), now=now)
    return sorted(current.values(), key=lambda a: a.first_seen_at)


def open_alert_ids(session: Session, org_id: int) -> set[int]:
    return set(
        session.scalars(
            select(HealthAlert.id).where(HealthAlert.org_id == org_id, HealthAlert.status == "open")
        )
    )


def pending_notifications(
    session: Session, org_id: int
) -> list[tuple[int, list[EmailMessageSpec]]]:
    """The emails still owed for open alerts: (alert id, one message per owner)."""
    alerts = list(
        session.scalars(
            select(HealthAlert).where(
                HealthAlert.org_id == org_id,
                HealthAlert.status == "open",
                HealthAlert.notified_at.is_(None),
            )
        )
    )
    if not alerts:
        return []
    org = session.get(Organization, org_id)
    people = owners(session, org_id)
    return [(alert.id, [_email(org, alert, owner.email) for owner in people]) for alert in alerts]


def _email(org: Organization, alert: HealthAlert, to: str) -> EmailMessageSpec:
    detail = alert.detail or {}
    base = (
        current_app.config.get("PUBLIC_URL") if has_app_context() else None
    ) or "http://127.0.0.1:8000"
    link = base.rstrip("/") + "/health"
    text = (
        f"{detail.get('title', alert.kind)}\n\n{detail.get('text', '')}\n\nWhat to do: {detail.get('fix', '')}\n\n"
        f"Workspace health: {link}\n\nYou get this email once per alert; it is resolved by itself when the "
        f"condition clears.\n"
    )
    return EmailMessageSpec(
        to=to,
        subject=f"[{org.name}] Alert: {detail.get('title', alert.kind)}",
        text=text,
        headers={"X-Autopilot-Alert": alert.kind},
        message_id=message_id("health-alert", alert.id, to),
    )


def deliver(
    session: Session, org_id: int, batch: list[tuple[int, list[EmailMessageSpec]]], *, now: datetime
) -> int:
    """Send the owed emails (all first), then mark their alerts notified. Returns emails sent.

    A mail server that refuses leaves the alert un-notified, to be tried on the next run.
    """
    done: list[int] = []
    sent = 0
    for alert_id, specs in batch:
        try:
            for spec in specs:
                send_email(session, org_id, spec, purpose="health_alert", now=now)
                sent += 1
        except IntegrationError as exc:
            log.warning(
                "alert %s email failed for workspace %s: %s", alert_id, org_id, exc.error_class
            )
            continue
        done.append(alert_id)
    for alert_id in done:
        alert = session.get(HealthAlert, alert_id)
        if alert is not None and alert.notified_at is None:
            alert.notified_at = now
    session.flush()
    return sent
