"""Delivery reports (Twilio status callbacks) applied to a sequence's sends, for the
/webhooks/twilio/status route."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from webapp.models import LeadEvent
from webapp.models.sequence import Send

DELIVERED_STATES = frozenset({"delivered", "read"})
UNDELIVERED_STATES = frozenset({"failed", "undelivered"})


def record_delivery_status(
    session: Session,
    send_id: int,
    status: str,
    error_code: str | None,
    now: datetime,
    *,
    provider_message_id: str | None = None,
) -> bool | None:
    """Apply a provider's delivery report to a send. Flushes.

    Returns None when there is no such send, False when the report was ignored (another
    message's SID, an intermediate status, or a send already settled), True when applied.
    """
    send = session.get(Send, send_id)
    if send is None:
        return None
    if (
        provider_message_id
        and send.provider_message_id
        and provider_message_id != send.provider_message_id
    ):
        return False
    status = (status or "").strip().lower()
    if send.status not in ("queued", "sent"):
        return False
    if status in DELIVERED_STATES:
        send.status = "delivered"
        send.delivered_at = now
    elif status in UNDELIVERED_STATES:
        send.status = "failed"
        send.error = f"The provider reported the message {status}" + (
            f" (error {error_code})." if error_code else "."
        )
        send.error_class = "UNDELIVERED"
        session.add(
            LeadEvent(
                org_id=send.org_id,
                lead_id=send.lead_id,
                type="message_undelivered",
                description=send.error,
                details={"send_id": send.id, "error_code": error_code},
                created_at=now,
            )
        )
    else:
        return False
    if provider_message_id and not send.provider_message_id:
        send.provider_message_id = provider_message_id
    session.flush()
    return True
