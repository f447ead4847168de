"""Sending what is due: the dispatcher behind `process_due`.

One batch at a time (AUTOMATION_BATCH_SIZE, default 100):

1. claim the batch from the queue and commit at once (the lease is the lock; no
   transaction stays open);
2. load the batch's sends, contacts, steps, enrolments, campaigns and workspaces with one
   query each;
3. pace: take tokens for the batch per provider and per workspace; jobs beyond the grant
   go back to pending at the time their token will be there (not an attempt, not a failure);
4. open ONE channel per (workspace, channel) and, for each message: skip (cancel with the
   reason) when the contact unsubscribed or its sequence stopped; render; send with no
   transaction open; then mark THAT job completed, record the Send and queue the next step
   (or complete the enrolment) in one short transaction and commit — each message on its
   own, so a crash loses at most the message in flight, which is re-sent with the same
   Message-ID. Over SMTP that transaction runs while the server answers the next
   message's MAIL FROM (the round trip would otherwise be idle), and always before the
   next message itself goes.

A failure is classified by the adapter: retryable classes back off (queue.fail), others
fail at once. An open circuit sends nothing and puts the batch's remaining jobs back until
the breaker's retry time without spending their attempts.

Attempts: the batch is claimed unstarted (`claim(start=False)`); a message's attempt is
counted as its sending begins, in the previous message's acknowledgement (no extra
statement), so a sender killed in a crash loop charges the message in flight only. A run
first fails its kind's jobs whose sender died on their last attempt, with their Sends and
enrolments (messaging/dispatch_recovery.py), and a lost database connection costs it one
batch, not the run.
"""

from __future__ import annotations

import os
import socket
import time
import uuid
from collections import defaultdict
from collections.abc import Callable
from contextlib import ExitStack
from datetime import datetime, timedelta

from flask import Flask, current_app, has_app_context
from sqlalchemy import select
from sqlalchemy.orm import Session

from webapp import queue
from webapp.core.config import env_int
from webapp.core.extensions import db
from webapp.integrations import delivery
from webapp.integrations.resilience import CircuitOpen, IntegrationError
from webapp.models import QueuedJob
from webapp.models.sequence import Send
from webapp.services.connections import open_channel
from webapp.services.messaging.dispatch_acks import Acknowledging
from webapp.services.messaging.dispatch_batch import Batch, Screening
from webapp.services.messaging.dispatch_compose import Composing
from webapp.services.messaging.dispatch_pacing import Pacing
from webapp.services.messaging.dispatch_recovery import Reconnecting
from webapp.services.messaging.dispatch_sql import start, write_transaction
from webapp.services.messaging.dispatch_texts import Texting
from webapp.services.messaging.step_jobs import KIND, ProcessResult
from webapp.services.messaging.tracking import LinkMaker


def setting(app: Flask, name: str, default: int) -> int:
    """A dispatcher setting from the app's config, else the environment, else the default."""
    value = app.config.get(name)
    return int(value) if value is not None else env_int(name, default, minimum=1)


