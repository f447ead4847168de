"""Sending what is due: the dispatcher behind `automation.process_due`.

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
   Message-ID.

A failure is classified by the adapter: retryable classes back off (queue.fail), others
fail at once. An open circuit sends nothing and puts the batch's remaining jobs back until
the breaker's retry time without spending their attempts.
"""

from __future__ import annotations

import os
import socket
import time
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from flask import Flask, current_app, has_app_context
from sqlalchemy import insert, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from webapp import queue
from webapp.config import env_int
from webapp.db_setup import IMMEDIATE, begin_write
from webapp.extensions import db
from webapp.integrations import delivery
from webapp.integrations.email import message_id_for
from webapp.integrations.resilience import CircuitOpen, IntegrationError, take_tokens
from webapp.models import Campaign, Lead, LeadEvent, Organization, QueuedJob
from webapp.models.sequence import Enrollment, Send, SequenceStep
from webapp.services.activity import log_activity
from webapp.services.automation import KIND, MAX_ATTEMPTS, ProcessResult, idempotency_key
from webapp.services.dispatch_sql import NextStep, acknowledge, skip_step, write_transaction
from webapp.services.send_windows import next_allowed, schedule_zone
from webapp.services.sequences import step_delay
from webapp.services.templating import render_step, variables_for
from webapp.services.tracking import LinkMaker

CHANNEL_WORDS = {"email": "email", "sms": "SMS", "whatsapp": "WhatsApp"}
PAUSED_RETRY = timedelta(minutes=15)  # a paused sequence's due messages are looked at again then


def setting(app: Flask, name: str, default: int) -> int:
    """A dispatcher setting from the app's config, else the environment, else the default."""
    value = app.config.get(name)
    return int(value) if value is not None else env_int(name, default, minimum=1)


class _Batch:
    """What a batch needs, loaded with one query per table, detached from any session."""

    def __init__(self, session: Session, jobs: list[QueuedJob]) -> None:
        ids = [job.id for job in jobs]
        self.sends = {s.queued_job_id: s for s in session.scalars(select(Send).where(Send.queued_job_id.in_(ids)))}
        sends = list(self.sends.values())
        self.leads = _by_id(session, Lead, {s.lead_id for s in sends})
        self.enrollments = _by_id(session, Enrollment, {s.enrollment_id for s in sends})
        self.campaigns = _by_id(session, Campaign, {s.campaign_id for s in sends})
        self.orgs = _by_id(session, Organization, {c.org_id for c in self.campaigns.values()})
        self.steps: dict[int, list[SequenceStep]] = defaultdict(list)
        if self.campaigns:
            for step in session.scalars(
                select(SequenceStep).where(SequenceStep.campaign_id.in_(list(self.campaigns)))
                .order_by(SequenceStep.campaign_id, SequenceStep.position, SequenceStep.id)
            ):
                self.steps[step.campaign_id].append(step)
        self.step_by_id = {step.id: step for steps in self.steps.values() for step in steps}
        session.expunge_all()

    def next_step(self, step: SequenceStep) -> SequenceStep | None:
        return next((s for s in self.steps[step.campaign_id] if s.position > step.position), None)


def _by_id(session: Session, model: type, ids: set[int]) -> dict:
    if not ids:
        return {}
    return {row.id: row for row in session.scalars(select(model).where(model.id.in_(list(ids))))}


