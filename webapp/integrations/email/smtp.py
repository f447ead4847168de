"""Email over SMTP: settings, one connection reused for a batch, and smtplib's errors mapped
to the resilience layer's classes here, inside the adapter.

The settings are passed in (a workspace's own values, resolved by the connections service,
else the deployment's SMTP_*); nothing here looks credentials up. Explicit timeouts on every
call; the caller's Message-ID (derived from the job) is kept, so a re-send is recognisable.
"""

from __future__ import annotations

import errno
import smtplib
import socket
import ssl
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from email.message import Message

from webapp.integrations import addresses
from webapp.integrations.email.dkim_signing import DkimKey
from webapp.integrations.email.dkim_signing import sign as dkim_sign
from webapp.integrations.email.headers import AddressError, parse_address
from webapp.integrations.email.mail_transaction import CallerFailed, Once, send_overlapped
from webapp.integrations.email.mime import (
    DEFAULT_FROM,
    SMTP_POLICY,
    EmailMessageSpec,
    build_message,
    default_sender,
    message_bytes,
    public_host,
)
from webapp.integrations.receipts import SendReceipt
from webapp.integrations.resilience import ErrorClass, IntegrationError, ProbeFailed


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
    # The workspace's bounce mailbox (bounces@domain): with it each message's envelope
    # sender is bounces+<verp token>@domain, so a bounce names its message (VERP).
    bounce_address: str | None = None
    # AUTH on a connection with neither SSL nor STARTTLS sends the password in the clear:
    # refused unless the owner ticked "allow plain-text login" (loopback relays too).
    allow_plain_login: bool = False
    dkim: DkimKey | None = None  # sign every message when set


def smtp_settings(
    own: Mapping[str, str] | None,
    config: Mapping,
    *,
    bounce_address: str | None = None,
    dkim: DkimKey | None = None,
) -> SmtpSettings | None:
    """The SMTP server to use, or None when mail goes to the outbox.

    `own` is the workspace's own credentials (Settings → Integrations) when it has them;
    else the deployment's SMTP_* settings in `config` apply.
    """
    if own:
        server = {
            "host": own["host"],
            "port": int(own.get("port") or 587),
            "username": own.get("username") or None,
            "password": own.get("password") or None,
            "starttls": own.get("starttls") == "1",
            "use_ssl": own.get("use_ssl") == "1",
            "allow_plain_login": own.get("allow_plain_login") == "1",
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
            "allow_plain_login": bool(config.get("SMTP_ALLOW_PLAIN_LOGIN")),
            "sender": default_sender(),
        }
    else:
        return None
    return SmtpSettings(
        **server,
        timeout=float(config.get("SMTP_TIMEOUT_SECONDS") or 20),
        helo=public_host(),
        bounce_address=bounce_address or None,
        dkim=dkim,
    )


# Reply codes (RFC 5321) and what they say about whose problem a failure is.
AUTH_CODES = frozenset({530, 534, 535, 538})
RATE_CODES = frozenset({421, 452})
RECIPIENT_CODES = frozenset({550, 551, 553})
OFFLINE_ERRNOS = frozenset({errno.ECONNREFUSED, errno.EHOSTUNREACH, errno.ENETUNREACH})
# Provider codes of refusals that are about our connection, not a message (no reply code):
# the caller holds the workspace's sending on them (services/suppression/smtp_answers.py).
TLS_FAILED = "tls"
PLAIN_LOGIN_REFUSED = "plain-login"
NO_AUTH = "no-auth"


