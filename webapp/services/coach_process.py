"""Sending the coach's due follow-ups: `process_due`, behind the 15-minute job and auto-reply.

One batch at a time (COACH_BATCH_SIZE, default 200):

1. claim (coach_claim.py) — one write transaction, committed at once: due follow-ups
   and their conversations are leased to this worker, so one conversation is written to
   by one worker at a time;
2. load the batch's contacts, workspaces, settings and the conversations' last messages
   with one query each;
3. per follow-up: skip (opted out, left the audience, no number, auto-reply off) with the
   reason; wait for the window; write the message through the AI layer with the
   conversation's history; send it on the workspace's WhatsApp channel with no
   transaction open (the outbox row instead joins the transaction that records it);
   then record the message, finish the follow-up and schedule the next one, committed
   on its own.

Errors: a retryable IntegrationError goes back to pending with backoff until 3 attempts,
anything else (an unexpected exception too: one follow-up's bug must not stop the others)
fails with its class, and the regular follow-up after it is scheduled; an open circuit
puts the follow-up back at the breaker's retry time, not spending an attempt. Finishing
checks the lease: a follow-up taken over by another worker meanwhile is not recorded
(with the outbox, nothing of it is kept). A WhatsApp message Twilio accepted just before
the worker died is sent again by the next one: Twilio has no idempotency key.
At the end one activity row per workspace sums up the run; each failure has its own.
"""

from __future__ import annotations

import logging
import os
import socket
import time
import uuid
from collections import defaultdict
from contextlib import ExitStack
from datetime import datetime, timedelta

from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from webapp.db_setup import begin_write
from webapp.extensions import db
from webapp.integrations import delivery
from webapp.integrations.resilience import (
    CircuitOpen,
    IntegrationError,
    classify_exception,
    take_tokens,
)
from webapp.models import (
    CoachSettings,
    ConversationMessage,
    Lead,
    Organization,
)
from webapp.services.coach_claim import Claims
from webapp.services.coach_outcomes import CoachResult, Item, Outcomes
from webapp.services.coach_schedule import AUDIENCES, first_due, is_open
from webapp.services.coach_writer import HISTORY_MESSAGES, Brief, Turn, write_message
from webapp.services.send_windows import zone

__all__ = ["CoachResult", "process_due"]

log = logging.getLogger(__name__)


def _setting(app: Flask, name: str, default: int) -> int:
    value = app.config.get(name)
    return int(value) if value else default


class _Context:
    """A batch's contacts, workspaces, settings and histories (one query each), detached."""

    def __init__(self, session: Session, items: list[Item]) -> None:
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
        self.history: dict[int, list[Turn]] = defaultdict(list)
        for row in session.execute(
            select(recent.c.conversation_id, recent.c.direction, recent.c.body)
            .where(recent.c.rank <= HISTORY_MESSAGES)
            .order_by(recent.c.conversation_id, recent.c.id)
        ):
            self.history[row.conversation_id].append(Turn(row.direction, row.body))
        session.expunge_all()

    def tz(self, org_id: int) -> str:
        org = self.orgs.get(org_id)
        name = org.timezone if org is not None else None
        return name if zone(name) is not None else "UTC"


