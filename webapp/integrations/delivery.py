"""The one door every outbound message goes through, whatever the channel: a sequence batch,
a coach message, a weekly report or a health alert.

    with open_channel(org_id, "email", settings=smtp, engine=engine, clock=clock) as channel:
        for message in batch:
            receipt = channel.send(message)   # SendReceipt, or raises IntegrationError

`settings` is the provider's settings with the workspace's credentials, resolved by the
connections service (`services.connections.channels.open_channel` does both); None means
the local outbox.

`send` checks the address first (an invalid one raises INVALID_RECIPIENT at once, with no
provider call), then calls the provider under the (workspace, provider) circuit breaker.
Test-mode messages are recorded in the outbox as tests and never sent. Pacing is the
caller's: `rate_per_minute(channel)` with `resilience.take_tokens` on `pacing_keys(...)`.

The breaker's state is shared through the database; to keep the per-message cost to the
provider call itself, a channel consults it at the start of a batch, again every few
seconds, and whenever the last call failed, and writes successes when the breaker needs
resetting or the batch ends (failures are written at once).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from flask import current_app, has_app_context
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from webapp.integrations import addresses
from webapp.integrations.email.headers import insecure_public_url
from webapp.integrations.email.mime import EmailMessageSpec, message_id, sender_domain
from webapp.integrations.email.smtp import SmtpConnection, SmtpSettings
from webapp.integrations.outbox import Outbox
from webapp.integrations.receipts import SendReceipt
from webapp.integrations.resilience import (
    TRIPS_BREAKER,
    Breaker,
    CircuitOpen,
    ErrorClass,
    IntegrationError,
)
from webapp.integrations.twilio.messaging import TwilioSender, TwilioSettings

ProviderSettings = SmtpSettings | TwilioSettings

__all__ = [
    "ChannelSender",
    "CircuitOpen",
    "IntegrationError",
    "OutgoingMessage",
    "SendReceipt",
    "SendingHeld",
    "open_channel",
    "pacing_keys",
    "provider_name",
    "rate_per_minute",
    "status_callback_url",
]

CHANNELS = ("email", "sms", "whatsapp")
RECHECK_SECONDS = 5.0  # how stale a batch's view of the shared breaker may get


@dataclass(frozen=True)
class OutgoingMessage:
    """One rendered message to one recipient."""

    channel: str  # email | sms | whatsapp
    to: str
    subject: str = ""
    text: str = ""
    html: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    message_id: str | None = None  # email: "<…@…>", the job's (see email.message_id_for)
    status_callback: str | None = None  # SMS/WhatsApp: URL carrying our send id
    org_id: int | None = None
    purpose: str = "sequence"
    test_mode: bool = False
    verp: str | None = None  # email: the signed send id for the VERP return path
    sender: str | None = None  # email: the workspace's From; None: the provider's default
    # WhatsApp outside the 24-hour window: an approved template (Twilio Content API).
    content_sid: str | None = None
    content_variables: dict[str, str] | None = None


def provider_name(channel: str, settings: ProviderSettings | None) -> str:
    """Who delivers `channel` with these settings: "smtp" | "twilio" | "outbox" (None)."""
    if channel not in CHANNELS:
        raise ValueError(f"unknown channel {channel!r}")
    if settings is None:
        return "outbox"
    return "smtp" if channel == "email" else "twilio"


def rate_per_minute(channel: str) -> float:
    """The pacing of `channel` in messages per minute (0 = unpaced). WhatsApp shares SMS's rate."""
    name = "EMAIL_PER_MINUTE" if channel == "email" else "SMS_PER_MINUTE"
    defaults = {"EMAIL_PER_MINUTE": 600, "SMS_PER_MINUTE": 60}
    value = current_app.config.get(name, defaults[name]) if has_app_context() else defaults[name]
    return float(value)


def pacing_keys(org_id: int | None, channel: str, provider: str) -> tuple[str, str]:
    """Token-bucket keys for `channel` sent through `provider`: the provider as a whole, and
    this workspace on it."""
    lane = "email" if channel == "email" else "sms"
    return f"{provider}:{lane}", f"{provider}:{lane}:org:{org_id or 0}"


HELD_FOR = timedelta(minutes=15)  # how long refused mail waits before it is looked at again


class SendingHeld(CircuitOpen):
    """Nothing was sent, and nothing is the contact's fault: the deployment must be fixed
    first. Callers treat it as an open circuit: the message waits until `retry_at`
    without spending an attempt."""

    def __init__(self, reason: str, retry_at: datetime) -> None:
        IntegrationError.__init__(self, reason, ErrorClass.CONFIGURATION_ERROR)
        self.retry_at = retry_at
        self.held = reason  # shown with each waiting message, as a relay's hold is