def sign_in(smtp: smtplib.SMTP, s: SmtpSettings) -> None:
    """AUTH when a username is set, never in the clear unless the owner allowed it."""
    if not s.username:
        return
    if not isinstance(smtp.sock, ssl.SSLSocket) and not s.allow_plain_login:
        raise IntegrationError(
            "Refusing to send the SMTP password over a connection that is not encrypted: "
            "choose STARTTLS or SSL/TLS, or tick “allow plain-text login” for a relay you trust.",
            ErrorClass.CONFIGURATION_ERROR,
            provider_code=PLAIN_LOGIN_REFUSED,
        )
    smtp.login(s.username, s.password or "")


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
        return IntegrationError(
            f"SMTP server closed the connection: {exc}", ErrorClass.TRANSIENT_NETWORK
        )
    if isinstance(exc, smtplib.SMTPNotSupportedError):
        said = str(exc).upper()
        code = TLS_FAILED if "STARTTLS" in said else NO_AUTH if "AUTH" in said else None
        return IntegrationError(
            f"SMTP server does not support it: {exc}",
            ErrorClass.CONFIGURATION_ERROR,
            provider_code=code,
        )
    if isinstance(exc, socket.gaierror):
        if exc.errno == socket.EAI_AGAIN:
            return IntegrationError(
                f"SMTP host lookup failed for now: {exc}", ErrorClass.TRANSIENT_NETWORK
            )
        return IntegrationError(f"SMTP host not found: {exc}", ErrorClass.CONFIGURATION_ERROR)
    if isinstance(exc, ssl.SSLError):
        return IntegrationError(
            f"SMTP TLS failed (check SMTP_SSL / SMTP_STARTTLS): {exc}",
            ErrorClass.CONFIGURATION_ERROR,
            provider_code=TLS_FAILED,
        )
    if isinstance(exc, TimeoutError):
        return IntegrationError(f"SMTP server timed out: {exc}", ErrorClass.TRANSIENT_NETWORK)
    if isinstance(exc, OSError):
        if exc.errno in OFFLINE_ERRNOS:
            return IntegrationError(
                f"SMTP server unreachable: {exc}", ErrorClass.INTEGRATION_OFFLINE
            )
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
        try:  # MAIL FROM is the From's address, never a word of its display name
            self._envelope_from: str | None = parse_address(settings.sender).addr_spec
        except AddressError as exc:
            self._envelope_from, self._sender_error = None, str(exc)

    def __enter__(self) -> SmtpConnection:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def _open(self) -> smtplib.SMTP:
        s = self.settings
        context = ssl.create_default_context()
        if s.use_ssl:
            smtp: smtplib.SMTP = smtplib.SMTP_SSL(
                s.host, s.port, local_hostname=s.helo, timeout=s.timeout, context=context
            )
        else:
            smtp = smtplib.SMTP(s.host, s.port, local_hostname=s.helo, timeout=s.timeout)
        try:
            if s.starttls and not s.use_ssl:
                smtp.starttls(context=context)
            sign_in(smtp, s)
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

    def envelope_from(self, verp: str | None) -> str:
        """MAIL FROM: the VERP address when there is a bounce mailbox and a token, else the
        sender's address."""
        if self._envelope_from is None:  # never sent as "sent": the sender must be fixed
            raise IntegrationError(
                f"The sender (From) is not usable: {self._sender_error}",
                ErrorClass.CONFIGURATION_ERROR,
            )
        if not verp or not self.settings.bounce_address:
            return self._envelope_from
        local, _, domain = self.settings.bounce_address.rpartition("@")
        return f"{local}+{verp}@{domain}"

    def send(
        self,
        spec: EmailMessageSpec,
        *,
        verp: str | None = None,
        meanwhile: Callable[[], object] | None = None,
        **_ignored: object,
    ) -> SendReceipt:
        """Send one message. Returns a SendReceipt; raises IntegrationError (classified).

        `meanwhile`: the caller's work to do while the server answers this message's first
        command (a dispatcher records the previous message then), always before the message
        itself goes: called at most once; its exception drops the connection, whose
        command's answer is left unread, and comes out as it is.
        """
        once = Once(meanwhile)
        to = addresses.email_address(spec.to)
        envelope_from = self.envelope_from(verp)
        try:
            if to.isascii() and envelope_from.isascii():
                # The bytes written directly (mime.message_bytes): ~15 times cheaper.
                mail, msgid = message_bytes(spec, self.settings.sender)
            else:  # an international address: send_message asks for SMTPUTF8
                mail = build_message(spec, self.settings.sender)
                msgid = mail["Message-ID"]
                if self.settings.dkim is not None:
                    mail = mail.as_bytes(policy=SMTP_POLICY)
            if self.settings.dkim is not None:
                mail = dkim_sign(mail, self.settings.dkim)
        except (ValueError, TypeError) as exc:  # e.g. a header value the email package refuses
            raise IntegrationError(
                f"The email cannot be built: {exc}", ErrorClass.CONFIGURATION_ERROR
            ) from exc
        try:
            self._deliver(envelope_from, to, mail, once)
        except CallerFailed as failed:  # not SMTP's failure; the connection is mid-command
            self._drop()
            raise failed.error from None
        return SendReceipt("smtp", message_id=msgid)

    def _deliver(self, sender: str, to: str, mail: bytes | Message, once: Once) -> None:
        reused = self._smtp is not None
        try:
            self._transmit(self._smtp or self._open(), sender, to, mail, once)
        except DROPPED as exc:
            self._drop()
            if not reused:
                raise classify_smtp_error(exc) from exc
            try:
                self._transmit(self._open(), sender, to, mail, once)
            except Exception as again:
                self._after_failure(again)
                raise classify_smtp_error(again) from again
        except Exception as exc:
            self._after_failure(exc)
            raise classify_smtp_error(exc) from exc

    def _transmit(
        self, smtp: smtplib.SMTP, sender: str, to: str, mail: bytes | Message, once: Once
    ) -> None:
        if not isinstance(mail, bytes):
            once.run()
            smtp.send_message(mail, from_addr=sender, to_addrs=[to])
        elif not (to.isascii() and sender.isascii()):
            once.run()
            smtp.sendmail(sender, [to], mail, mail_options=["SMTPUTF8"])
        else:
            send_overlapped(smtp, sender, to, mail, once)

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


