"""Sending the coach's follow-ups: the "coach.followup" job kind and `process_due`, the
entry point behind the 15-minute job, auto-reply and "Send follow-up now".

Each follow-up to send is a job of the work engine (coach/work.py queues them), so leases,
attempts, lock keys (one conversation, one worker) and "a dead worker's job is taken over
when its lease expires" are the engine's. `process_due` runs due coach jobs through
`queue.run_due` batch by batch (COACH_BATCH_SIZE, default 200):

1. `prepare` (once per claimed batch) loads the batch's follow-ups, contacts, workspaces,
   settings and the conversations' last messages with one query each, and paces the batch
   (Twilio's per-minute token buckets; the rest wait for their turn);
2. `send_followup` (per job): skip (opted out, left the audience, no number, auto-reply
   off) with the reason; wait for the window; write the message through the AI layer with
   the conversation's history; send it on the workspace's WhatsApp channel with no
   transaction open (an outbox row instead joins the transaction that records it); then
   return Done whose `apply` records the message, finishes the follow-up and schedules the
   next one — committed by the engine with the job's completion, under the lease check.

Errors: the kind's policy retries retryable classes until 3 attempts; anything else (an
unexpected exception too: one follow-up's bug must not stop the others) fails with its
class. `on_failed` mirrors each failed attempt on the follow-up: its next try, or, failed
for good, a failed message, the follow-up failed and the next regular one scheduled. An
open circuit puts the follow-up back at the breaker's retry time, not spending an attempt.
A worker whose lease passed to another records nothing (with the outbox, nothing of it is
kept). A WhatsApp message Twilio accepted just before the worker died is sent again by the
next one: Twilio has no idempotency key. At the end one activity row per workspace sums up
the run; each failure has its own.
"""

from __future__ import annotations

import logging
import os
import socket
import uuid
from datetime import datetime
from functools import partial

from flask import Flask
from sqlalchemy import exists, or_, select
from sqlalchemy.orm import Session

from webapp import queue
from webapp.core import clock as app_clock
from webapp.integrations import delivery
from webapp.integrations.resilience import (
    RETRYABLE,
    CircuitOpen,
    IntegrationError,
    classify_exception,
)
from webapp.models import (
    CoachFollowup,
    CoachSettings,
    Lead,
    Organization,
)
from webapp.models.queue import QueuedJob
from webapp.services.coach import outcomes
from webapp.services.coach.batch import RUN, Batch, Run, prepare, running
from webapp.services.coach.outcomes import CoachResult
from webapp.services.coach.schedule import AUDIENCES, contact_zone, first_due, is_open
from webapp.services.coach.work import KIND, MAX_ATTEMPTS, job_key
from webapp.services.coach.writer import HISTORY_MESSAGES, Brief, Turn, write_message
from webapp.services.messaging import quiet_until

__all__ = ["CoachResult", "process_due"]

log = logging.getLogger(__name__)

LEASE_SECONDS = 300
TIME_BUDGET = "Stopped at the time budget; the rest goes out on the next run."


def _setting(app: Flask, name: str, default: int) -> int:
    value = app.config.get(name)
    return int(value) if value else default


# --- one follow-up ------------------------------------------------------------------------------


def skip_reason(item: CoachFollowup, batch: Batch) -> tuple[str, str | None] | None:
    """(reason, new conversation status) when the follow-up must not be sent; else None."""
    lead = batch.leads.get(item.lead_id)
    settings = batch.settings.get(item.org_id)
    if lead is None:
        return "The contact was deleted.", "stopped"
    if lead.id in batch.blocked:  # opted out of WhatsApp (or everything), or suppressed
        return batch.blocked[lead.id], "opted_out"
    if not lead.phone:
        return "The contact has no phone number.", "stopped"
    if settings is None or not settings.enabled:
        return "The coach is switched off.", None
    if item.kind == "reply":
        return None if settings.auto_reply else ("Auto-reply is off.", None)
    if lead.id not in batch.consented:
        return "The contact has not agreed to WhatsApp messages.", "stopped"
    statuses = AUDIENCES.get(settings.audience)
    if statuses and lead.status not in statuses:
        return (
            f"The contact is no longer in the coach's audience (status {lead.status}).",
            "stopped",
        )
    return None


