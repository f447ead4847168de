"""Who a workspace's mail comes from: the sender name and address asked in the autopilot
wizard, stored on the workspace.

The wizard's sender is the From of every mail the workspace sends (sequences, workflows,
broadcasts, reports). Without one, the workspace's own mail server's "Send as" applies
(Settings → Integrations), else the deployment's SMTP_FROM / MAIL_FROM. The wizard offers
the mail server's "Send as" (or the owner's address) when nothing is saved yet.
"""

from __future__ import annotations

from datetime import datetime
from email.utils import formataddr, parseaddr

from email_validator import EmailNotValidError, validate_email
from flask import has_app_context
from sqlalchemy import select
from sqlalchemy.orm import Session

from webapp.core.errors import DomainError
from webapp.models import Organization
from webapp.services.activity import log_activity
from webapp.services.connections.credentials import workspace_values

MAX_NAME = 100


class SenderInvalid(DomainError):
    def __init__(self, errors: dict[str, str]) -> None:
        self.errors = errors
        super().__init__("; ".join(errors.values()))


def clean_sender(name: str | None, address: str | None) -> tuple[str, str]:
    """(name, address) tidied; raises SenderInvalid naming the field at fault."""
    name = " ".join((name or "").split())  # a line break in a From would inject headers
    address = (address or "").strip()
    errors = {}
    if len(name) > MAX_NAME:
        errors["sender_name"] = f"Use at most {MAX_NAME} characters."
    if address:
        try:
            address = validate_email(address, check_deliverability=False).normalized
        except EmailNotValidError:
            errors["sender_email"] = "Enter a valid email address, e.g. hello@yourshop.com."
    elif name:
        errors["sender_email"] = "Enter the address your email comes from."
    if errors:
        raise SenderInvalid(errors)
    return name, address


def email_from(org: Organization | None) -> str | None:
    """The workspace's From ("Alice Bakes <hello@alicebakes.com>"), or None when not set."""
    if org is None or not org.email_from_address:
        return None
    return formataddr((org.email_from_name or org.name, org.email_from_address))


def workspace_from(org_id: int | None) -> str | None:
    """`email_from` of a workspace by id, read on a short connection of its own (like
    `workspace_values`: the caller's session may hold a write transaction)."""
    if not org_id or not has_app_context():
        return None
    from webapp.core.extensions import db

    columns = (Organization.name, Organization.email_from_name, Organization.email_from_address)
    with db.engine.connect() as conn:
        row = conn.execute(select(*columns).where(Organization.id == org_id)).first()
    if row is None or not row.email_from_address:
        return None
    return formataddr((row.email_from_name or row.name, row.email_from_address))


def suggested_sender(org: Organization, owner_email: str | None) -> tuple[str, str]:
    """What the wizard offers: the saved sender, else the mail server's "Send as", else the
    business name and the owner's address."""
    if org.email_from_address:
        return org.email_from_name or org.name, org.email_from_address
    name, address = parseaddr((workspace_values(org.id, "smtp") or {}).get("sender") or "")
    return name or org.name, address or owner_email or ""


def save_email_sender(
    session: Session,
    org: Organization,
    name: str | None,
    address: str | None,
    *,
    actor_id: int | None,
    now: datetime,
) -> bool:
    """Store the workspace's sender. Returns True when it changed; raises SenderInvalid."""
    name, address = clean_sender(name, address)
    if (org.email_from_name or "", org.email_from_address or "") == (name, address):
        return False
    org.email_from_name, org.email_from_address = name or None, address or None
    session.flush()
    log_activity(
        session,
        org,
        "email.sender_changed",
        f"Emails now come from {email_from(org)}."
        if address
        else "Emails now come from the default sender.",
        now=now,
        entity=("organization", org.id),
        actor_id=actor_id,
    )
    return True