def _public_url() -> str | None:
    return current_app.config.get("PUBLIC_URL") if has_app_context() else None


def status_callback_url(send_id: int) -> str:
    """Where Twilio reports a message's delivery: our webhook with the send id in the path."""
    base = (current_app.config.get("PUBLIC_URL") or "http://127.0.0.1:8000").rstrip("/")
    return f"{base}/webhooks/twilio/status/{int(send_id)}"


def coach_status_callback_url(followup_id: int) -> str:
    """Where Twilio reports the delivery of a coach message: the follow-up id in the path."""
    base = (current_app.config.get("PUBLIC_URL") or "http://127.0.0.1:8000").rstrip("/")
    return f"{base}/webhooks/twilio/coach-status/{int(followup_id)}"


class _BatchBreaker:
    """A batch's use of the shared Breaker: refuse while open, count every failure at once."""

    def __init__(self, breaker: Breaker, clock: Callable[[], datetime]) -> None:
        self.breaker = breaker
        self.clock = clock
        self.checked_at: float | None = None
        self.must_check = True  # at the start, and after a failure or a half-open trial
        self.must_record_success = True  # the first success resets failures counted elsewhere
        self.unrecorded: tuple[datetime, int] | None = None
        self.open_until: datetime | None = None
        self.held: str | None = None  # why the breaker holds the provider (CircuitOpen.held)

    def before(self) -> None:
        now = self.clock()
        if self.open_until is not None and now < self.open_until:
            raise CircuitOpen(self.breaker.provider, self.open_until, held=self.held)
        stale = self.checked_at is None or time.monotonic() - self.checked_at > RECHECK_SECONDS
        if self.must_check or stale:
            try:
                trial = self.breaker.before_call(now)
            except CircuitOpen as exc:
                self.open_until, self.held = exc.retry_at, exc.held
                raise
            self.open_until = None
            self.checked_at = time.monotonic()
            self.must_check = trial is not None
            self.must_record_success = self.must_record_success or trial is not None

    def success(self, duration_ms: int) -> None:
        if self.must_record_success:
            self.breaker.record_success(self.clock(), duration_ms)
            self.must_record_success = False
            self.must_check = False
            self.unrecorded = None
        else:
            self.unrecorded = (self.clock(), duration_ms)

    def failure(self, error: IntegrationError, duration_ms: int) -> None:
        now = self.clock()
        if self.breaker.record_failure(now, error, duration_ms) == "open":
            self.open_until = now + timedelta(seconds=self.breaker.open_seconds)
        # Read the shared state before the next call: the caller may have held the provider.
        self.must_check = True
        if error.error_class in TRIPS_BREAKER:
            self.must_record_success = True

    def close(self) -> None:
        if self.unrecorded is not None:
            self.breaker.record_success(*self.unrecorded)
            self.unrecorded = None


