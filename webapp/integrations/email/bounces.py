"""The bounce mailbox: reading it over POP3 with TLS, and what a bounce or complaint says.

Reading: `open_mailbox(settings)` signs in to the mailbox the VERP return path delivers to
(POP3 over implicit TLS, port 995; the credentials are passed in), lists its messages, and
deletes the ones the caller handled (POP3 deletes at QUIT, so a crash deletes nothing).

Parsing: `parse_report(raw)` reads a delivery status notification (RFC 3464,
multipart/report; report-type=delivery-status) with flufl.bounce, which also knows the
non-standard bounces of older MTAs, and an abuse report (RFC 5965 ARF, report-type=
feedback-report) itself. It returns the addresses the report was sent to (where the VERP
token is) and what failed; it never decides whom to suppress: a service checks the token.
"""

from __future__ import annotations

import email
import email.policy
import poplib
import re
import ssl
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.message import Message
from email.utils import getaddresses

from flufl.bounce import all_failures

from webapp.integrations.resilience import ErrorClass, IntegrationError, ProbeFailed

# Headers where an MTA records the envelope recipient of the bounce (our VERP address).
RECIPIENT_HEADERS = ("Delivered-To", "X-Original-To", "Envelope-To", "X-Envelope-To", "To")
DIAGNOSTIC = re.compile(r"^Diagnostic-Code:\s*(?:smtp;)?\s*(.+(?:\n[ \t].+)*)", re.I | re.M)


@dataclass(frozen=True)
class MailboxSettings:
    host: str
    port: int = 995
    username: str = ""
    password: str = ""
    timeout: float = 20.0
    cafile: str | None = None  # a private CA (tests, an internal mail server); None: the system's


@dataclass
class Report:
    kind: str | None  # "bounce" | "complaint" | None (not a report we understand)
    recipients: list[str] = field(default_factory=list)  # where it was delivered (VERP)
    permanent: list[str] = field(default_factory=list)  # addresses that failed for good
    temporary: list[str] = field(default_factory=list)
    detail: str = ""  # the Diagnostic-Code, or the feedback type
    message_id: str = ""


def _classified(exc: BaseException) -> IntegrationError:
    if isinstance(exc, poplib.error_proto):
        return IntegrationError(f"The mailbox refused: {exc}", ErrorClass.THIRD_PARTY_AUTH_FAILED)
    if isinstance(exc, ssl.SSLError):
        return IntegrationError(f"TLS failed: {exc}", ErrorClass.CONFIGURATION_ERROR)
    if isinstance(exc, TimeoutError):
        return IntegrationError(f"The mailbox timed out: {exc}", ErrorClass.TRANSIENT_NETWORK)
    if isinstance(exc, OSError):
        return IntegrationError(
            f"The mailbox is unreachable: {exc}", ErrorClass.INTEGRATION_OFFLINE
        )
    return IntegrationError(f"POP3 {type(exc).__name__}: {exc}", ErrorClass.CONFIGURATION_ERROR)


class Mailbox:
    """A signed-in POP3 session: `numbers()`, `fetch(n)`, `delete(n)`."""

    def __init__(self, pop: poplib.POP3_SSL) -> None:
        self.pop = pop

    def numbers(self, limit: int) -> list[int]:
        _resp, listing, _octets = self.pop.list()
        return [int(line.split()[0]) for line in listing][:limit]

    def fetch(self, number: int) -> bytes:
        _resp, lines, _octets = self.pop.retr(number)
        return b"\r\n".join(lines) + b"\r\n"

    def delete(self, number: int) -> None:
        self.pop.dele(number)


@contextmanager
def open_mailbox(settings: MailboxSettings) -> Iterator[Mailbox]:
    """Sign in over TLS; QUIT at the end (which commits the deletions). Errors come out as
    classified IntegrationErrors."""
    context = ssl.create_default_context(cafile=settings.cafile)
    try:
        pop = poplib.POP3_SSL(
            settings.host, settings.port, timeout=settings.timeout, context=context
        )
        pop.user(settings.username)
        pop.pass_(settings.password)
    except Exception as exc:
        raise _classified(exc) from exc
    try:
        yield Mailbox(pop)
        pop.quit()
    except IntegrationError:
        pop.close()
        raise
    except Exception as exc:
        pop.close()  # no QUIT: the server keeps every message (nothing half-deleted)
        raise _classified(exc) from exc


def probe(settings: MailboxSettings) -> str:
    """Sign in and count the messages (nothing is read or deleted). Raises ProbeFailed."""
    try:
        with open_mailbox(settings) as box:
            count = len(box.numbers(100_000))
    except IntegrationError as exc:
        raise ProbeFailed(f"signing in to {settings.host}:{settings.port}", [], exc) from exc
    return (
        f"The bounce mailbox works: signed in to {settings.host}:{settings.port} over TLS as "
        f"{settings.username}; {count} message{'s' if count != 1 else ''} waiting."
    )


def _decode(addresses: frozenset[bytes]) -> list[str]:
    return sorted(a.decode("utf-8", "replace").lower() for a in addresses)


def _report_part(message: Message, content_type: str) -> Message | None:
    for part in message.walk():
        if part.get_content_type() == content_type:
            return part
    return None


def _fields(part: Message) -> str:
    """The text of a report part (message/feedback-report or message/delivery-status)."""
    payload = part.get_payload()
    if isinstance(payload, list):  # the email package parses delivery-status as header blocks
        return "\n".join(str(block) for block in payload)
    return part.get_payload(decode=True).decode("utf-8", "replace") if payload else ""


def parse_report(raw: bytes) -> Report:
    """What a message in the bounce mailbox reports (see the module's docstring)."""
    message = email.message_from_bytes(raw, policy=email.policy.compat32)
    recipients = [
        address.lower()
        for _name, address in getaddresses(
            [v for h in RECIPIENT_HEADERS for v in message.get_all(h, [])]
        )
        if address
    ]
    report = Report(
        None, recipients=recipients, message_id=(message.get("Message-ID") or "").strip()
    )
    feedback = _report_part(message, "message/feedback-report")
    if feedback is not None:
        text = _fields(feedback)
        kind = re.search(r"^Feedback-Type:\s*(\S+)", text, re.I | re.M)
        rcpt = re.findall(r"^Original-Rcpt-To:\s*<?([^>\s]+)>?", text, re.I | re.M)
        mail_from = re.findall(r"^Original-Mail-From:\s*<?([^>\s]+)>?", text, re.I | re.M)
        report.kind = "complaint"
        report.permanent = [a.lower() for a in rcpt]
        report.recipients += [a.lower() for a in mail_from]  # the VERP sender complained about
        report.detail = f"Abuse report ({kind.group(1) if kind else 'abuse'})"
        return report
    temporary, permanent = all_failures(message)
    if permanent or temporary:
        report.kind = "bounce"
        report.permanent, report.temporary = _decode(permanent), _decode(temporary)
        status = _report_part(message, "message/delivery-status")
        found = DIAGNOSTIC.search(_fields(status)) if status is not None else None
        report.detail = " ".join(found.group(1).split()) if found else "Delivery failed"
    return report
