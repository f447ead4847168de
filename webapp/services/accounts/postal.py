"""A workspace's postal address: the footer of its marketing email shows it (CAN-SPAM asks
every commercial email for the sender's valid physical postal address)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from webapp.models import Organization
from webapp.services.activity import log_activity

MAX_LENGTH = 300


def clean_postal_address(value: str | None) -> str | None:
    """The address on one line (it is one line of a footer), None when blank."""
    text = ", ".join(part.strip(" ,") for part in (value or "").splitlines() if part.strip(" ,"))
    return " ".join(text.split())[:MAX_LENGTH] or None


def set_postal_address(
    session: Session, org: Organization, value: str | None, *, actor_id: int | None, now: datetime
) -> bool:
    """Keep `value` as the workspace's postal address (flushed, with its activity row).
    Returns whether it changed."""
    address = clean_postal_address(value)
    if address == org.postal_address:
        return False
    org.postal_address = address
    log_activity(
        session,
        org,
        "workspace.postal_address",
        "The postal address in the footer of marketing email was "
        + (f"set to “{address}”." if address else "removed."),
        now=now,
        entity=("organization", org.id),
        actor_id=actor_id,
    )
    session.flush()
    return True