class Dispatcher(Screening, Pacing, Acknowledging, Reconnecting, Texting, Composing):
    """Sends due sequence messages for one call of `process_due`.

    The loop and the sending are here; the checks before sending (`Screening`,
    messaging/dispatch_batch.py), pacing and leases (`Pacing`, messaging/dispatch_pacing.py)
    the recording of outcomes (`Acknowledging`, messaging/dispatch_acks.py) and the rules for
    texts (`Texting`, messaging/dispatch_texts.py) and the making of each message
    (`Composing`, messaging/dispatch_compose.py) are its parts,
    mixed in so the per-message path makes exactly the calls it made as one class.
    """

    def __init__(self, app: Flask, *, owner: str | None, clock: Callable[[], datetime]) -> None:
        self.app = app
        self.engine = db.engine
        self.clock = clock
        self.owner = owner or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.batch_size = min(max(setting(app, "AUTOMATION_BATCH_SIZE", 100), 1), 500)
        self.lease_seconds = setting(app, "AUTOMATION_LEASE_SECONDS", 120)
        public = app.config.get("PUBLIC_URL") or "http://127.0.0.1:8000"
        self.links = LinkMaker(public, app.config["SECRET_KEY"])
        self.per_campaign: dict[tuple[int, int], ProcessResult] = defaultdict(ProcessResult)
        self.timeline: list[dict] = []
        self.leased: list[QueuedJob] = []  # the batch in hand
        self.started: set[int] = set()  # its jobs whose attempt is counted (sending began)
        self.unacked: Callable[[], None] | None = None  # a sent message not yet recorded
        self.batch_result = ProcessResult()
        self.list_headers: dict[tuple[int, str], dict] = {}  # per campaign and From domain

    # --- the loop -----------------------------------------------------------------------------

    def run(
        self,
        *,
        now: datetime,
        conditions: list,
        org_id: int | None,
        limit: int | None,
        deadline: float | None,
    ) -> ProcessResult:
        result = ProcessResult()
        self.settle(max(now, self.clock()))
        with ExitStack() as self.open:  # connections kept for the whole run, closed at its end
            self.conn = self.open.enter_context(self.bookkeeping())
            self.channels: dict[tuple[int, str], delivery.ChannelSender] = {}
            self.loop(
                result,
                now=now,
                conditions=conditions,
                org_id=org_id,
                limit=limit,
                deadline=deadline,
            )
        return result

    def channel(self, org_id: int, channel: str) -> delivery.ChannelSender:
        """The (workspace, channel) sender of this run: one SMTP connection serves every batch."""
        key = (org_id, channel)
        if key not in self.channels:
            self.channels[key] = self.open.enter_context(
                open_channel(org_id, channel, engine=self.engine, clock=self.clock)
            )
        return self.channels[key]

    def loop(
        self,
        result: ProcessResult,
        *,
        now: datetime,
        conditions: list,
        org_id: int | None,
        limit: int | None,
        deadline: float | None,
    ) -> None:
        lost = 0  # lost connections since the last whole batch
        while limit is None or limit > 0:
            if deadline is not None and time.monotonic() >= deadline:
                result.details.append(
                    "Stopped at the time budget; the rest is sent on the next run."
                )
                break
            size = self.batch_size if limit is None else min(self.batch_size, limit)
            try:
                claimed, batch_result = self.batch(
                    now=now, conditions=conditions, org_id=org_id, size=size
                )
            except Exception as exc:
                if not queue.lost_connection(exc):
                    raise
                # A lost connection costs this batch only (messaging/dispatch_recovery.py).
                lost += 1
                if limit is not None:
                    limit -= len(self.leased)
                self.reconnect(exc, lost)  # records the message sent before the loss, too
                result.add(self.batch_result)
                continue
            lost = 0
            if not claimed:
                break
            result.add(batch_result)
            if limit is not None:
                limit -= claimed
            if batch_result.deferred >= claimed:
                break  # everything went back for later: nothing more can go out now

    def batch(
        self, *, now: datetime, conditions: list, org_id: int | None, size: int
    ) -> tuple[int, ProcessResult]:
        self.batch_result = result = ProcessResult(batches=1)
        self.leased, self.started = [], set()
        with Session(self.engine) as session:
            # `now` says what is due; a long run's later batches must still lease from the
            # present moment, or their leases would be born expired and another worker
            # would take the same jobs.
            jobs = queue.claim(
                session,
                self.owner,
                now=max(now, self.clock()),
                limit=size,
                lease_seconds=self.lease_seconds,
                kinds=[KIND],
                org_id=org_id,
                where=conditions,
                start=False,  # each job's attempt counts when its sending begins
            )
            session.commit()
            self.leased = jobs
            if not jobs:
                return 0, result
            ctx = Batch(session, jobs, self.links.base)
            session.commit()
        self.leased_at = time.monotonic()
        groups: dict[tuple[int, str], list[QueuedJob]] = defaultdict(list)
        for job in jobs:
            if self.skip(job, ctx, result, now=now):
                continue
            send = ctx.sends[job.id]
            groups[(send.org_id, send.channel)].append(job)
        for (group_org, channel), group in groups.items():
            self.send_group(group_org, channel, group, ctx, result)
        return len(jobs), result

    # --- sending ------------------------------------------------------------------------------------

    def send_group(
        self, org_id: int, channel: str, jobs: list[QueuedJob], ctx: Batch, result: ProcessResult
    ) -> None:
        sender = self.channel(org_id, channel)
        jobs = self.pace(sender, jobs, result)
        if not jobs:
            return
        try:
            self.send_each(sender, channel, jobs, ctx, result)
            self.record_unacked()
        except BaseException as exc:
            # A failure while the next message was being made must not lose the record of
            # the one sent; a lost connection leaves it to `recover`.
            if self.unacked is not None and not queue.lost_connection(exc):
                self.record_unacked()
            raise
        finally:
            self.write_timeline(self.conn)

    def send_each(
        self, sender, channel: str, jobs: list[QueuedJob], ctx: Batch, result: ProcessResult
    ) -> None:
        conn, outboxed = self.conn, sender.provider == "outbox"
        # Over SMTP a sent message is recorded while the server answers the next one's
        # MAIL FROM (SmtpConnection.send's `meanwhile`), still before that one goes.
        overlap = channel == "email" and not outboxed
        for index, job in enumerate(jobs):
            self.keep_lease(jobs[index:])
            composed = self.compose(job, sender, ctx, result)
            if composed is None:
                continue  # held (WhatsApp's 24-hour window, no template)
            send, step, lead, rendered, message = composed
            if job.id not in self.started:
                self.start(job)
            # The next job's attempt is counted in this one's acknowledgement.
            following = jobs[index + 1].id if index + 1 < len(jobs) else None
            made = (job, send, step, lead, ctx, rendered)
            try:
                if outboxed or job.test_mode:
                    self.record_unacked()
                    # The outbox row joins the transaction that marks the job: one commit.
                    with conn.begin(), Session(bind=conn) as session:
                        receipt = sender.send(message, session=session)
                        self.mark_sent(conn, *made, receipt, result, following)
                    continue
                # No transaction is open here.
                receipt = sender.send(message, meanwhile=self.record_unacked)
            except CircuitOpen as exc:
                self.record_unacked()
                self.put_back(jobs[index:], exc, channel, ctx, result)
                break
            except IntegrationError as exc:
                self.record_unacked()
                receipt = self.maybe_sent_anyway(sender, message, exc)
                if receipt is None:
                    self.record_failure(job, send, step, exc, result)
                    continue
            self.record_unacked()  # when the sender had no round trip to do it in
            sent = (*made, receipt, result, following)
            self.unacked = lambda sent=sent: self.acknowledge_sent(*sent)
            if overlap and following is not None:
                self.started.add(following)  # by the acknowledgement, before it goes
            else:
                self.record_unacked()

    def put_back(self, jobs, exc: CircuitOpen, channel: str, ctx: Batch, result) -> None:
        """The breaker refuses calls: the rest of the group waits for it, no attempt spent,
        and a hold's reason is shown with each message."""
        self.release(jobs, lambda _i, at=exc.retry_at: at, result, exc.held)
        if exc.held:
            self.note_held([ctx.sends[j.id].id for j in jobs], exc.held, str(exc.error_class))
            result.details.append(f"{channel} delivery is held: {exc}")
        else:
            # The breaker's own message says why (failures, or mail held for an http
            # PUBLIC_URL: integrations.delivery.SendingHeld).
            result.details.append(f"{channel} delivery is paused: {exc}")

    def start(self, job: QueuedJob) -> None:
        """Count the attempt of a job whose sending begins (when no acknowledgement did)."""
        with write_transaction(self.conn, one_statement=True):
            start(self.conn, job.id, self.owner, self.clock())
        self.started.add(job.id)

    def record_unacked(self) -> None:
        """Acknowledge the sent message not recorded yet, if any. Left in `unacked` when
        that fails, for `recover` to record after a lost connection."""
        if self.unacked is not None:
            self.unacked()
            self.unacked = None

    def acknowledge_sent(self, job, send, step, lead, ctx, rendered, receipt, result, following):
        """Record a sent message on the bookkeeping connection: one statement on PostgreSQL."""
        with write_transaction(self.conn, one_statement=True):
            self.mark_sent(
                self.conn, job, send, step, lead, ctx, rendered, receipt, result, following
            )

    def maybe_sent_anyway(self, sender, message, exc: IntegrationError):
        """After an ambiguous failure (a timeout after Twilio may have taken it), ask."""
        if not getattr(exc, "ambiguous", False):
            return None
        try:
            return sender.already_sent(message, since=self.clock() - timedelta(minutes=10))
        except IntegrationError:
            return None


