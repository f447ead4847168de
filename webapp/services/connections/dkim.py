"""A workspace's DKIM signing key (optional): its domain, selector and private key, stored
encrypted like every credential (provider "dkim"); the SMTP adapter signs each message
with it (integrations/email/dkim_signing.py). The private key is never shown back: the
page shows the DNS TXT record to publish, derived from it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from webapp.integrations.email.dkim_signing import SELECTOR, DkimKey, dns_record, generate_key
from webapp.services.connections.credentials import (
    CredentialsError,
    delete_credentials,
    load_credentials,
    save_credentials,
)

DOMAIN = re.compile(
    r"^(?=.{1,253}$)([A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}$"
)


class DkimError(ValueError):
    """A DKIM setting cannot be saved as given; `field` names the form field."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class DkimSettings:
    domain: str
    selector: str
    record_name: str  # the TXT record to publish …
    record_value: str  # … and its value (the public key)


def dkim_settings(session: Session, org_id: int) -> DkimSettings | None:
    """The workspace's DKIM settings with the DNS record to publish, or None.

    Raises CredentialsError when the saved key cannot be decrypted."""
    values = load_credentials(session, org_id, "dkim")
    if not values:
        return None
    key = DkimKey(values["domain"], values["selector"], values["private_key"])
    name, value = dns_record(key)
    return DkimSettings(key.domain, key.selector, name, value)


def save_dkim(
    session: Session,
    org_id: int,
    *,
    domain: str,
    selector: str,
    private_key: str | None,
    generate: bool = False,
    actor_id: int | None,
    now: datetime,
) -> DkimSettings:
    """Save the signing domain, selector and key: the pasted PEM key, a new RSA 2048 key when
    `generate`, else the saved one. Flushes. Raises DkimError naming the field."""
    domain, selector = domain.strip().lower().rstrip("."), selector.strip()
    if not DOMAIN.match(domain):
        raise DkimError("domain", "Enter the domain your mail comes from, e.g. alicebakes.com.")
    if not SELECTOR.match(selector):
        raise DkimError("selector", "Use letters, digits and dashes only, e.g. autopilot1.")
    key = generate_key() if generate else (private_key or "").strip()
    if not key:
        saved = load_credentials(session, org_id, "dkim")
        key = (saved or {}).get("private_key", "")
        if not key:
            raise DkimError("private_key", "Paste a private key, or press “Generate a key”.")
    try:
        dns_record(DkimKey(domain, selector, key))  # checks the key is an RSA private key
    except ValueError as exc:
        raise DkimError("private_key", str(exc)) from None
    values = {"domain": domain, "selector": selector, "private_key": key}
    try:
        save_credentials(session, org_id, "dkim", values, actor_id=actor_id, now=now)
    except CredentialsError as exc:
        raise DkimError("private_key", str(exc)) from None
    return dkim_settings(session, org_id)  # type: ignore[return-value]


def remove_dkim(session: Session, org_id: int, *, actor_id: int | None, now: datetime) -> bool:
    """Stop signing: the key is deleted. False when there was none."""
    return delete_credentials(session, org_id, "dkim", actor_id=actor_id, now=now)
