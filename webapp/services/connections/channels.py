"""Which provider carries a channel for a workspace, with its credentials: the one place
that resolves them for the sending adapters (which never look credentials up themselves).

A workspace's own credentials (Settings → Integrations) win over the deployment's
SMTP_* / TWILIO_* settings; without either, messages go to the local outbox. Every
outbound message, a batch's or a single report or alert email, leaves through
`integrations.delivery`: the recipient check, then the outbox or the provider under the
(workspace, provider) circuit breaker.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import datetime

from flask import current_app, has_app_context
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from webapp.integrations import delivery, email
from webapp.integrations.email import mime, smtp
from webapp.integrations.email.dkim_signing import DkimKey
from webapp.integrations.resilience import FIXES, IntegrationError
from webapp.integrations.twilio import messaging
from webapp.models import OutboxMessage
from webapp.services.connections.credentials import workspace_values
from webapp.services.connections.holds import held_error
from webapp.services.connections.sender import workspace_from

# What to do about each error class, for pages that show failed messages.
ERROR_FIXES = {str(error_class): fix for error_class, fix in FIXES.items()}


def smtp_settings(org_id: int | None = None) -> smtp.SmtpSettings | None:
    """The SMTP server of this workspace (its own, else the deployment's), or None for the
    outbox. Needs an app context (None without one)."""
    if not has_app_context():
        return None
    own = workspace_values(org_id, "smtp")
    if own is None and not current_app.config.get("SMTP_HOST"):
        return None  # the outbox: no return path to set
    mailbox = workspace_values(org_id, "bounces")  # its address is the VERP return path
    signing = workspace_values(org_id, "dkim")
    dkim = (
        DkimKey(signing["domain"], signing["selector"], signing["private_key"])
        if signing and signing.get("private_key")
        else None
    )
    return smtp.smtp_settings(
        own, current_app.config, bounce_address=(mailbox or {}).get("address"), dkim=dkim
    )


def twilio_settings(org_id: int | None = None) -> messaging.TwilioSettings | None:
    """The Twilio account of this workspace (its own, else the deployment's), or None for the
    outbox. Needs an app context (None without one)."""
    if not has_app_context():
        return None
    return messaging.twilio_settings(workspace_values(org_id, "twilio"), current_app.config)


def settings_for(
    channel: str, org_id: int | None
) -> smtp.SmtpSettings | messaging.TwilioSettings | None:
    """The provider settings that carry `channel` (email | sms | whatsapp) for this workspace."""
    if channel == "email":
        return smtp_settings(org_id)
    if channel in ("sms", "whatsapp"):
        return twilio_settings(org_id)
    raise ValueError(f"unknown channel {channel!r}")


def provider_for(channel: str, org_id: int | None = None) -> str:
    """Who delivers `channel` for this workspace: "smtp" | "twilio" | "outbox"."""
    return delivery.provider_name(channel, settings_for(channel, org_id))


def sender_domain(org_id: int | None) -> str:
    """The domain of the From this workspace's mail leaves with (its own mail server's
    sender, else the deployment's): Message-IDs are made on it."""
    settings = smtp_settings(org_id)
    return mime.sender_domain(settings.sender if settings else None)


def check_sender(value: str) -> str | None:
    """Why `value` cannot be the From of our mail (a clear sentence), or None when it can."""
    try:
        email.parse_address(value)
    except email.AddressError as exc:
        return str(exc)
    return None


def default_email_sender() -> str:
    """The From of the deployment's mail, for previews."""
    return mime.default_sender()


@contextmanager
def open_channel(
    org_id: int | None, channel: str, *, engine: Engine, clock: Callable[[], datetime]
) -> Iterator[delivery.ChannelSender]:
    """A batch sender for this workspace's `channel`, its credentials looked up once (they
    cost a query and a decryption). See `integrations.delivery.open_channel`."""
    with delivery.open_channel(
        org_id, channel, settings=settings_for(channel, org_id), engine=engine, clock=clock
    ) as sender:
        yield sender


def send_email(
    session: Session | Engine,
    org_id: int | None,
    spec: mime.EmailMessageSpec,
    *,
    purpose: str,
    now: datetime,
    test_mode: bool = False,
) -> OutboxMessage | None:
    """Deliver one email (a report, an alert) through the same door as every batch.

    The recipient is checked, then the message goes to the outbox or over SMTP under the
    workspace's circuit breaker, whose state is written in short transactions of its own.
    An outbox row joins the caller's transaction when `session` is a Session (flushed), or
    commits alone when it is an Engine: a queue job's handler, which sends with no write
    transaction open, passes its engine. Returns the outbox row (None when a real provider
    took it, or when the row committed alone). Test mode records it as a test.
    Raises IntegrationError (classified): CircuitOpen (INTEGRATION_OFFLINE) at once, with no
    connection made, while the breaker is open, and when the relay refused us (sign-in, TLS,
    relaying: the workspace's email is then held, connections/holds.py).
    """
    if spec.sender is None:
        spec = replace(spec, sender=workspace_from(org_id))
    if isinstance(session, Engine):
        engine, joined = session, None
    else:
        joined = session
        plain = session() if hasattr(session, "registry") else session  # scoped_session
        engine = plain.get_bind()
    with delivery.open_channel(
        org_id, "email", settings=smtp_settings(org_id), engine=engine, clock=lambda: now
    ) as sender:
        try:
            receipt = sender.send_email(spec, purpose=purpose, test_mode=test_mode, session=joined)
        except IntegrationError as exc:
            held = held_error(engine, org_id, exc, now)  # the relay refused us: a CircuitOpen
            if held is exc:
                raise
            raise held from exc
    if receipt.provider != "outbox" or joined is None:
        return None
    return joined.get(OutboxMessage, int(receipt.provider_message_id))
