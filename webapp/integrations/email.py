"""The email adapter: `send_email` for a single message, `email_session` for a batch.

With no mail server configured, delivery is a row in the local outbox (OutboxMessage),
rendered as the recipient would see it. With SMTP_HOST set, mail goes over real SMTP:
text and HTML parts, the caller's Message-ID (derived from the job, so a re-send is
recognisable), explicit timeouts, one connection reused for a whole batch, and smtplib's
errors mapped to the resilience layer's error classes here, inside the adapter.
"""

from __future__ import annotations

import errno
import smtplib
import socket
import ssl
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from email.charset import QP, Charset
from email.header import Header
from email.message import Message
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.utils import formataddr, formatdate, make_msgid, parseaddr
from typing import Protocol
from urllib.parse import urlsplit

from flask import current_app, has_app_context
from sqlalchemy import insert
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from webapp.db_setup import write_engine
from webapp.integrations import addresses
from webapp.integrations.resilience import ErrorClass, IntegrationError
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
    """The From of our mail: SMTP_FROM (or MAIL_FROM) when set, else a local placeholder."""
    if has_app_context():
        config = current_app.config
        return config.get("SMTP_FROM") or config.get("MAIL_FROM") or DEFAULT_FROM
    return DEFAULT_FROM


def message_id(*parts: object, domain: str | None = None) -> str:
    """A Message-ID derived from `parts` (e.g. report id and recipient), stable across re-sends."""
    host = domain or _public_host()
    if not parts:
        return make_msgid(domain=host)
    local = ".".join(str(p).replace("@", "=").replace(" ", "") for p in parts)
    return f"<{local}@{host}>"


def message_id_for(job_id: int | str, domain: str | None = None, *, step: int | None = None) -> str:
    """The Message-ID of a queued message, e.g. `<job-123.step-2@host>`: the same on every attempt."""
    parts = [f"job-{job_id}"] + ([f"step-{step}"] if step is not None else [])
    return message_id(*parts, domain=domain)


def _public_host() -> str:
    url = current_app.config.get("PUBLIC_URL") if has_app_context() else None
    return urlsplit(url or "http://localhost").hostname or "localhost"


@dataclass(frozen=True)
class SendReceipt:
    """What a provider said when it took a message."""

    provider: str  # smtp | twilio | outbox
    message_id: str | None = None  # the email's Message-ID
    provider_message_id: str | None = None  # Twilio's message SID, or the outbox row id


# --- SMTP -------------------------------------------------------------------------------


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int = 587
    username: str | None = None
    password: str | None = None
    starttls: bool = True
    use_ssl: bool = False
    sender: str = DEFAULT_FROM
    timeout: float = 20.0
    helo: str | None = None  # the EHLO name; None asks the OS (slow when DNS is slow)


def smtp_settings(org_id: int | None = None) -> SmtpSettings | None:
    """The SMTP server for this workspace, or None when mail goes to the outbox.

    The workspace's own credentials (Settings → Integrations) when it has them, else the
    deployment's SMTP_* settings.
    """
    if not has_app_context():
        return None
    config = current_app.config
    from webapp.services.credentials import workspace_values

    own = workspace_values(org_id, "smtp")
    if own:
        server = {
            "host": own["host"],
            "port": int(own.get("port") or 587),
            "username": own.get("username") or None,
            "password": own.get("password") or None,
            "starttls": own.get("starttls") == "1",
            "use_ssl": own.get("use_ssl") == "1",
            "sender": own.get("sender") or default_sender(),
        }
    elif config.get("SMTP_HOST"):
        server = {
            "host": config["SMTP_HOST"],
            "port": int(config.get("SMTP_PORT") or 587),
            "username": config.get("SMTP_USERNAME"),
            "password": config.get("SMTP_PASSWORD"),
            "starttls": bool(config.get("SMTP_STARTTLS")),
            "use_ssl": bool(config.get("SMTP_SSL")),
            "sender": default_sender(),
        }
    else:
        return None
    return SmtpSettings(**server, timeout=float(config.get("SMTP_TIMEOUT_SECONDS") or 20), helo=_public_host())