class Dispatcher:
    """Sends due sequence messages for one call of `process_due`."""

    def __init__(self, app: Flask, *, owner: str | None, clock: Callable[[], datetime]) -> None:
        self.app = app
        self.engine = db.engine
        self.clock = clock
        self.owner = owner or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.batch_size = min(max(setting(app, "AUTOMATION_BATCH_SIZE", 100), 1), 500)
        self.lease_seconds = setting(app, "AUTOMATION_LEASE_SECONDS", 120)
        public = app.config.get("PUBLIC_URL") or "http://127.0.0.1:8000"
        self.links = LinkMaker(public, app.config["SECRET_KEY"])
        self.host = urlsplit(public).hostname or "localhost"
        self.per_campaign: dict[tuple[int, int], ProcessResult] = defaultdict(ProcessResult)
        self.timeline: list[dict] = []

    # --- the loop -----------------------------------------------------------------------------

    def run(self, *, now: datetime, conditions: list, org_id: int | None, limit: int | None,
            deadline: float | None) -> ProcessResult:
        result = ProcessResult()
        with ExitStack() as self.open:  # connections kept for the whole run, closed at its end
            self.conn = self.open.enter_context(self.bookkeeping())
            self.channels: dict[tuple[int, str], delivery.ChannelSender] = {}
            self.loop(result, now=now, conditions=conditions, org_id=org_id, limit=limit, deadline=deadline)
        return result

    def channel(self, org_id: int, channel: str) -> delivery.ChannelSender:
        """The (workspace, channel) sender of this run: one SMTP connection serves every batch."""
        key = (org_id, channel)
        if key not in self.channels:
            self.channels[key] = self.open.enter_context(
                delivery.open_channel(org_id, channel, engine=self.engine, clock=self.clock))
        return self.channels[key]

    def loop(self, result: ProcessResult, *, now: datetime, conditions: list, org_id: int | None,
             limit: int | None, deadline: float | None) -> None:
        while limit is None or limit > 0:
            if deadline is not None and time.monotonic() >= deadline:
                result.details.append("Stopped at the time budget; the rest is sent on the next run.")
                break
            size = self.batch_size if limit is None else min(self.batch_size, limit)
            claimed, batch_result = self.batch(now=now, conditions=conditions, org_id=org_id, size=size)
            if not claimed:
                break
            result.add(batch_result)
            if limit is not None:
                limit -= claimed
            if batch_result.deferred >= claimed:
                break  # everything went back for later: nothing more can go out now

    def batch(self, *, now: datetime, conditions: list, org_id: int | None, size: int) -> tuple[int, ProcessResult]:
        result = ProcessResult(batches=1)
        with Session(self.engine) as session:
            # `now` says what is due; a long run's later batches must still lease from the
            # present moment, or their leases would be born expired and another worker
            # would take the same jobs.
            jobs = queue.claim(session, self.owner, now=max(now, self.clock()), limit=size,
                               lease_seconds=self.lease_seconds,
                               kinds=[KIND], org_id=org_id, where=conditions)
            session.commit()
            if not jobs:
                return 0, result
            ctx = _Batch(session, jobs)
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

    # --- before sending ---------------------------------------------------------------------------

    def skip(self, job: QueuedJob, ctx: _Batch, result: ProcessResult, *, now: datetime) -> bool:
        """Cancel or put back a job that must not be sent now. True when it was handled."""
        send = ctx.sends.get(job.id)
        if send is None:
            self.finish_cancelled(job, None, "Its message no longer exists (the step was deleted).", result)
            return True
        lead = ctx.leads.get(send.lead_id)
        enrollment = ctx.enrollments.get(send.enrollment_id)
        campaign = ctx.campaigns.get(send.campaign_id)
        if lead is None or enrollment is None or campaign is None or send.step_id not in ctx.step_by_id:
            self.finish_cancelled(job, send, "The contact, step or sequence was deleted.", result)
            return True
        if lead.unsubscribed_at is not None:
            self.finish_cancelled(job, send, f"The contact unsubscribed on {lead.unsubscribed_at:%Y-%m-%d}.", result,
                                  stop_enrollment=True)
            return True
        if enrollment.status == "stopped":
            self.finish_cancelled(job, send, f"The contact's sequence was stopped: {enrollment.stopped_reason or 'by hand'}",
                                  result)
            return True
        if send.status in ("sent", "delivered"):
            # Recorded as sent by a worker whose acknowledgement of the job was lost.
            self.finish_completed(job, send, result)
            return True
        if send.status != "queued":
            self.finish_cancelled(job, send, send.error or f"The message is {send.status}.", result)
            return True
        if campaign.status != "active" and not job.test_mode:
            self.release([job], lambda _i: now + PAUSED_RETRY, result)
            line = f"“{campaign.name}” is {campaign.status}; its messages wait until it is active."
            if line not in result.details:
                result.details.append(line)
            return True
        step = ctx.step_by_id[send.step_id]
        if not ((lead.email if step.channel == "email" else lead.phone) or "").strip():
            self.pass_over(job, send, step, lead, ctx, result)
            return True
        return False

    def pass_over(self, job: QueuedJob, send: Send, step: SequenceStep, lead: Lead, ctx: _Batch,
                  result: ProcessResult) -> None:
        """A step on a channel the contact has no address for is skipped; the sequence goes on."""
        at = self.clock()
        campaign = ctx.campaigns[send.campaign_id]
        following = ctx.next_step(step)
        what = "email address" if step.channel == "email" else "phone number"
        with write_transaction(self.conn):
            skip_step(
                self.conn, job_id=job.id, owner=self.owner, send_id=send.id, enrollment_id=send.enrollment_id, at=at,
                reason=f"Skipped: the contact has no {what} for this {CHANNEL_WORDS[step.channel]} step.",
                org_id=send.org_id, campaign_id=campaign.id, lead_id=lead.id, test_mode=job.test_mode,
                next_step=self.next_step(campaign, following, send, lead, ctx, at) if following else None,
            )
        result.cancelled += 1
        self.per_campaign[(send.org_id, send.campaign_id)].cancelled += 1

    def pace(self, sender: delivery.ChannelSender, jobs: list[QueuedJob], result: ProcessResult) -> list[QueuedJob]:
        """The jobs the token buckets allow now; the rest go back to when their token comes."""
        org_id, channel = sender.org_id, sender.channel
        if all(job.test_mode for job in jobs) or sender.provider == "outbox":
            return jobs
        rate = delivery.rate_per_minute(channel)
        if rate <= 0:
            return jobs
        now = self.clock()
        real = [job for job in jobs if not job.test_mode]
        granted = len(real)
        for key in reversed(delivery.pacing_keys(org_id, channel, sender.provider)):  # the workspace's lane, then the provider's
            granted = take_tokens(self.engine, key, granted, per_minute=rate, now=now) if granted else 0
        allowed_ids = {job.id for job in real[:granted]}
        later = [job for job in real if job.id not in allowed_ids]
        if later:
            spacing = 60.0 / rate
            self.release(later, lambda i: now + timedelta(seconds=spacing * (i + 1)), result)
            result.details.append(
                f"{len(later)} {channel} message{'s' if len(later) != 1 else ''} paced to {rate:g} per minute; "
                "they wait for their turn."
            )
        return [job for job in jobs if job.test_mode or job.id in allowed_ids]

    # --- sending ------------------------------------------------------------------------------------

    def send_group(self, org_id: int, channel: str, jobs: list[QueuedJob], ctx: _Batch, result: ProcessResult) -> None:
        conn, sender = self.conn, self.channel(org_id, channel)
        jobs = self.pace(sender, jobs, result)
        if not jobs:
            return
        outboxed = sender.provider == "outbox"
        try:
            for index, job in enumerate(jobs):
                self.keep_lease(jobs[index:])
                send = ctx.sends[job.id]
                step = ctx.step_by_id[send.step_id]
                lead = ctx.leads[send.lead_id]
                org = ctx.orgs[send.org_id]
                rendered = render_step(step, lead, org, variables=variables_for(lead, org))
                message = self.message(job, send, step, lead, org, rendered)
                try:
                    if outboxed or job.test_mode:
                        # The outbox row joins the transaction that marks the job: one commit.
                        with conn.begin(), Session(bind=conn) as session:
                            receipt = sender.send(message, session=session)
                            self.mark_sent(conn, job, send, step, lead, ctx, rendered, receipt, result)
                        continue
                    receipt = sender.send(message)  # no transaction is open here
                except CircuitOpen as exc:
                    self.release(jobs[index:], lambda _i, at=exc.retry_at: at, result)
                    result.details.append(f"{channel} delivery is paused after repeated failures: {exc}")
                    break
                except IntegrationError as exc:
                    receipt = self.maybe_sent_anyway(sender, message, exc)
                    if receipt is None:
                        self.record_failure(job, send, step, exc, result)
                        continue
                with write_transaction(conn, one_statement=True):  # acknowledge: one statement on PostgreSQL
                    self.mark_sent(conn, job, send, step, lead, ctx, rendered, receipt, result)
        finally:
            self.write_timeline(conn)

    @contextmanager
    def bookkeeping(self) -> Iterator[Connection]:
        """One connection for a batch's per-message acknowledgements (write transactions).

        On PostgreSQL they commit without waiting for the WAL flush: a worker that dies
        loses nothing committed, and only a crash of the database server itself could
        forget the last moments of acknowledgements — those messages would be sent again
        with the same Message-ID, never lost.
        """
        with self.engine.connect() as conn:
            conn.execution_options(**{IMMEDIATE: True})
            postgres = conn.dialect.name == "postgresql"
            if postgres:
                conn.exec_driver_sql("SET synchronous_commit TO OFF")
                conn.commit()
            try:
                yield conn
            finally:
                if postgres and not conn.invalidated:
                    conn.rollback()
                    conn.exec_driver_sql("RESET synchronous_commit")
                    conn.commit()

    def message(self, job, send, step, lead, org, rendered) -> delivery.OutgoingMessage:  # noqa: ANN001
        to = lead.email if step.channel == "email" else lead.phone
        if step.channel == "email":
            decorated = self.links.decorate_email(send.id, rendered.text, rendered.html or "", org_name=org.name)
            return delivery.OutgoingMessage(
                channel="email", to=to or "", subject=rendered.subject, text=decorated.text, html=decorated.html,
                headers=decorated.headers, message_id=message_id_for(job.id, self.host), org_id=org.id,
                purpose="sequence", test_mode=job.test_mode,
            )
        return delivery.OutgoingMessage(
            channel=step.channel, to=to or "", text=rendered.text, org_id=org.id, purpose="sequence",
            status_callback=delivery.status_callback_url(send.id), test_mode=job.test_mode,
        )

    def maybe_sent_anyway(self, sender, message, exc: IntegrationError):  # noqa: ANN001, ANN201
        """After an ambiguous failure (a timeout after Twilio may have taken it), ask."""
        if not getattr(exc, "ambiguous", False):
            return None
        try:
            return sender.already_sent(message, since=self.clock() - timedelta(minutes=10))
        except IntegrationError:
            return None

    def keep_lease(self, remaining: list[QueuedJob]) -> None:
        """Renew the leases of a slow batch before they run out (a slow provider)."""
        if time.monotonic() - self.leased_at < self.lease_seconds / 3:
            return
        now = self.clock()
        with Session(self.engine) as session:
            begin_write(session)
            session.execute(
                update(QueuedJob)
                .where(QueuedJob.id.in_([job.id for job in remaining]), QueuedJob.status == "processing",
                       QueuedJob.lease_owner == self.owner)
                .values(lease_expires_at=now + timedelta(seconds=self.lease_seconds), updated_at=now)
                .execution_options(synchronize_session=False)
            )
            session.commit()
        self.leased_at = time.monotonic()

    # --- recording outcomes ---------------------------------------------------------------------------

    def mark_sent(self, conn: Connection, job, send, step, lead, ctx: _Batch, rendered, receipt, result) -> None:  # noqa: ANN001, PLR0913
        """Acknowledge one sent message in the caller's transaction: the job completed, the
        Send recorded, and the next step queued (or the enrolment completed)."""
        sent_at = self.clock()
        campaign = ctx.campaigns[send.campaign_id]
        following = ctx.next_step(step)
        acknowledge(
            conn, job_id=job.id, owner=self.owner, send_id=send.id, enrollment_id=send.enrollment_id, at=sent_at,
            provider=receipt.provider, provider_id=receipt.provider_message_id, message_id=receipt.message_id,
            subject=rendered.subject[:300], body=rendered.text,
            recipient=(lead.email if step.channel == "email" else lead.phone) or "",
            result={"send_id": send.id, "provider": receipt.provider, "by": self.owner}, org_id=send.org_id,
            campaign_id=campaign.id, lead_id=lead.id, test_mode=job.test_mode,
            next_step=self.next_step(campaign, following, send, lead, ctx, sent_at) if following else None,
        )
        what = f"“{rendered.subject}”" if step.channel == "email" else "SMS" if step.channel == "sms" else "WhatsApp"
        self.timeline.append({
            "org_id": send.org_id, "lead_id": lead.id, "type": "message_sent", "actor_id": None, "created_at": sent_at,
            "description": f"{'Test: ' if job.test_mode else ''}Step {step.position} of “{campaign.name}” sent ({what}).",
            "details": {"send_id": send.id, "campaign_id": campaign.id, "channel": step.channel,
                        "test_mode": job.test_mode},
        })
        result.sent += 1
        self.per_campaign[(send.org_id, send.campaign_id)].sent += 1

    def next_step(self, campaign, step, send, lead, ctx: _Batch, sent_at: datetime) -> NextStep:  # noqa: ANN001
        """The following step's queue entry: due after its delay, at the next opening of the window."""
        org = ctx.orgs[send.org_id]
        schedule = (campaign.settings or {}).get("schedule")
        run_at = next_allowed(sent_at + step_delay(step), schedule,
                              schedule_zone(schedule, org.timezone or "UTC", lead.timezone))
        return NextStep(
            step_id=step.id, key=idempotency_key(send.enrollment_id, step.id), run_at=run_at, kind=KIND,
            payload={"enrollment_id": send.enrollment_id, "step_id": step.id, "campaign_id": campaign.id},
            channel=step.channel, recipient=(lead.email if step.channel == "email" else lead.phone) or "",
            max_attempts=MAX_ATTEMPTS,
        )

    def write_timeline(self, conn: Connection) -> None:
        """The contacts' timeline rows of a group, in one statement after it."""
        if not self.timeline:
            return
        with conn.begin():
            conn.execute(insert(LeadEvent.__table__), self.timeline)
        self.timeline = []

    def record_failure(self, job, send, step, exc: IntegrationError, result: ProcessResult) -> None:  # noqa: ANN001
        now = self.clock()
        with Session(self.engine) as session:
            begin_write(session)
            status = queue.fail(session, job.id, self.owner, now=now, error=str(exc),
                                error_class=str(exc.error_class), retryable=exc.retryable,
                                retry_after=exc.retry_after)
            final = status == "failed"
            session.execute(
                update(Send).where(Send.id == send.id).values(
                    status="failed" if final else "queued", error=str(exc)[:2000], error_class=str(exc.error_class),
                ).execution_options(synchronize_session=False)
            )
            if final:
                reason = f"Step {step.position} could not be sent: {exc}"
                session.execute(
                    update(Enrollment).where(Enrollment.id == send.enrollment_id, Enrollment.status == "active")
                    .values(status="stopped", stopped_reason=reason[:2000], finished_at=now)
                    .execution_options(synchronize_session=False)
                )
            session.commit()
        tally = self.per_campaign[(send.org_id, send.campaign_id)]
        if status == "failed":
            result.failed += 1
            tally.failed += 1
        elif status == "pending":
            result.retried += 1
            tally.retried += 1

    def finish_cancelled(self, job: QueuedJob, send: Send | None, reason: str, result: ProcessResult, *,
                         stop_enrollment: bool = False) -> None:
        now = self.clock()
        with Session(self.engine) as session:
            begin_write(session)
            session.execute(
                update(QueuedJob).where(QueuedJob.id == job.id, QueuedJob.status == "processing",
                                        QueuedJob.lease_owner == self.owner)
                .values(status="cancelled", last_error=reason, error_class="CANCELLED", lease_owner=None,
                        lease_expires_at=None, updated_at=now)
                .execution_options(synchronize_session=False)
            )
            if send is not None:
                session.execute(
                    update(Send).where(Send.id == send.id, Send.status == "queued")
                    .values(status="cancelled", error=reason, error_class="CANCELLED")
                    .execution_options(synchronize_session=False)
                )
                if stop_enrollment:
                    session.execute(
                        update(Enrollment).where(Enrollment.id == send.enrollment_id, Enrollment.status == "active")
                        .values(status="stopped", stopped_reason=reason, finished_at=now)
                        .execution_options(synchronize_session=False)
                    )
            session.commit()
        result.cancelled += 1
        if send is not None:
            self.per_campaign[(send.org_id, send.campaign_id)].cancelled += 1

    def finish_completed(self, job: QueuedJob, send: Send, result: ProcessResult) -> None:
        with Session(self.engine) as session:
            begin_write(session)
            queue.complete(session, job.id, self.owner, now=self.clock(), result={"send_id": send.id, "already": True})
            session.commit()

    def release(self, jobs: list[QueuedJob], run_at: Callable[[int], datetime], result: ProcessResult) -> None:
        """Put leased jobs back to pending for later, without spending an attempt."""
        now = self.clock()
        with Session(self.engine) as session:
            begin_write(session)
            for index, job in enumerate(jobs):
                session.execute(
                    update(QueuedJob).where(QueuedJob.id == job.id, QueuedJob.status == "processing",
                                            QueuedJob.lease_owner == self.owner)
                    .values(status="pending", run_at=run_at(index), attempts=QueuedJob.attempts - 1,
                            lease_owner=None, lease_expires_at=None, updated_at=now)
                    .execution_options(synchronize_session=False)
                )
            session.commit()
        result.deferred += len(jobs)

    def explain(self, *, now: datetime) -> None:
        """One activity row per campaign that sent, failed or cancelled something."""
        if not self.per_campaign:
            return
        with Session(self.engine) as session:
            begin_write(session)
            names = dict(session.execute(
                select(Campaign.id, Campaign.name).where(Campaign.id.in_([c for _o, c in self.per_campaign]))
            ).all())
            for (org_id, campaign_id), tally in self.per_campaign.items():
                parts = [f"{tally.sent} sent"]
                parts += [f"{n} {word}" for n, word in ((tally.retried, "to retry"), (tally.failed, "failed"),
                                                        (tally.cancelled, "cancelled")) if n]
                log_activity(session, org_id, "sequence.processed",
                             f"“{names.get(campaign_id, campaign_id)}”: {', '.join(parts)}.", now=now,
                             entity=("campaign", campaign_id),
                             details={"sent": tally.sent, "retried": tally.retried, "failed": tally.failed,
                                      "cancelled": tally.cancelled})
            session.commit()