def probe(s: SmtpSettings) -> str:
    """Connect, EHLO, STARTTLS and sign in as configured, NOOP, QUIT (no mail is sent).

    Returns what worked, in words; raises ProbeFailed naming the step that failed."""
    done: list[str] = []
    step = f"connecting to {s.host}:{s.port}"
    smtp: smtplib.SMTP | None = None
    try:
        context = ssl.create_default_context()
        if s.use_ssl:
            smtp = smtplib.SMTP_SSL(
                s.host, s.port, local_hostname=s.helo, timeout=s.timeout, context=context
            )
        else:
            smtp = smtplib.SMTP(s.host, s.port, local_hostname=s.helo, timeout=s.timeout)
        done.append(f"connected to {s.host}:{s.port}" + (" over TLS" if s.use_ssl else ""))
        step = "greeting the server (EHLO)"
        code, message = smtp.ehlo()
        if not 200 <= code < 300:
            raise smtplib.SMTPResponseException(code, message)
        done.append("EHLO accepted")
        if s.starttls and not s.use_ssl:
            step = "switching to TLS (STARTTLS)"
            smtp.starttls(context=context)
            smtp.ehlo()
            done.append("STARTTLS done")
        if s.username:
            step = f"signing in as {s.username}"
            sign_in(smtp, s)
            done.append(f"signed in as {s.username}")
        step = "checking the session (NOOP)"
        code, message = smtp.noop()
        if code != 250:
            raise smtplib.SMTPResponseException(code, message)
        smtp.quit()
    except Exception as exc:
        if smtp is not None:
            try:
                smtp.close()
            except OSError:
                pass
        raise ProbeFailed(step, done, classify_smtp_error(exc)) from exc
    sender = f"; mail will come from {s.sender}" if s.sender else ""
    return "The mail server works: " + ", ".join(done) + sender + "."