def process_due(
    app_or_engine=None,
    *,
    org_id: int | None = None,
    campaign_id: int | None = None,
    test_mode: bool | None = False,
    now: datetime,
    limit: int | None = None,
    job_ids: list[int] | None = None,
    owner: str | None = None,
    clock: Callable[[], datetime] | None = None,
    deadline: float | None = None,
) -> ProcessResult:
    """Send the sequence messages due at `now`, batch by batch, each marked on its own.

    `test_mode` True takes only test messages, False only real ones, None both. `limit`
    caps how many jobs are claimed; `deadline` (time.monotonic()) stops between batches.
    Opens its own short transactions and commits them; call it with no transaction open.
    """
    app = app_or_engine if isinstance(app_or_engine, Flask) else current_app._get_current_object()
    if not has_app_context():
        with app.app_context():
            return process_due(
                app,
                org_id=org_id,
                campaign_id=campaign_id,
                test_mode=test_mode,
                now=now,
                limit=limit,
                job_ids=job_ids,
                owner=owner,
                clock=clock,
                deadline=deadline,
            )
    from webapp.core import clock as app_clock

    conditions: list = []
    if test_mode is not None:
        conditions.append(QueuedJob.test_mode.is_(test_mode))
    if campaign_id is not None:
        conditions.append(
            QueuedJob.id.in_(
                select(Send.queued_job_id).where(
                    Send.campaign_id == campaign_id, Send.status == "queued"
                )
            )
        )
    if job_ids is not None:
        conditions.append(QueuedJob.id.in_(list(job_ids)))
    dispatcher = Dispatcher(app, owner=owner, clock=clock or app_clock.now)
    result = dispatcher.run(
        now=now, conditions=conditions, org_id=org_id, limit=limit, deadline=deadline
    )
    dispatcher.explain(now=now)
    return result
