"""What a refused send says about the address: called by every send path when a provider
refused a message, in the transaction that records the failure.

- an SMTP hard bounce (see `classify_smtp`) puts the email address on the list;
- Twilio's 21610 ("the recipient replied STOP to this number") opts the contact out of that
  channel, as its own STOP would have.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from webapp.integrations.resilience import IntegrationError
from webapp.models import Lead
from webapp.services.suppression.smtp_answers import Verdict, classify_smtp, classify_transport
from webapp.services.suppression.store import suppress

TWILIO_OPTED_OUT = "21610"


def smtp_verdict(error: IntegrationError) -> Verdict | None:
    """The verdict on an SMTP refusal (None when the error carries no SMTP reply code and
    is no refusal of the connection itself)."""
    code = (error.provider_code or "").strip()
    transport = classify_transport(code)
    if transport is not None:
        return transport
    if not code.isdigit() or len(code) != 3:
        return None
    text = str(error).split(":", 1)[-1].strip()  # "SMTP 550: 5.1.1 <x>: … user unknown"
    return classify_smtp(int(code), None, text)


def note_send_failure(
    session: Session,
    *,
    org_id: int,
    lead_id: int | None,
    channel: str,
    error: IntegrationError,
    now: datetime,
) -> Verdict | None:
    """Act on what the refusal says about the contact's address. Returns the SMTP verdict
    (None for other channels or errors without a reply code). Flushes."""
    lead = (
        session.scalar(select(Lead).where(Lead.id == lead_id, Lead.org_id == org_id))
        if lead_id is not None
        else None
    )
    if channel == "email":
        verdict = smtp_verdict(error)
        if verdict is not None and verdict.action == "suppress" and lead and lead.email:
            suppress(session, org_id, "email", lead.email, reason="hard_bounce", now=now,
                     detail=str(error)[:2000], source="smtp")  # fmt: skip
        return verdict
    if error.provider_code == TWILIO_OPTED_OUT and lead is not None and lead.phone:
        from webapp.services.messaging import opt_out_by_provider

        opt_out_by_provider(session, lead, channel, detail=str(error), now=now)
    return None