def _defer(run: Run, item: CoachFollowup, at: datetime, reason: str) -> queue.RetryAt:
    """Back to pending at `at` without spending an attempt; the follow-up shows the time."""

    def apply(session: Session) -> None:
        outcomes.move_due(session, item.id, at, run.clock())
        run.result.deferred += 1

    return queue.RetryAt(at, reason, apply)


def send_followup(job: QueuedJob, ctx: queue.JobContext) -> queue.Outcome:
    batch: Batch = ctx.batch
    run = batch.run
    item = batch.followups.get(job.payload.get("followup_id"))
    if item is None or item.status not in ("pending", "processing"):
        return queue.Done({"note": "the follow-up is gone or already finished"})
    if run.out_of_time():
        run.result.note(TIME_BUDGET)
        return queue.RetryAt(job.run_at, TIME_BUDGET)
    if item.id in batch.waits:
        return _defer(run, item, batch.waits[item.id], "Paced: waits for its turn.")
    skip = skip_reason(item, batch)
    if skip is not None:
        return queue.Done({"status": "skipped"}, partial(_skipped, run, item, *skip))
    settings = batch.settings[item.org_id]
    tz = batch.tz(item)
    if item.kind == "followup" and not is_open(settings, run.clock(), tz):
        return _defer(run, item, first_due(settings, run.clock(), tz), "Outside the window.")
    if item.kind == "followup":  # a reply answers the contact's own message: it may go now
        held = quiet_until(batch.leads[item.lead_id], batch.orgs[item.org_id], run.clock())
        if held is not None:
            return _defer(run, item, *held)  # the contact's night (messaging/quiet_hours.py)
    try:
        return _send(item, batch)
    except CircuitOpen as exc:
        run.result.note(f"WhatsApp delivery is paused after repeated failures: {exc}")
        return _defer(run, item, exc.retry_at, str(exc))
    except Exception as exc:  # one follow-up's bug must not stop the others
        if not isinstance(exc, IntegrationError):
            log.exception("coach follow-up %s failed unexpectedly", item.id)
        error = classify_exception(exc)
        return queue.Failed(
            str(error)[:1000],
            str(error.error_class),
            retryable=error.retryable,
            retry_after=error.retry_after,
        )


def _skipped(
    run: Run, item: CoachFollowup, reason: str, conversation: str | None, session: Session
) -> None:
    outcomes.finish(
        session, item, "skipped", now=run.clock(), error=reason, conversation_status=conversation
    )
    run.result.count(item.org_id, "skipped")


def _send(item: CoachFollowup, batch: Batch) -> queue.Done:
    """Write the message (the AI call is kept on its own) and send it on WhatsApp, with no
    transaction open; the Done's apply records it all."""
    run = batch.run
    settings, lead, org = (
        batch.settings[item.org_id],
        batch.leads[item.lead_id],
        batch.orgs[item.org_id],
    )
    history = batch.history[item.conversation_id]
    brief = Brief(
        org_name=org.name,
        first_name=lead.first_name,
        goal=settings.goal,
        tone=settings.tone,
        language=settings.language,
        kind=item.kind,
        history=tuple(history),
    )
    sender = run.channel(item.org_id)
    with Session(run.engine) as session:
        written = write_message(session, item.org_id, brief, now=run.clock())
        session.commit()  # the AI call is kept whatever happens to the send
    text = written.data["message"].strip()
    message = delivery.OutgoingMessage(
        channel="whatsapp",
        to=lead.phone,
        text=text,
        org_id=item.org_id,
        purpose="auto_reply" if item.kind == "reply" else "coach",
        status_callback=delivery.coach_status_callback_url(item.id),
    )
    receipt = None if sender.provider == "outbox" else sender.send(message)

    def apply(session: Session) -> None:
        # An outbox row joins this transaction: a lost lease keeps none of it.
        sent = receipt or sender.send(message, session=session)
        now = run.clock()
        message_id = outcomes.record_message(
            session, item, text, sent, written.provider, "sent", now=now
        )
        outcomes.finish(
            session,
            item,
            "sent",
            now=now,
            message_id=message_id,
            settings=settings,
            tz=batch.tz(item),
        )
        batch.history[item.conversation_id] = [*history, Turn("out", text)][-HISTORY_MESSAGES:]
        run.result.count(item.org_id, "replies" if item.kind == "reply" else "sent")

    # Twilio has no idempotency key: a message it accepted is recorded before the next goes.
    return queue.Done({"status": "sent"}, apply, record_now=receipt is not None)