_UTF8_QP = Charset("utf-8")
_UTF8_QP.body_encoding = QP  # readable in any mail source view, unlike base64


def _header(value: str) -> str | Header:
    # A line break in a header would be header injection; templates may produce one.
    value = " ".join(str(value).split())
    return value if value.isascii() else Header(value, "utf-8")


def _address(value: str) -> str:
    name, address = parseaddr(value)
    return formataddr((" ".join(name.split()), address), charset="utf-8") if address else " ".join(value.split())


def build_message(spec: EmailMessageSpec, default_from: str, domain: str | None = None) -> Message:
    """The MIME message: a text part, an HTML alternative when given, the caller's headers.

    Built with the email package's compat32 classes: the modern `EmailMessage` parses every
    header it is given and cost ~1.8 ms a message here, about what sending it costs; these
    cost ~0.5 ms and produce standard MIME (encoded words for non-ASCII headers)."""
    text = MIMEText(spec.text, "plain", _UTF8_QP)
    if spec.html:
        msg: Message = MIMEMultipart("alternative")
        msg.attach(text)
        msg.attach(MIMEText(spec.html, "html", _UTF8_QP))
    else:
        msg = text
    msg["From"] = _address(spec.sender or default_from)
    msg["To"] = _address(spec.to)
    msg["Subject"] = _header(spec.subject)
    msg["Date"] = formatdate(localtime=False)
    msg["Message-ID"] = spec.message_id or make_msgid(domain=domain)
    for name, value in spec.headers.items():
        msg[name] = _header(value)
    return msg


# Reply codes (RFC 5321) and what they say about whose problem a failure is.
AUTH_CODES = frozenset({530, 534, 535, 538})
RATE_CODES = frozenset({421, 452})
RECIPIENT_CODES = frozenset({550, 551, 553})
OFFLINE_ERRNOS = frozenset({errno.ECONNREFUSED, errno.EHOSTUNREACH, errno.ENETUNREACH})


def _by_code(code: int, message: str, *, recipient: bool) -> IntegrationError:
    text = f"SMTP {code}: {message}"
    if code in AUTH_CODES:
        return IntegrationError(text, ErrorClass.THIRD_PARTY_AUTH_FAILED, provider_code=str(code))
    if code in RATE_CODES:
        return IntegrationError(text, ErrorClass.RATE_LIMITED, provider_code=str(code))
    if 400 <= code < 500:
        return IntegrationError(text, ErrorClass.TRANSIENT_NETWORK, provider_code=str(code))
    if recipient and code in RECIPIENT_CODES:
        return IntegrationError(text, ErrorClass.INVALID_RECIPIENT, provider_code=str(code))
    return IntegrationError(text, ErrorClass.CONFIGURATION_ERROR, provider_code=str(code))


def _decoded(message: bytes | str) -> str:
    return message.decode("utf-8", "replace") if isinstance(message, bytes) else str(message)


def classify_smtp_error(exc: BaseException) -> IntegrationError:
    """Map an smtplib / socket / ssl exception to a classified IntegrationError."""
    if isinstance(exc, IntegrationError):
        return exc
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        code, message = next(iter(exc.recipients.values()), (550, b"recipient refused"))
        return _by_code(code, _decoded(message), recipient=True)
    if isinstance(exc, smtplib.SMTPSenderRefused):
        detail = _decoded(exc.smtp_error)
        if exc.smtp_code >= 500:
            detail = f"sender {exc.sender} refused: {detail}"
        return _by_code(exc.smtp_code, detail, recipient=False)
    if isinstance(exc, smtplib.SMTPResponseException):
        return _by_code(exc.smtp_code, _decoded(exc.smtp_error), recipient=False)
    if isinstance(exc, smtplib.SMTPServerDisconnected):
        return IntegrationError(f"SMTP server closed the connection: {exc}", ErrorClass.TRANSIENT_NETWORK)
    if isinstance(exc, smtplib.SMTPNotSupportedError):
        return IntegrationError(f"SMTP server does not support it: {exc}", ErrorClass.CONFIGURATION_ERROR)
    if isinstance(exc, socket.gaierror):
        if exc.errno == socket.EAI_AGAIN:
            return IntegrationError(f"SMTP host lookup failed for now: {exc}", ErrorClass.TRANSIENT_NETWORK)
        return IntegrationError(f"SMTP host not found: {exc}", ErrorClass.CONFIGURATION_ERROR)
    if isinstance(exc, ssl.SSLError):
        return IntegrationError(f"SMTP TLS failed (check SMTP_SSL / SMTP_STARTTLS): {exc}", ErrorClass.CONFIGURATION_ERROR)
    if isinstance(exc, TimeoutError):
        return IntegrationError(f"SMTP server timed out: {exc}", ErrorClass.TRANSIENT_NETWORK)
    if isinstance(exc, OSError):
        if exc.errno in OFFLINE_ERRNOS:
            return IntegrationError(f"SMTP server unreachable: {exc}", ErrorClass.INTEGRATION_OFFLINE)
        return IntegrationError(f"SMTP network error: {exc}", ErrorClass.TRANSIENT_NETWORK)
    return IntegrationError(f"SMTP {type(exc).__name__}: {exc}", ErrorClass.CONFIGURATION_ERROR)


