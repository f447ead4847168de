"""The dispatcher's bookkeeping: acknowledging each sent message, recording failures and
cancellations, the contacts' timeline rows and one activity row per campaign.

A sent message is acknowledged on the run's bookkeeping connection through
messaging/dispatch_sql.py (the queue rows through the work engine, `webapp.queue.ack`);
failures, cancellations and completions go through `webapp.queue` in short sessions.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime

from sqlalchemy import insert, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from webapp import queue
from webapp.core.db import IMMEDIATE, begin_write
from webapp.integrations.resilience import IntegrationError
from webapp.models import Campaign, LeadEvent, QueuedJob
from webapp.models.sequence import Enrollment, Send
from webapp.services.activity import log_activity
from webapp.services.connections import held_reason, hold_email, hold_verdict
from webapp.services.messaging.dispatch_batch import Batch
from webapp.services.messaging.dispatch_sql import Delivered, NextStep, StepJob, acknowledge
from webapp.services.messaging.send_windows import next_allowed, schedule_zone
from webapp.services.messaging.sequences import step_delay
from webapp.services.messaging.step_jobs import KIND, MAX_ATTEMPTS, ProcessResult, idempotency_key
from webapp.services.suppression import note_send_failure


class Acknowledging:
    """Recording outcomes (mixed into messaging/dispatch.py's `Dispatcher`)."""

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

    def mark_sent(
        self,
        conn: Connection,
        job,
        send,
        step,
        lead,
        ctx: Batch,
        rendered,
        receipt,
        result,
        following: int | None = None,
    ) -> None:
        """Acknowledge one sent message in the caller's transaction: the job completed, the
        Send recorded, and the next step queued (or the enrolment completed). `following`:
        the job sent next, whose attempt is counted here too."""
        sent_at = self.clock()
        campaign = ctx.campaigns[send.campaign_id]
        next_step = ctx.next_step(step, lead)
        acknowledge(
            conn,
            self.step_job(job, send, sent_at),
            Delivered(
                provider=receipt.provider,
                provider_id=receipt.provider_message_id,
                message_id=receipt.message_id,
                subject=rendered.subject[:300],
                body=rendered.text,
                recipient=(lead.email if step.channel == "email" else lead.phone) or "",
                result={"send_id": send.id, "provider": receipt.provider, "by": self.owner},
            ),
            self.next_step(campaign, next_step, send, lead, ctx, sent_at) if next_step else None,
            start_next=following,
        )
        if following is not None:
            self.started.add(following)
        what = {"email": f"“{rendered.subject}”", "sms": "SMS"}.get(step.channel, "WhatsApp")
        self.timeline.append(
            {
                "org_id": send.org_id,
                "lead_id": lead.id,
                "type": "message_sent",
                "actor_id": None,
                "created_at": sent_at,
                "description": f"{'Test: ' if job.test_mode else ''}Step {step.position} of “{campaign.name}” sent ({what}).",
                "details": {
                    "send_id": send.id,
                    "campaign_id": campaign.id,
                    "channel": step.channel,
                    "test_mode": job.test_mode,
                },
            }
        )
        result.sent += 1
        self.per_campaign[(send.org_id, send.campaign_id)].sent += 1

    def step_job(self, job: QueuedJob, send: Send, at: datetime) -> StepJob:
        """The claimed job of a step and its rows, as the acknowledgement's SQL needs them."""
        return StepJob(
            job_id=job.id,
            owner=self.owner,
            send_id=send.id,
            enrollment_id=send.enrollment_id,
            org_id=send.org_id,
            campaign_id=send.campaign_id,
            lead_id=send.lead_id,
            test_mode=job.test_mode,
            at=at,
        )

    def next_step(self, campaign, step, send, lead, ctx: Batch, sent_at: datetime) -> NextStep:
        """The following step's queue entry: due after its delay, at the next opening of the window."""
        org = ctx.orgs[send.org_id]
        schedule = (campaign.settings or {}).get("schedule")
        run_at = next_allowed(
            sent_at + step_delay(step),
            schedule,
            schedule_zone(schedule, org.timezone or "UTC", lead.timezone),
        )
        return NextStep(
            step_id=step.id,
            key=idempotency_key(send.enrollment_id, step.id),
            run_at=run_at,
            kind=KIND,
            payload={
                "enrollment_id": send.enrollment_id,
                "step_id": step.id,
                "campaign_id": campaign.id,
            },
            channel=step.channel,
            recipient=(lead.email if step.channel == "email" else lead.phone) or "",
            max_attempts=MAX_ATTEMPTS,
        )

    def write_timeline(self, conn: Connection) -> None:
        """The contacts' timeline rows of a group, in one statement after it."""
        if not self.timeline:
            return
        with conn.begin():
            conn.execute(insert(LeadEvent.__table__), self.timeline)
        self.timeline = []

    def record_failure(self, job, send, step, exc: IntegrationError, result: ProcessResult) -> None:
        now = self.clock()
        verdict = hold_verdict(send.channel, exc)
        if verdict is not None:
            self.record_hold(job, send, verdict, exc, result, now)
            return
        with Session(self.engine) as session:
            begin_write(session)
            status = queue.fail(
                session,
                job.id,
                self.owner,
                now=now,
                error=str(exc),
                error_class=str(exc.error_class),
                retryable=exc.retryable,
                retry_after=exc.retry_after,
            )
            final = status == "failed"
            note_send_failure(
                session,
                org_id=send.org_id,
                lead_id=send.lead_id,
                channel=send.channel,
                error=exc,
                now=now,
            )
            session.execute(
                update(Send)
                .where(Send.id == send.id)
                .values(
                    status="failed" if final else "queued",
                    error=str(exc)[:2000],
                    error_class=str(exc.error_class),
                )
                .execution_options(synchronize_session=False)
            )
            if final:
                reason = f"Step {step.position} could not be sent: {exc}"
                session.execute(
                    update(Enrollment)
                    .where(Enrollment.id == send.enrollment_id, Enrollment.status == "active")
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

    def record_hold(self, job, send, verdict, exc: IntegrationError, result, now) -> None:
        """The relay refused us, not the contact: hold the workspace's email and put the
        message back, its attempt given back, with the reason (connections/holds.py)."""
        until = hold_email(self.engine, send.org_id, verdict, exc, now)
        reason = held_reason(verdict, exc)
        with Session(self.engine) as session:
            queue.release(session, self.owner, [(job.id, until)], now=now, reason=reason[:2000])
            session.commit()
        self.note_held([send.id], reason, str(exc.error_class))
        result.deferred += 1
        result.details.append(f"Email sending is held until {until:%H:%M} UTC: {verdict.reason}")

    def note_held(self, send_ids: list[int], reason: str, error_class: str) -> None:
        """Why these still-queued messages wait: shown with them until they are sent."""
        with Session(self.engine) as session:
            begin_write(session)
            session.execute(
                update(Send)
                .where(Send.id.in_(send_ids), Send.status == "queued")
                .values(error=reason[:2000], error_class=error_class)
                .execution_options(synchronize_session=False)
            )
            session.commit()

    def finish_cancelled(
        self,
        job: QueuedJob,
        send: Send | None,
        reason: str,
        result: ProcessResult,
        *,
        stop_enrollment: bool = False,
    ) -> None:
        now = self.clock()
        with Session(self.engine) as session:
            queue.cancel_leased(session, job.id, self.owner, now=now, reason=reason)
            if send is not None:
                session.execute(
                    update(Send)
                    .where(Send.id == send.id, Send.status == "queued")
                    .values(status="cancelled", error=reason, error_class="CANCELLED")
                    .execution_options(synchronize_session=False)
                )
                if stop_enrollment:
                    session.execute(
                        update(Enrollment)
                        .where(Enrollment.id == send.enrollment_id, Enrollment.status == "active")
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
            queue.complete(
                session,
                job.id,
                self.owner,
                now=self.clock(),
                result={"send_id": send.id, "already": True},
            )
            session.commit()

    def explain(self, *, now: datetime) -> None:
        """One activity row per campaign that sent, failed or cancelled something."""
        if not self.per_campaign:
            return
        with Session(self.engine) as session:
            begin_write(session)
            names = dict(
                session.execute(
                    select(Campaign.id, Campaign.name).where(
                        Campaign.id.in_([c for _o, c in self.per_campaign])
                    )
                ).all()
            )
            for (org_id, campaign_id), tally in self.per_campaign.items():
                parts = [f"{tally.sent} sent"]
                parts += [
                    f"{n} {word}"
                    for n, word in (
                        (tally.retried, "to retry"),
                        (tally.failed, "failed"),
                        (tally.cancelled, "cancelled"),
                    )
                    if n
                ]
                log_activity(
                    session,
                    org_id,
                    "sequence.processed",
                    f"“{names.get(campaign_id, campaign_id)}”: {', '.join(parts)}.",
                    now=now,
                    entity=("campaign", campaign_id),
                    details={
                        "sent": tally.sent,
                        "retried": tally.retried,
                        "failed": tally.failed,
                        "cancelled": tally.cancelled,
                    },
                )
            session.commit()
