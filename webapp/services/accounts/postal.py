"""A workspace's postal address: the footer of its marketing email shows it (CAN-SPAM asks
every commercial email for the sender's valid physical postal address). It is kept on the
brand profile, which the landing pages and the email frame read too; the wizard, the
workspace settings and the brand page all edit that one value."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from webapp.models import BrandProfile, Organization
from webapp.services.activity import log_activity

MAX_LENGTH = 300


def clean_postal_address(value: str | None) -> str | None:
    """The address on one line (it is one line of a footer), None when blank."""
    text = ", ".join(part.strip(" ,") for part in (value or "").splitlines() if part.strip(" ,"))
    return " ".join(text.split())[:MAX_LENGTH] or None


def postal_address_of(session: Session, org_id: int) -> str | None:
    brand = session.scalar(select(BrandProfile).where(BrandProfile.org_id == org_id))
    return (brand.postal_address or None) if brand is not None else None


def set_postal_address(
    session: Session, org: Organization, value: str | None, *, actor_id: int | None, now: datetime
) -> bool:
    """Keep `value` as the workspace's postal address (flushed, with its activity row).
    Returns whether it changed."""
    address = clean_postal_address(value)
    brand = session.scalar(select(BrandProfile).where(BrandProfile.org_id == org.id))
    if (brand.postal_address or None if brand is not None else None) == address:
        return False
    if brand is None:
        brand = BrandProfile(org_id=org.id)
        session.add(brand)
    brand.postal_address, brand.updated_at = address or "", now
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
