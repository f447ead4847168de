"""Double opt-in for form leads: a contact who typed its address into the website or a
landing-page form gets one confirmation mail (a signed link) and no other email until it
clicks it, because anyone can type anyone's address into a public form.

On by default (`Organization.double_optin`); contacts imported, added by hand or through the
API carry their consent with them and are never asked (`Lead.optin_state` stays None).
While a contact is "pending", the dispatcher holds its sequence and broadcast mail (the
job's last error says why) and `may_send` refuses other email (workflows, the Job API);
confirming releases what was held at once. Services flush, never commit.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta

from flask import current_app, has_app_context
from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from webapp import queue
from webapp.integrations.email import EmailMessageSpec, message_id_for
from webapp.integrations.resilience import CircuitOpen, IntegrationError
from webapp.models import Lead, LeadEvent, Organization, QueuedJob
from webapp.models.sequence import Send
from webapp.queue import Done, Failed, JobContext, Outcome, RetryAt
from webapp.services.activity import log_activity
from webapp.services.messaging.tracking import make_token, read_token

log = logging.getLogger(__name__)

KIND = "optin.confirmation"
PENDING, CONFIRMED = "pending", "confirmed"
WAITING = (
    "Waiting for confirmation: the contact has not yet clicked the link in the confirmation email."
)
HOLD_FOR = timedelta(hours=12)  # a held message is looked at again then (confirming releases it)
GIVE_UP_AFTER = timedelta(days=30)  # never confirmed: its held mail is cancelled


def form_name(data: dict, source: str) -> str:
    """Which form a lead came from, for its confirmation record."""
    page = str(data.get("landing_page") or "").strip()
    return f"landing page “{page[:150]}”" if source == "landing_page" and page else "website form"


def request_confirmation(session: Session, lead: Lead, *, form: str, now: datetime) -> bool:
    """Ask a new form lead to confirm its address, when the workspace wants double opt-in
    and the lead has an email and was never asked. Queues the one confirmation mail.
    Returns True when asked. Flushes."""
    org = session.get(Organization, lead.org_id)
    if org is None or not org.double_optin or not lead.email or lead.optin_state is not None:
        return False
    lead.optin_state, lead.optin_form, lead.optin_requested_at = PENDING, form[:200], now
    session.add(
        LeadEvent(org_id=lead.org_id, lead_id=lead.id, type="optin_requested",
                  description=f"Asked to confirm {lead.email} (came through the {form}); "
                  "no other email goes out until it is confirmed.",
                  details={"form": form}, created_at=now)
    )  # fmt: skip
    session.flush()
    queue.submit(
        session, KIND, {"lead_id": lead.id}, key=f"optin:{lead.id}", now=now, org_id=lead.org_id
    )
    return True


def waiting(lead) -> bool:
    """Whether no email but the confirmation may go to this contact (a row or a Lead)."""
    return getattr(lead, "optin_state", None) == PENDING


def gave_up(lead, now: datetime) -> bool:
    """Whether the contact was asked so long ago that its held mail should be dropped."""
    asked = getattr(lead, "optin_requested_at", None)
    return asked is not None and now - asked > GIVE_UP_AFTER


def confirm_token(secret: str, lead_id: int) -> str:
    return make_token(secret, "confirm", lead_id)


def lead_for_token(session: Session, secret: str, token: str) -> Lead | None:
    """The contact a confirmation link was made for, or None when it is not one of ours."""
    values = read_token(secret, "confirm", token)
    return session.get(Lead, values[0]) if values and len(values) == 1 else None


def confirm(session: Session, lead: Lead, *, now: datetime) -> bool:
    """Record that the contact confirmed its address (when, and from which form) and send
    what was held at once. False when it was not waiting (already confirmed). Flushes."""
    if not waiting(lead):
        return False
    lead.optin_state, lead.optin_confirmed_at, lead.updated_at = CONFIRMED, now, now
    form = lead.optin_form or "website form"
    session.add(
        LeadEvent(org_id=lead.org_id, lead_id=lead.id, type="optin_confirmed",
                  description=f"Confirmed {lead.email} with the link in the confirmation email "
                  f"(signed up through the {form}).",
                  details={"form": form}, created_at=now)
    )  # fmt: skip
    held = select(Send.queued_job_id).where(
        Send.lead_id == lead.id,
        Send.org_id == lead.org_id,
        Send.channel == "email",
        Send.status == "queued",
        Send.queued_job_id.is_not(None),
    )
    released = queue.reschedule(
        session, QueuedJob.id.in_(held), QueuedJob.org_id == lead.org_id, run_at=now, now=now
    )
    log_activity(
        session,
        lead.org_id,
        "contact.confirmed",
        f"{lead.display_name} confirmed their email address (from the {form}); "
        f"{released} held message{'s' if released != 1 else ''} released.",
        now=now,
        entity=("lead", lead.id),
        details={"form": form, "released": released},
    )
    session.flush()
    return True


def confirmation_email(
    org: Organization, lead: Lead, link: str, *, message_id: str | None = None
) -> EmailMessageSpec:
    """The one mail a pending contact gets: who asked, the link, what happens otherwise."""
    hello = f"Hello {lead.first_name}," if lead.first_name else "Hello,"
    text = (
        f"{hello}\n\nthis address was entered in the {lead.optin_form or 'website form'} of "
        f"{org.name}. Please confirm that it is yours and that you want to hear from us:\n\n"
        f"{link}\n\nIf you did not fill in the form, ignore this email: you will get nothing "
        f"else from us.\n\n{org.name}\n"
    )
    return EmailMessageSpec(
        to=lead.email or "",
        subject=f"Please confirm your email address for {org.name}",
        text=text,
        message_id=message_id,
    )


def _config(name: str, default: str) -> str:
    return (current_app.config.get(name) if has_app_context() else None) or default


@queue.register(KIND, max_attempts=5, retryable=queue.RETRYABLE)
def send_confirmation(job: QueuedJob, ctx: JobContext) -> Outcome:
    """Send a pending contact its confirmation mail through the one email path."""
    from webapp.services.connections import send_email
    from webapp.services.suppression import may_send

    lead = ctx.session.get(Lead, job.payload["lead_id"])
    org = ctx.session.get(Organization, job.org_id)
    if lead is None or org is None or lead.org_id != job.org_id or not waiting(lead):
        return Done({"skipped": "the contact is gone or no longer waiting"})
    reason = may_send(ctx.session, lead, "email", confirmation=True)
    if reason:
        return Failed(reason, "CONSENT", retryable=False)
    base = _config("PUBLIC_URL", "http://127.0.0.1:8000").rstrip("/")
    link = f"{base}/confirm/{confirm_token(_config('SECRET_KEY', ''), lead.id)}"
    spec = confirmation_email(org, lead, link, message_id=message_id_for(job.id, job.created_at))
    lead_id, address = lead.id, lead.email
    ctx.session.rollback()  # the reads end here: nothing is held while the server is called
    try:
        send_email(ctx.session.get_bind(), job.org_id, spec, purpose="optin", now=ctx.now())
    except CircuitOpen as exc:
        return RetryAt(exc.retry_at, f"{exc.error_class}: {exc}")
    except IntegrationError as exc:
        log.warning("confirmation mail %s failed: %s", job.id, exc.error_class)
        return Failed(str(exc), str(exc.error_class), retry_after=exc.retry_after)

    def record(session: Session) -> None:
        session.add(
            LeadEvent(org_id=job.org_id, lead_id=lead_id, type="email_sent",
                      description=f"Confirmation email sent to {address}.",
                      details={"job_id": job.id}, created_at=ctx.now())
        )  # fmt: skip

    return Done({"to": address}, apply=record)


def send_confirmations(
    engine: Engine,
    *,
    owner: str,
    clock: Callable[[], datetime],
    org_id: int | None = None,
    lead_ids: Sequence[int] | None = None,
) -> queue.WorkResult:
    """Send the due confirmation mails (of these contacts, else all), with no transaction of
    the caller's open: after the form's response, and on the sequences tick."""
    where = (
        []
        if lead_ids is None
        else [QueuedJob.idempotency_key.in_([f"optin:{i}" for i in lead_ids])]
    )
    return queue.run_due(
        engine, kinds=[KIND], owner=owner, clock=clock, org_id=org_id, where=where, batch_size=20
    )
