"""The workflows tick: start the runs of schedule triggers whose cron fired (in the
workspace's time zone), then run the due `workflows.step` jobs through the work engine."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from webapp import queue
from webapp.models import Lead, Organization, Workflow
from webapp.models.segment import SegmentMember
from webapp.services.workflows import engine
from webapp.services.workflows.starting import start_run

MAX_CATCH_UP = 24  # firings started per workflow per tick after a long outage
MAX_AUDIENCE = 50_000


DAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat", "sun")


def cron_trigger(cron: str, tz: str):
    """APScheduler's CronTrigger for a standard crontab line. Its `from_crontab` counts
    weekdays from Monday = 0, so the weekday numbers of cron (0 or 7 = Sunday, 1 = Monday)
    are given to it as names."""
    from apscheduler.triggers.cron import CronTrigger

    minute, hour, day, month, weekday = cron.split()
    if "/" not in weekday:
        weekday = re.sub(r"\d+", lambda m: DAYS[int(m.group()) % 8], weekday)
    return CronTrigger(
        minute=minute, hour=hour, day=day, month=month, day_of_week=weekday, timezone=tz
    )


def _firings(cron: str, tz: str, after: datetime, now: datetime) -> list[datetime]:
    trigger = cron_trigger(cron, tz)
    out: list[datetime] = []
    at = trigger.get_next_fire_time(None, after + timedelta(seconds=1))
    while at is not None and at <= now and len(out) < MAX_CATCH_UP:
        out.append(at)
        at = trigger.get_next_fire_time(at, at + timedelta(seconds=1))
    return out


def _audience(session: Session, org_id: int, segment_id: int | None) -> list[int]:
    if segment_id:
        query = (
            select(SegmentMember.lead_id)
            .join(Lead, Lead.id == SegmentMember.lead_id)
            .where(
                SegmentMember.segment_id == segment_id,
                SegmentMember.exited_at.is_(None),
                Lead.org_id == org_id,
                Lead.unsubscribed_at.is_(None),
            )
        )
    else:
        query = select(Lead.id).where(Lead.org_id == org_id, Lead.unsubscribed_at.is_(None))
    return list(session.scalars(query.order_by(Lead.id).limit(MAX_AUDIENCE)))


def fire_schedules(session: Session, *, now: datetime, org_id: int | None = None) -> int:
    """Start a run per contact of each cron firing since the last tick. Returns runs started."""
    query = select(Workflow).where(Workflow.status == "active", Workflow.trigger_kind == "schedule")
    if org_id is not None:
        query = query.where(Workflow.org_id == org_id)
    started = 0
    for workflow in session.scalars(query).all():
        trigger = engine.definition_of(session, workflow.current_version_id).trigger
        org = session.get(Organization, workflow.org_id)
        after = workflow.fired_at or workflow.updated_at
        firings = _firings(trigger.cron, org.timezone or "UTC", after, now)
        for at in firings:
            for lead_id in _audience(session, workflow.org_id, trigger.segment_id):
                started += bool(
                    start_run(
                        session,
                        workflow,
                        lead_id,
                        key=f"cron:{at.isoformat()}:{lead_id}",
                        trigger={"cron": trigger.cron, "fired_at": at.isoformat()},
                        now=now,
                    )
                )
        if firings:
            workflow.fired_at = firings[-1]
    session.flush()
    return started


def run_due_steps(
    db_engine: Engine,
    *,
    owner: str,
    clock: Callable[[], datetime],
    org_id: int | None = None,
    deadline: float | None = None,
    batch_size: int = 200,
) -> queue.WorkResult:
    return queue.run_due(
        db_engine,
        kinds=[engine.KIND],
        owner=owner,
        clock=clock,
        org_id=org_id,
        deadline=deadline,
        batch_size=batch_size,
    )
