"""A run of the coach's worker and the batches it claims (coach/process.py runs them).

- `_Run` is one `process_due`: its clock, time budget, counts and the WhatsApp channels it
  keeps open for the run (the breaker's bookkeeping is per channel).
- `prepare` is the job kind's batch step: the claimed batch's follow-ups, contacts,
  workspaces, settings and the conversations' last messages with one query each, and the
  batch paced (Twilio's per-minute token buckets; the rest wait for their turn).
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from contextvars import ContextVar
from datetime import datetime, timedelta

from flask import Flask, current_app
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from webapp.core import clock as app_clock
from webapp.core.extensions import db
from webapp.integrations import delivery
from webapp.integrations.resilience import take_tokens
from webapp.models import (
    CoachFollowup,
    CoachSettings,
    ConversationMessage,
    Lead,
    Organization,
)
from webapp.models.queue import QueuedJob
from webapp.services.coach.consent import consented
from webapp.services.coach.outcomes import CoachResult
from webapp.services.coach.schedule import contact_zone
from webapp.services.coach.writer import HISTORY_MESSAGES, Turn
from webapp.services.connections import open_channel
from webapp.services.suppression import why_blocked


class Run:
    """One `process_due`: its clock, time budget, counts and open WhatsApp channels."""

    def __init__(self, app: Flask, *, now: datetime, deadline: float | None) -> None:
        self.app = app
        self.engine = db.engine
        self.now = now
        self.deadline = deadline
        self.result = CoachResult()
        self.stack = ExitStack()
        self.channels: dict[int, delivery.ChannelSender] = {}

    def clock(self) -> datetime:
        """The present (never before the run's `now`): leases must start from it."""
        return max(self.now, app_clock.now())

    def out_of_time(self) -> bool:
        return self.deadline is not None and time.monotonic() >= self.deadline

    def channel(self, org_id: int) -> delivery.ChannelSender:
        if org_id not in self.channels:
            self.channels[org_id] = self.stack.enter_context(
                open_channel(org_id, "whatsapp", engine=self.engine, clock=self.clock)
            )
        return self.channels[org_id]


RUN: ContextVar[Run | None] = ContextVar("coach_run", default=None)


@contextmanager
def running(run: Run) -> Iterator[Run]:
    token = RUN.set(run)
    try:
        with run.stack:
            yield run
    finally:
        RUN.reset(token)


def current_run() -> Run:
    """The run of `process_due`; a job run by another runner gets one of its own (no summary)."""
    run = RUN.get()
    if run is None:
        run = Run(current_app._get_current_object(), now=app_clock.now(), deadline=None)
    return run


# --- a batch ------------------------------------------------------------------------------------


class Batch:
    """A claimed batch's follow-ups, contacts, workspaces, settings and histories (one query
    each, detached), and when the paced ones may go."""

    def __init__(self, session: Session, run: Run, jobs: list[QueuedJob]) -> None:
        self.run = run
        ids = [job.payload.get("followup_id") for job in jobs]
        self.followups = {
            f.id: f for f in session.scalars(select(CoachFollowup).where(CoachFollowup.id.in_(ids)))
        }
        items = list(self.followups.values())
        org_ids = {i.org_id for i in items}
        conv_ids = {i.conversation_id for i in items}
        self.leads = {
            lead.id: lead
            for lead in session.scalars(select(Lead).where(Lead.id.in_({i.lead_id for i in items})))
        }
        self.orgs = {
            org.id: org
            for org in session.scalars(select(Organization).where(Organization.id.in_(org_ids)))
        }
        self.settings = {
            s.org_id: s
            for s in session.scalars(select(CoachSettings).where(CoachSettings.org_id.in_(org_ids)))
        }
        self.history: dict[int, list[Turn]] = defaultdict(list)
        for row in session.execute(_recent_messages(conv_ids)):
            self.history[row.conversation_id].append(Turn(row.direction, row.body))
        self.consented = consented(session, self.leads)
        self.blocked = why_blocked(
            session, ((i, lead, "whatsapp") for i, lead in self.leads.items())
        )
        session.expunge_all()
        self.waits = _pace(run, items)

    def tz(self, item: CoachFollowup) -> str:
        """The zone of the follow-up's contact, in which its window is read."""
        org, lead = self.orgs.get(item.org_id), self.leads.get(item.lead_id)
        return contact_zone(
            lead.timezone if lead is not None else None,
            lead.phone if lead is not None else None,
            org.timezone if org is not None else None,
        )


def _recent_messages(conv_ids: set[int]):
    rank = (
        func.row_number()
        .over(
            partition_by=ConversationMessage.conversation_id,
            order_by=ConversationMessage.id.desc(),
        )
        .label("rank")
    )
    recent = (
        select(
            ConversationMessage.conversation_id,
            ConversationMessage.id,
            ConversationMessage.direction,
            ConversationMessage.body,
            rank,
        )
        .where(
            ConversationMessage.conversation_id.in_(conv_ids),
            ConversationMessage.status != "failed",
        )
        .subquery()
    )
    return (
        select(recent.c.conversation_id, recent.c.direction, recent.c.body)
        .where(recent.c.rank <= HISTORY_MESSAGES)
        .order_by(recent.c.conversation_id, recent.c.id)
    )


def _pace(run: Run, items: list[CoachFollowup]) -> dict[int, datetime]:
    """Twilio's pace (SMS_PER_MINUTE, shared by WhatsApp): {follow-up id: when it may go}
    for the follow-ups of the batch that must wait for their token."""
    by_org: dict[int, list[CoachFollowup]] = defaultdict(list)
    for item in sorted(items, key=lambda i: (i.due_at, i.id)):
        by_org[item.org_id].append(item)
    waits: dict[int, datetime] = {}
    for org_id, group in by_org.items():
        provider = run.channel(org_id).provider
        rate = delivery.rate_per_minute("whatsapp")
        if provider == "outbox" or rate <= 0:
            continue
        granted = len(group)
        for key in reversed(delivery.pacing_keys(org_id, "whatsapp", provider)):
            granted = (
                take_tokens(run.engine, key, granted, per_minute=rate, now=run.clock())
                if granted
                else 0
            )
        spacing = 60.0 / rate
        for n, item in enumerate(group[granted:]):
            waits[item.id] = run.clock() + timedelta(seconds=spacing * (n + 1))
    if waits:
        run.result.note(
            f"{len(waits)} WhatsApp message(s) paced to {delivery.rate_per_minute('whatsapp'):g} "
            "per minute; they wait for their turn."
        )
    return waits


def prepare(session: Session, jobs: list[QueuedJob]) -> Batch:
    return Batch(session, current_run(), jobs)