def on_failed(session: Session, job: QueuedJob, failure: queue.Failed) -> None:
    """Mirror a failed attempt on the follow-up: its next try, or failed for good."""
    run = RUN.get()
    now = run.clock() if run is not None else app_clock.now()
    item = session.get(CoachFollowup, job.payload.get("followup_id"))
    if item is None or item.status not in ("pending", "processing"):
        return
    if job.status == "pending":
        outcomes.record_retry(
            session,
            item.id,
            attempts=job.attempts,
            due=job.run_at,
            error=failure.error,
            error_class=failure.error_class,
            now=now,
        )
    else:
        _fail_for_good(session, item, failure.error, failure.error_class, job.attempts, now)
    if run is not None:
        run.result.count(item.org_id, "retried" if job.status == "pending" else "failed")


def _fail_for_good(
    session: Session,
    item: CoachFollowup,
    error: str,
    error_class: str,
    attempts: int,
    now: datetime,
) -> None:
    settings = session.scalar(select(CoachSettings).where(CoachSettings.org_id == item.org_id))
    org = session.get(Organization, item.org_id)
    lead = session.get(Lead, item.lead_id)
    tz = contact_zone(
        lead.timezone if lead is not None else None,
        lead.phone if lead is not None else None,
        org.timezone if org is not None else None,
    )
    outcomes.record_failure(
        session,
        item,
        error=error,
        error_class=error_class,
        attempts=attempts,
        lead=lead,
        settings=settings,
        tz=tz,
        now=now,
    )


queue.register(
    KIND,
    max_attempts=MAX_ATTEMPTS,
    lease_seconds=LEASE_SECONDS,
    retryable=frozenset(str(c) for c in RETRYABLE),
    prepare=prepare,
    on_failed=on_failed,
)(send_followup)


# --- the entry point ----------------------------------------------------------------------------


def _switched_on():
    """Claim only the jobs of workspaces whose coach is on (replies: with auto-reply on);
    the others wait, pending, as their follow-ups do."""
    return exists().where(
        CoachSettings.org_id == QueuedJob.org_id,
        CoachSettings.enabled.is_(True),
        or_(
            ~QueuedJob.idempotency_key.startswith("coach:reply:"),
            CoachSettings.auto_reply.is_(True),
        ),
    )


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
        run = Run(app, now=now, deadline=deadline)
        owner = owner or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        batch_size = min(max(_setting(app, "COACH_BATCH_SIZE", 200), 1), 1000)
        where = [_switched_on()]
        if only is not None:
            keys = [job_key(kind, i) for i in only for kind in ("followup", "reply")]
            where.append(QueuedJob.idempotency_key.in_(keys))
        with running(run):
            while limit is None or limit > 0:
                if run.out_of_time():
                    run.result.note(TIME_BUDGET)
                    break
                size = batch_size if limit is None else min(batch_size, limit)
                done = queue.run_due(
                    run.engine,
                    kinds=[KIND],
                    owner=owner,
                    clock=run.clock,
                    batch_size=size,
                    org_id=org_id,
                    where=where,
                    deadline=deadline,
                    max_batches=1,
                )
                if not done.claimed:
                    if run.out_of_time():
                        run.result.note(TIME_BUDGET)
                    break
                run.result.batches += 1
                if limit is not None:
                    limit -= done.claimed
        outcomes.summarise(run.engine, run.result, run.clock())
        return run.result