class ChannelSender:
    """Sends a batch of messages of one channel for one workspace. Use via `open_channel`."""

    def __init__(
        self,
        org_id: int | None,
        channel: str,
        *,
        settings: ProviderSettings | None,
        engine: Engine,
        clock: Callable[[], datetime],
    ) -> None:
        self.provider = provider_name(channel, settings)
        self.org_id = org_id
        self.channel = channel
        self.engine = engine
        self.clock = clock
        self._settings = settings
        self._transport: SmtpConnection | TwilioSender | None = None
        self._outbox = Outbox(engine, org_id, clock)
        self._guard: _BatchBreaker | None = None
        # Message-IDs are made on the From's domain, found once per channel, not per message.
        email_from = getattr(settings, "sender", None) if channel == "email" else None
        self.sender_domain = sender_domain(email_from) if channel == "email" else ""
        # Real mail with one-click unsubscribe links that are not https is refused (RFC 8058).
        self._refusal = insecure_public_url(_public_url()) if self.provider == "smtp" else None
        if self.provider != "outbox":
            breaker = Breaker(engine, org_id or 0, self.provider)
            self._guard = _BatchBreaker(breaker, clock)

    @property
    def whatsapp_template(self) -> str | None:
        """The approved WhatsApp template's Content SID (HX…) of a Twilio channel, if set."""
        if self.provider != "twilio":
            return None
        return getattr(self._settings, "whatsapp_template_sid", None) or None

    def _transport_for_provider(self) -> SmtpConnection | TwilioSender:
        if self._transport is None:
            if self.provider == "smtp":
                self._transport = SmtpConnection(self._settings)
            else:
                self._transport = TwilioSender(self._settings)
        return self._transport

    def send(
        self,
        message: OutgoingMessage,
        *,
        session: Session | None = None,
        meanwhile: Callable[[], object] | None = None,
    ) -> SendReceipt:
        """Deliver one message. Returns its SendReceipt; raises IntegrationError (classified).

        CircuitOpen (an IntegrationError, INTEGRATION_OFFLINE) means the provider was not
        called. With `session=`, an outbox row joins the caller's transaction. `meanwhile`:
        the caller's work that must be done before this message goes, done during SMTP's
        first round trip (SmtpConnection.send), else first; its exception comes out as it
        is. A send refused before that (an open breaker) leaves it undone.
        """
        if message.channel != self.channel:
            raise ValueError(f"a {self.channel} channel cannot send a {message.channel} message")
        if self.channel == "email":
            spec = EmailMessageSpec(
                to=message.to,
                subject=message.subject,
                text=message.text,
                html=message.html,
                headers=dict(message.headers),
                message_id=message.message_id or message_id(domain=self.sender_domain),
                sender=message.sender,
            )
            return self.send_email(
                spec,
                purpose=message.purpose,
                test_mode=message.test_mode,
                session=session,
                verp=message.verp,
                meanwhile=meanwhile,
            )
        to = addresses.recipient(self.channel, message.to)
        if meanwhile is not None:
            meanwhile()
        if message.test_mode or self.provider == "outbox":
            return self._outbox.send_text(
                to,
                message.text,
                channel=self.channel,
                purpose=message.purpose,
                test_mode=message.test_mode,
                session=session,
            )
        return self._guarded(
            lambda: self._transport_for_provider().send(
                to,
                message.text,
                channel=self.channel,
                status_callback=message.status_callback,
                content_sid=message.content_sid,
                content_variables=message.content_variables,
            )
        )

    def send_email(
        self,
        spec: EmailMessageSpec,
        *,
        purpose: str,
        test_mode: bool = False,
        session: Session | None = None,
        verp: str | None = None,
        meanwhile: Callable[[], object] | None = None,
    ) -> SendReceipt:
        """Deliver one built email (an email channel only), exactly like `send`: the address
        checked first, then the outbox or SMTP under the breaker."""
        if self.channel != "email":
            raise ValueError(f"a {self.channel} channel cannot send an email")
        spec = replace(spec, to=addresses.email_address(spec.to))
        if test_mode or self.provider == "outbox":
            if meanwhile is not None:
                meanwhile()
            return self._outbox.send_email(
                spec, purpose=purpose, test_mode=test_mode, session=session
            )
        if self._refusal:
            raise SendingHeld(self._refusal, self.clock() + HELD_FOR)
        return self._guarded(
            lambda: self._transport_for_provider().send(spec, verp=verp, meanwhile=meanwhile)
        )

    def _guarded(self, call: Callable[[], SendReceipt]) -> SendReceipt:
        assert self._guard is not None
        self._guard.before()
        started = time.monotonic()
        try:
            receipt = call()
        except IntegrationError as error:
            self._guard.failure(error, int((time.monotonic() - started) * 1000))
            raise
        self._guard.success(int((time.monotonic() - started) * 1000))
        return receipt

    def already_sent(self, message: OutgoingMessage, *, since: datetime) -> SendReceipt | None:
        """After an ambiguous failure (IntegrationError.ambiguous): did the provider take it anyway?

        Only Twilio can say (SMTP re-sends are recognisable by their Message-ID); None otherwise.
        """
        if self.provider != "twilio" or message.test_mode:
            return None
        transport = self._transport_for_provider()
        assert isinstance(transport, TwilioSender)
        to = addresses.recipient(self.channel, message.to)
        return self._guarded(
            lambda: transport.find_recent(to, message.text, channel=self.channel, since=since)
        )

    def close(self) -> None:
        try:
            if isinstance(self._transport, SmtpConnection):
                self._transport.close()
        finally:
            if self._guard is not None:
                self._guard.close()


@contextmanager
def open_channel(
    org_id: int | None,
    channel: str,
    *,
    settings: ProviderSettings | None,
    engine: Engine,
    clock: Callable[[], datetime],
) -> Iterator[ChannelSender]:
    """A ChannelSender for a batch; its connection is closed and its outcome recorded at the end.

    Never hold a write transaction across the block: the breaker and the outbox write in
    short transactions of their own.
    """
    sender = ChannelSender(org_id, channel, settings=settings, engine=engine, clock=clock)
    try:
        yield sender
    finally:
        sender.close()