def process_due(app_or_engine=None, *, org_id: int | None = None, campaign_id: int | None = None,  # noqa: ANN001
                test_mode: bool | None = False, now: datetime, limit: int | None = None,
                job_ids: list[int] | None = None, owner: str | None = None,
                clock: Callable[[], datetime] | None = None, deadline: float | None = None) -> ProcessResult:
    """Send the sequence messages due at `now`, batch by batch, each marked on its own.

    `test_mode` True takes only test messages, False only real ones, None both. `limit`
    caps how many jobs are claimed; `deadline` (time.monotonic()) stops between batches.
    Opens its own short transactions and commits them; call it with no transaction open.
    """
    app = app_or_engine if isinstance(app_or_engine, Flask) else current_app._get_current_object()
    if not has_app_context():
        with app.app_context():
            return process_due(app, org_id=org_id, campaign_id=campaign_id, test_mode=test_mode, now=now,
                               limit=limit, job_ids=job_ids, owner=owner, clock=clock, deadline=deadline)
    from webapp import clock as app_clock

    conditions: list = []
    if test_mode is not None:
        conditions.append(QueuedJob.test_mode.is_(test_mode))
    if campaign_id is not None:
        conditions.append(QueuedJob.id.in_(
            select(Send.queued_job_id).where(Send.campaign_id == campaign_id, Send.status == "queued")
        ))
    if job_ids is not None:
        conditions.append(QueuedJob.id.in_(list(job_ids)))
    dispatcher = Dispatcher(app, owner=owner, clock=clock or app_clock.now)
    result = dispatcher.run(now=now, conditions=conditions, org_id=org_id, limit=limit, deadline=deadline)
    dispatcher.explain(now=now)
    return result
