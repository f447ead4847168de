"""The email adapter: one narrow entry point, `send_email`, and the senders behind it.

With no mail server configured, delivery is a row in the local outbox (OutboxMessage),
rendered as the recipient would see it. A real sender (SMTP) plugs in behind the same
`Sender` protocol; callers never change.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from email.utils import make_msgid
from typing import Protocol
from urllib.parse import urlsplit

from flask import current_app, has_app_context
from sqlalchemy.orm import Session

from webapp.models import OutboxMessage

DEFAULT_FROM = "Marketing Autopilot <autopilot@localhost>"


@dataclass(frozen=True)
class EmailMessageSpec:
    """One email to one recipient, ready to send: both parts rendered, headers set."""

    to: str
    subject: str
    text: str
    html: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    message_id: str | None = None  # "<…@…>"; derived from what is sent so a re-send is recognisable
    sender: str | None = None  # From; the deployment's MAIL_FROM when None


class Sender(Protocol):
    """Delivers one message. Returns the outbox row when delivery is the outbox, else None."""

    name: str

    def send(
        self,
        session: Session,
        org_id: int | None,
        spec: EmailMessageSpec,
        *,
        purpose: str,
        now: datetime,
        test_mode: bool,
    ) -> OutboxMessage | None: ...


class OutboxSender:
    """Delivery to the local outbox: a row in the caller's transaction (flushed, not committed)."""

    name = "outbox"

    def send(
        self,
        session: Session,
        org_id: int | None,
        spec: EmailMessageSpec,
        *,
        purpose: str,
        now: datetime,
        test_mode: bool,
    ) -> OutboxMessage:
        row = OutboxMessage(
            org_id=org_id,
            channel="email",
            to=spec.to,
            sender=spec.sender or default_sender(),
            subject=spec.subject,
            body_text=spec.text,
            body_html=spec.html,
            headers=dict(spec.headers),
            message_id=spec.message_id,
            purpose=purpose,
            test_mode=test_mode,
            created_at=now,
        )
        session.add(row)
        session.flush()
        return row


def default_sender() -> str:
    if has_app_context():
        return current_app.config.get("MAIL_FROM") or DEFAULT_FROM
    return DEFAULT_FROM


def message_id(*parts: object, domain: str | None = None) -> str:
    """A Message-ID derived from `parts` (e.g. report id and recipient), stable across re-sends."""
    host = domain or _public_host()
    if not parts:
        return make_msgid(domain=host)
    local = ".".join(str(p).replace("@", "=").replace(" ", "") for p in parts)
    return f"<{local}@{host}>"


def _public_host() -> str:
    url = current_app.config.get("PUBLIC_URL") if has_app_context() else None
    return urlsplit(url or "http://localhost").hostname or "localhost"


def configured_sender(org_id: int | None) -> Sender:
    """The sender for this workspace. Only the outbox exists so far; SMTP joins here."""
    return OutboxSender()


def send_email(
    session: Session,
    org_id: int | None,
    spec: EmailMessageSpec,
    *,
    purpose: str,
    now: datetime,
    test_mode: bool = False,
) -> OutboxMessage | None:
    """Deliver `spec` through the workspace's sender.

    Returns the outbox row when the message went to the outbox (the default setup), None
    when a real provider took it. Test mode records the message as a test.
    """
    return configured_sender(org_id).send(
        session, org_id, spec, purpose=purpose, now=now, test_mode=test_mode
    )
