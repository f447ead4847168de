"""A workspace's email tracking and consent settings: the open pixel on or off, its own
tracking domain, and double opt-in for form leads.

A tracking domain is a host name the owner points at this deployment with a CNAME record;
tracked links and the pixel then show the business's own domain instead of the deployment's.
The routes answer on any host, so nothing else has to change here.
"""

from __future__ import annotations

import re
from datetime import datetime
from urllib.parse import urlsplit

from sqlalchemy.orm import Session

from webapp.core.errors import DomainError
from webapp.models import Organization
from webapp.services.activity import log_activity

LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
OPTIN_OFF_CONSEQUENCE = (
    "Off: contacts who fill in your website or landing-page form get your sequences and broadcasts "
    "at once, without confirming their address: anyone can type someone else's address into "
    "a public form, so some mail will reach people who never asked for it, and they are the "
    "ones who mark it as spam."
)


class EmailSettingsInvalid(DomainError):
    """A setting cannot be saved as given; `field` names which."""

    def __init__(self, message: str, field: str) -> None:
        super().__init__(message)
        self.field = field


def clean_tracking_domain(value: str | None) -> str | None:
    """The host name as kept (lower-case, no trailing dot), or None for "use the app's".
    Raises EmailSettingsInvalid (field "tracking_domain") when it is not a host name."""
    host = (value or "").strip().lower().rstrip(".")
    if not host:
        return None
    example = "Enter a host name only, such as click.yourbusiness.com"
    if "://" in host or "/" in host or ":" in host or "@" in host:
        raise EmailSettingsInvalid(f"{example} (no https://, path or port).", "tracking_domain")
    labels = host.split(".")
    if len(host) > 253 or len(labels) < 2 or not all(LABEL.match(label) for label in labels):
        raise EmailSettingsInvalid(
            f"{example}: letters, digits and hyphens, in parts separated by dots.",
            "tracking_domain",
        )
    if labels[-1].isdigit():
        raise EmailSettingsInvalid(
            f"{example}: a name, not an IP address (a CNAME record needs a name).",
            "tracking_domain",
        )
    return host


def cname_target(public_url: str) -> str:
    """What the tracking domain's CNAME record points at: this deployment's host name."""
    return urlsplit(public_url or "").hostname or "this app's host name"


def update_email_settings(
    session: Session,
    org: Organization,
    *,
    track_opens: bool,
    tracking_domain: str | None,
    double_optin: bool,
    actor_id: int | None,
    now: datetime,
) -> Organization:
    """Save the workspace's tracking and opt-in settings and log what changed. Raises
    EmailSettingsInvalid. Flushes."""
    domain = clean_tracking_domain(tracking_domain)
    before = settings_of(org)
    org.track_opens, org.tracking_domain, org.double_optin = track_opens, domain, double_optin
    after = settings_of(org)
    if after != before:
        changed = ", ".join(
            _words(name, after[name]) for name in after if after[name] != before[name]
        )
        log_activity(
            session,
            org,
            "workspace.email_settings",
            f"Email settings changed: {changed}.",
            now=now,
            entity=("organization", org.id),
            actor_id=actor_id,
            details={"before": before, "after": after},
        )
    session.flush()
    return org


def settings_of(org: Organization) -> dict:
    return {
        "track_opens": bool(org.track_opens),
        "tracking_domain": org.tracking_domain,
        "double_optin": bool(org.double_optin),
    }


def _words(name: str, value: object) -> str:
    if name == "track_opens":
        return "open tracking " + ("on" if value else "off")
    if name == "double_optin":
        return "double opt-in for form leads " + ("on" if value else "off")
    return f"tracking domain {value}" if value else "tracking domain removed"
