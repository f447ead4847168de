"""`email.send`: one email to one contact of the workspace, through the one email path
(the outbox by default; the workspace's SMTP under its circuit breaker when set up).

Checked when enqueued (the contact exists, has an email and is subscribed) and again when
run: a contact who unsubscribed meanwhile gets nothing, and the job fails saying so. The
Message-ID is the job's, the same on every attempt, so a re-send after a crash between
sending and recording is recognisable as one message.
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, object_session

from webapp import queue
from webapp.integrations.email import EmailMessageSpec, message_id_for
from webapp.integrations.resilience import CircuitOpen, IntegrationError
from webapp.models import Lead, LeadEvent
from webapp.models.queue import QueuedJob
from webapp.queue import Done, Failed, JobContext, Outcome, RetryAt
from webapp.services.activity import log_activity
from webapp.services.api_jobs.errors import JobRefused
from webapp.services.connections import send_email, sender_domain
from webapp.services.suppression import may_send

log = logging.getLogger(__name__)

KIND = "email.send"
MAX_ATTEMPTS = 5
CONSENT = "CONSENT"  # error class: the contact may not be emailed (not retried)


def _contact(session: Session, org_id: int, contact_id: int) -> Lead | None:
    return session.scalars(
        select(Lead).where(Lead.id == contact_id, Lead.org_id == org_id)
    ).one_or_none()


def why_not(lead: Lead | None) -> str | None:
    """Why this contact cannot be emailed, or None when it can."""
    if lead is None:
        return "no such contact in this workspace"
    if not lead.email:
        return "the contact has no email address"
    if lead.unsubscribed_at is not None:
        return "the contact unsubscribed"
    return may_send(object_session(lead), lead, "email")  # a bounced, complained … address


def check(session: Session, org_id: int, payload: dict, now: datetime) -> None:
    """Raises JobRefused naming `payload.contact_id` when the contact cannot be emailed."""
    reason = why_not(_contact(session, org_id, payload["contact_id"]))
    if reason:
        raise JobRefused("payload.contact_id", reason)


@queue.register(KIND, max_attempts=MAX_ATTEMPTS, retryable=queue.RETRYABLE)
def send(job: QueuedJob, ctx: JobContext) -> Outcome:
    payload = job.payload
    lead = _contact(ctx.session, job.org_id, payload["contact_id"])
    reason = why_not(lead)
    if reason:
        return Failed(reason, CONSENT, retryable=False)
    lead_id, address = lead.id, lead.email
    spec = EmailMessageSpec(
        to=address,
        subject=payload["subject"],
        text=payload["text"],
        message_id=message_id_for(job.id, job.created_at, sender_domain(job.org_id)),
    )
    ctx.session.rollback()  # the reads end here: nothing is held while the server is called
    try:
        send_email(ctx.session.get_bind(), job.org_id, spec, purpose="api", now=ctx.now())
    except CircuitOpen as exc:  # not a failure: try again when the breaker lets calls through
        return RetryAt(exc.retry_at, f"{exc.error_class}: {exc}")
    except IntegrationError as exc:
        log.warning("API email job %s failed: %s", job.id, exc.error_class)
        return Failed(str(exc), str(exc.error_class), retry_after=exc.retry_after)

    def record(session: Session) -> None:
        now = ctx.now()
        text = f"Emailed through the API: {payload['subject']}"
        session.add(
            LeadEvent(
                org_id=job.org_id,
                lead_id=lead_id,
                type="email_sent",
                description=text,
                details={"job_id": job.id, "subject": payload["subject"]},
                created_at=now,
            )
        )
        log_activity(
            session,
            job.org_id,
            "api.email_sent",
            f"Sent “{payload['subject']}” to {address} (Job API, job {job.id}).",
            now=now,
            entity=("lead", lead_id),
            details={"job_id": job.id},
        )

    return Done({"to": address}, apply=record)
