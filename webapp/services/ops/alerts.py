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
an opened alert is emailed to the owners once: its emails are queue jobs (alert_emails.py),
queued with it and run after the caller's commit; `notified_at` says when they went out.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from decimal import Decimal

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from webapp.core.db import begin_write
from webapp.models import AiCall, HealthAlert, Send
from webapp.services.activity import log_activity
from webapp.services.ops import health_facts
from webapp.services.ops import workspace_health as wh
from webapp.services.ops.alert_emails import queue_alert_emails

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
    queue = (
        health_facts.queue_health(session, [org_id], now).get(org_id) or health_facts.QueueHealth()
    )
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


def _when(condition, value):
    return case((condition, value), else_=0)


def _delivery_rate(session: Session, org_id: int, now: datetime) -> Finding | None:
    rows = session.execute(
        select(Send.status, func.count())
        .where(
            Send.org_id == org_id,
            Send.status.in_(ATTEMPTED),
            Send.test_mode.is_(False),
            Send.due_at >= now - health_facts.DAY,
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

    With `notify`, the emails owed for open alerts are queued in the same transaction
    (`alert_emails.queue_alert_emails`); the caller runs them after its commit
    (`alert_emails.send_alert_emails`), so no transaction is open while the mail server
    is called. The 15-minute job passes False and queues them itself.
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
        else:
            current[kind] = _open_alert(session, org_id, kind, finding, now)
    for kind, alert in list(current.items()):
        if kind not in findings:
            _resolve_alert(session, org_id, alert, now)
            del current[kind]
    session.flush()
    if notify:
        queue_alert_emails(session, org_id, now=now)
    return sorted(current.values(), key=lambda a: a.first_seen_at)


def _open_alert(
    session: Session, org_id: int, kind: str, finding: Finding, now: datetime
) -> HealthAlert:
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
    log_activity(
        session,
        org_id,
        "health.alert_opened",
        f"Alert: {finding.title}. {finding.text} {finding.fix}",
        now=now,
        entity=("health_alert", alert.id),
        details={"kind": kind, **finding.figures},
    )
    return alert


def _resolve_alert(session: Session, org_id: int, alert: HealthAlert, now: datetime) -> None:
    kind = alert.kind
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


def open_alert_ids(session: Session, org_id: int) -> set[int]:
    return set(
        session.scalars(
            select(HealthAlert.id).where(HealthAlert.org_id == org_id, HealthAlert.status == "open")
        )
    )