class _Run(Claims, Outcomes):
    def __init__(
        self, app: Flask, *, owner: str | None, now: datetime, deadline: float | None
    ) -> None:
        self.app = app
        self.engine = db.engine
        self.now = now
        self.deadline = deadline
        self.owner = owner or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.batch_size = min(max(_setting(app, "COACH_BATCH_SIZE", 200), 1), 1000)
        self.lease = timedelta(seconds=_setting(app, "COACH_LEASE_SECONDS", 300))
        self.result = CoachResult()
        self.failures: list[dict] = []

    def out_of_time(self) -> bool:
        return self.deadline is not None and time.monotonic() >= self.deadline

    # --- the loop ---------------------------------------------------------------------------

    def run(self, *, org_id: int | None, only: list[int] | None, limit: int | None) -> CoachResult:
        with ExitStack() as self.stack:
            self.channels: dict[int, delivery.ChannelSender] = {}
            while limit is None or limit > 0:
                if self.out_of_time():
                    self.result.note(
                        "Stopped at the time budget; the rest goes out on the next run."
                    )
                    break
                size = self.batch_size if limit is None else min(self.batch_size, limit)
                items = self.claim(size, org_id=org_id, only=only)
                if not items:
                    break
                self.result.batches += 1
                self.process(items)
                if limit is not None:
                    limit -= len(items)
        self.summarise()
        return self.result

    def channel(self, org_id: int) -> delivery.ChannelSender:
        if org_id not in self.channels:
            self.channels[org_id] = self.stack.enter_context(
                delivery.open_channel(org_id, "whatsapp", engine=self.engine, clock=self.clock)
            )
        return self.channels[org_id]

    # --- processing -------------------------------------------------------------------------

    def process(self, items: list[Item]) -> None:
        with Session(self.engine) as session:
            ctx = _Context(session, items)
            session.rollback()
        items = self.pace(items)
        last_of_conversation = {i.conversation_id: i.id for i in items}
        for index, item in enumerate(items):
            if self.out_of_time():
                self.put_back(items[index:], None, last_of_conversation, count=False)
                self.result.note("Stopped at the time budget; the rest goes out on the next run.")
                return
            self.keep_lease(items[index:])
            release = last_of_conversation[item.conversation_id] == item.id
            try:
                self.one(item, ctx, release)
            except CircuitOpen as exc:
                self.put_back([item], exc.retry_at, last_of_conversation)
                self.result.note(f"WhatsApp delivery is paused after repeated failures: {exc}")
            except Exception as exc:  # noqa: BLE001  one follow-up's bug must not stop the others
                if not isinstance(exc, IntegrationError):
                    log.exception("coach follow-up %s failed unexpectedly", item.id)
                self.fail(
                    item,
                    classify_exception(exc),
                    release,
                    lead=ctx.leads.get(item.lead_id),
                    settings=ctx.settings.get(item.org_id),
                    tz=ctx.tz(item.org_id),
                )

    def pace(self, items: list[Item]) -> list[Item]:
        """Twilio's pace (SMS_PER_MINUTE, shared by WhatsApp); the rest go back until their token."""
        by_org: dict[int, list[Item]] = defaultdict(list)
        for item in items:
            by_org[item.org_id].append(item)
        later: list[tuple[Item, datetime]] = []
        for org_id, group in by_org.items():
            provider = self.channel(org_id).provider
            if provider == "outbox":
                continue
            rate = delivery.rate_per_minute("whatsapp")
            if rate <= 0:
                continue
            granted = len(group)
            for key in reversed(delivery.pacing_keys(org_id, "whatsapp", provider)):
                granted = (
                    take_tokens(self.engine, key, granted, per_minute=rate, now=self.clock())
                    if granted
                    else 0
                )
            spacing = 60.0 / rate
            later.extend(
                (item, self.clock() + timedelta(seconds=spacing * (n + 1)))
                for n, item in enumerate(group[granted:])
            )
        if not later:
            return items
        waiting = {item.id for item, _at in later}
        allowed = [item for item in items if item.id not in waiting]
        kept = {item.conversation_id for item in allowed}
        # A conversation with nothing left to send in this batch is released with its follow-ups.
        release = {
            item.conversation_id: item.id for item, _at in later if item.conversation_id not in kept
        }
        for item, at in later:
            self.put_back([item], at, release)
        self.result.note(
            f"{len(later)} WhatsApp message(s) paced to {delivery.rate_per_minute('whatsapp'):g} "
            "per minute; they wait for their turn."
        )
        return allowed

    def skip_reason(self, item: Item, ctx: _Context) -> tuple[str, str | None] | None:
        """(reason, new conversation status) when the follow-up must not be sent; else None."""
        lead = ctx.leads.get(item.lead_id)
        settings = ctx.settings.get(item.org_id)
        if lead is None:
            return "The contact was deleted.", "stopped"
        if lead.unsubscribed_at is not None:
            return f"The contact opted out on {lead.unsubscribed_at:%Y-%m-%d}.", "opted_out"
        if not lead.phone:
            return "The contact has no phone number.", "stopped"
        if settings is None or not settings.enabled:
            return "The coach is switched off.", None
        if item.kind == "reply":
            return None if settings.auto_reply else ("Auto-reply is off.", None)
        statuses = AUDIENCES.get(settings.audience)
        if statuses and lead.status not in statuses:
            return (
                f"The contact is no longer in the coach's audience (status {lead.status}).",
                "stopped",
            )
        return None

    def one(self, item: Item, ctx: _Context, release: bool) -> None:
        skip = self.skip_reason(item, ctx)
        if skip is not None:
            self.finish(item, "skipped", release, error=skip[0], conversation_status=skip[1])
            self.result.count(item.org_id, "skipped")
            return
        settings, lead, org = (
            ctx.settings[item.org_id],
            ctx.leads[item.lead_id],
            ctx.orgs[item.org_id],
        )
        tz = ctx.tz(item.org_id)
        if item.kind == "followup" and not is_open(settings, self.clock(), tz):
            self.put_back(
                [item],
                first_due(settings, self.clock(), tz),
                {item.conversation_id: item.id if release else -1},
            )
            return
        history = ctx.history[item.conversation_id]
        brief = Brief(
            org_name=org.name,
            first_name=lead.first_name,
            goal=settings.goal,
            tone=settings.tone,
            language=settings.language,
            kind=item.kind,
            history=tuple(history),
        )
        sender = self.channel(item.org_id)
        with Session(self.engine) as session:
            written = write_message(session, item.org_id, brief, now=self.clock())
            text = written.data["message"].strip()
            message = delivery.OutgoingMessage(
                channel="whatsapp",
                to=lead.phone,
                text=text,
                org_id=item.org_id,
                purpose="auto_reply" if item.kind == "reply" else "coach",
                status_callback=delivery.coach_status_callback_url(item.id),
            )
            if sender.provider == "outbox":
                receipt = sender.send(
                    message, session=session
                )  # joins the transaction that records it
            else:
                session.commit()  # the AI call is kept; no transaction stays open while Twilio answers
                receipt = sender.send(message)
                begin_write(session)
            message_id = self.record(session, item, text, receipt, written.provider, "sent")
            ours = self.finish(
                item,
                "sent",
                release,
                session=session,
                message_id=message_id,
                lead=lead,
                settings=settings,
                tz=tz,
            )
            if not ours and sender.provider == "outbox":
                # Taken over while we wrote: drop our outbox row with the rest, so the
                # new holder's message is the only one. (A Twilio send has happened by
                # now and is recorded as what it was.)
                session.rollback()
                self.result.note("A follow-up was taken over by another worker; it sends it.")
                return
            session.commit()
        ctx.history[item.conversation_id] = [*history, Turn("out", text)][-HISTORY_MESSAGES:]
        self.result.count(item.org_id, "replies" if item.kind == "reply" else "sent")


def process_due(
    app: Flask,
    *,
    now: datetime,
    owner: str | None = None,
    deadline: float | None = None,
    org_id: int | None = None,
    only: list[int] | None = None,
    limit: int | None = None,
) -> CoachResult:
    """Write and send the coach's due follow-ups and replies (one workspace with `org_id`, the
    follow-ups `only` when given), until none is due or `deadline` (time.monotonic()) passes.

    Call with no transaction open in the app's session: every step commits its own.
    """
    with app.app_context():
        return _Run(app, owner=owner, now=now, deadline=deadline).run(
            org_id=org_id, only=only, limit=limit
        )