# A reused connection that the server has since closed fails with one of these before the
# message is accepted; one reconnect then re-sends it.
DROPPED = (smtplib.SMTPServerDisconnected, ConnectionResetError, BrokenPipeError)


class SmtpConnection:
    """One SMTP connection reused for a batch: `.send(spec)` per message, `.close()` at the end.

    Connects on the first send; a connection dropped between messages (an idle timeout, a
    server restart) is re-opened once. Errors come out as classified IntegrationErrors.
    """

    provider = "smtp"

    def __init__(self, settings: SmtpSettings) -> None:
        self.settings = settings
        self._smtp: smtplib.SMTP | None = None
        self.connections_opened = 0
        self._envelope_from = parseaddr(settings.sender)[1] or parseaddr(DEFAULT_FROM)[1]

    def __enter__(self) -> SmtpConnection:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def _open(self) -> smtplib.SMTP:
        s = self.settings
        context = ssl.create_default_context()
        if s.use_ssl:
            smtp: smtplib.SMTP = smtplib.SMTP_SSL(s.host, s.port, local_hostname=s.helo, timeout=s.timeout, context=context)
        else:
            smtp = smtplib.SMTP(s.host, s.port, local_hostname=s.helo, timeout=s.timeout)
        try:
            if s.starttls and not s.use_ssl:
                smtp.starttls(context=context)
            if s.username:
                smtp.login(s.username, s.password or "")
        except BaseException:
            _quietly_close(smtp)
            raise
        self.connections_opened += 1
        self._smtp = smtp
        return smtp

    def _drop(self) -> None:
        if self._smtp is not None:
            _quietly_close(self._smtp)
            self._smtp = None

    def send(self, spec: EmailMessageSpec, **_ignored: object) -> SendReceipt:
        """Send one message. Returns a SendReceipt; raises IntegrationError (classified)."""
        to = addresses.email_address(spec.to)
        try:
            msg = build_message(spec, self.settings.sender, domain=self.settings.helo)
        except (ValueError, TypeError) as exc:  # e.g. a header value the email package refuses
            raise IntegrationError(f"The email cannot be built: {exc}", ErrorClass.CONFIGURATION_ERROR) from exc
        reused = self._smtp is not None
        try:
            smtp = self._smtp or self._open()
            smtp.send_message(msg, from_addr=self._envelope_from, to_addrs=[to])
        except DROPPED as exc:
            self._drop()
            if not reused:
                raise classify_smtp_error(exc) from exc
            try:
                self._open().send_message(msg, from_addr=self._envelope_from, to_addrs=[to])
            except Exception as again:
                self._after_failure(again)
                raise classify_smtp_error(again) from again
        except Exception as exc:
            self._after_failure(exc)
            raise classify_smtp_error(exc) from exc
        return SendReceipt("smtp", message_id=msg["Message-ID"])

    def _after_failure(self, exc: BaseException) -> None:
        # A refusal of one message leaves the session usable (smtplib sent RSET); anything
        # else (timeouts, 421 closing the channel, TLS trouble) leaves it in doubt.
        refused = isinstance(exc, smtplib.SMTPRecipientsRefused) or (
            isinstance(exc, smtplib.SMTPResponseException) and exc.smtp_code != 421
        )
        if not refused or self._smtp is None or self._smtp.sock is None:
            self._drop()

    def close(self) -> None:
        if self._smtp is not None:
            try:
                self._smtp.quit()
            except (smtplib.SMTPException, OSError):
                pass
            self._drop()


def _quietly_close(smtp: smtplib.SMTP) -> None:
    try:
        smtp.close()
    except OSError:
        pass


# --- the outbox, for a batch ----------------------------------------------------------------


class OutboxBatch:
    """Outbox delivery for a batch: each message is a row committed on its own.

    With `session=` a row is added to the caller's transaction instead (flushed, not
    committed), so the caller can commit it together with marking the message sent.
    """

    provider = "outbox"

    def __init__(self, engine: Engine, org_id: int | None, clock: Callable[[], datetime], channel: str = "email") -> None:
        self.engine = engine
        self.org_id = org_id
        self.clock = clock
        self.channel = channel

    def __enter__(self) -> OutboxBatch:
        return self

    def __exit__(self, *_exc: object) -> None:
        return None

    def send(self, spec: EmailMessageSpec, *, purpose: str = "", test_mode: bool = False,
             session: Session | None = None) -> SendReceipt:
        values = {
            "org_id": self.org_id, "channel": self.channel, "to": spec.to, "sender": spec.sender or default_sender(),
            "subject": spec.subject, "body_text": spec.text, "body_html": spec.html, "headers": dict(spec.headers),
            "message_id": spec.message_id, "purpose": purpose, "test_mode": test_mode, "created_at": self.clock(),
        }
        if session is not None:
            row = OutboxMessage(**values)
            session.add(row)
            session.flush()
            row_id = row.id
        else:
            with write_engine(self.engine).begin() as conn:
                row_id = conn.execute(insert(OutboxMessage).values(**values).returning(OutboxMessage.id)).scalar_one()
        return SendReceipt("outbox", message_id=spec.message_id, provider_message_id=str(row_id))


@contextmanager
def email_session(
    org_id: int | None, *, engine: Engine | None = None, clock: Callable[[], datetime] | None = None
) -> Iterator[SmtpConnection | OutboxBatch]:
    """A batch sender for this workspace: one SMTP connection, or the outbox when no SMTP is set.

    Yields an object with `.send(spec, *, purpose=, test_mode=) -> SendReceipt`; the SMTP
    connection is closed (QUIT) when the block ends.
    """
    settings = smtp_settings(org_id)
    if settings is not None:
        with SmtpConnection(settings) as connection:
            yield connection
        return
    from webapp import clock as app_clock
    from webapp.extensions import db

    yield OutboxBatch(engine or db.engine, org_id, clock or app_clock.now)


class SmtpSender:
    """`send_email` over SMTP: one connection per message (batches use `email_session`)."""

    name = "smtp"

    def __init__(self, settings: SmtpSettings) -> None:
        self.settings = settings

    def send(
        self,
        session: Session,
        org_id: int | None,
        spec: EmailMessageSpec,
        *,
        purpose: str,
        now: datetime,
        test_mode: bool,
    ) -> OutboxMessage | None:
        if test_mode:  # a test is recorded, never sent
            return OutboxSender().send(session, org_id, spec, purpose=purpose, now=now, test_mode=True)
        with SmtpConnection(self.settings) as connection:
            connection.send(spec)
        return None


def configured_sender(org_id: int | None) -> Sender:
    """The sender for this workspace: SMTP when configured, else the local outbox."""
    settings = smtp_settings(org_id)
    return SmtpSender(settings) if settings is not None else OutboxSender()


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
    when a real provider took it. Test mode records the message as a test. Raises
    IntegrationError (classified) when the SMTP server refuses or cannot be reached.
    """
    return configured_sender(org_id).send(
        session, org_id, spec, purpose=purpose, now=now, test_mode=test_mode
    )
