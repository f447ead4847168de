"""What an SMTP server's refusal means for whoever sent it: a pure function of the answer.

- **suppress**: the address does not exist (5.1.1, 5.1.10, "user unknown"): a hard bounce,
  the address goes on the suppression list and is never tried again;
- **retry**: a temporary answer (any 4xx, a full mailbox): the message is tried later;
- **hold**: the relay refused *us*, not the contact (sign-in 530/535, TLS, "relay access
  denied", a 5.7.x policy about the sender: DMARC, reputation, "send as"): the workspace's
  sending waits for the owner and no contact is failed for it (issue 14 item 7);
- **fail**: any other permanent refusal (the message itself, its size): this message fails,
  the address stays usable.

The RFC 3463 enhanced status code decides when there is one; the reply text (Postfix,
Exim and Exchange word it differently) only when there is not.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

AUTH_CODES = frozenset({530, 534, 535, 538})
ENHANCED = re.compile(r"\b([245])\.(\d{1,3})\.(\d{1,3})\b")
# Address does not exist (RFC 3463 X.1.1 bad mailbox, X.1.2 bad system, X.1.3 bad syntax,
# X.1.6 moved, X.2.1 disabled; Exchange Online's X.1.10 recipient not found).
NO_SUCH_ADDRESS = frozenset({"5.1.1", "5.1.2", "5.1.3", "5.1.6", "5.1.10", "5.2.1"})
MAILBOX_FULL = frozenset({"5.2.2"})
RELAY_DENIED = re.compile(r"relay(ing)? (access )?(denied|not permitted)|unable to relay", re.I)
SENDER_REFUSED = re.compile(
    r"sender address rejected|sender verify failed|send as this sender|not owned by user", re.I
)
TLS = re.compile(r"\b(start)?tls\b|\bssl\b|certificate", re.I)
USER_UNKNOWN = re.compile(
    r"user unknown|unknown user|no such (user|mailbox|recipient)|does not exist|"
    r"mailbox (unavailable|not found)|recipient not found|unrouteable address|"
    r"invalid (recipient|mailbox)|recipient address rejected",
    re.I,
)


@dataclass(frozen=True)
class Verdict:
    action: str  # suppress | retry | hold | fail
    reason: str


def enhanced_status(text: str) -> str | None:
    """The RFC 3463 status at the start of a reply's text ("5.1.1"), or None."""
    match = ENHANCED.search(text or "")
    return ".".join(match.groups()) if match else None


# Refusals of our connection that come with no reply code (integrations/email/smtp.py names
# them): the workspace's sending is held until the owner fixes the settings.
TRANSPORT = {
    "tls": Verdict(
        "hold",
        "The connection to the mail server could not be encrypted (TLS): check the security "
        "setting (STARTTLS on port 587, SSL/TLS on 465) and the server's certificate.",
    ),
    "plain-login": Verdict(
        "hold",
        "The password would travel unencrypted: choose STARTTLS or SSL/TLS, or tick "
        "“allow plain-text login” for a relay you trust.",
    ),
    "no-auth": Verdict(
        "hold",
        "The mail server does not offer sign-in (AUTH) on this connection: turn on STARTTLS, "
        "or remove the username if the relay needs none.",
    ),
}


def classify_transport(provider_code: str | None) -> Verdict | None:
    """The verdict on a refusal of our connection itself (TLS, sign-in), or None."""
    return TRANSPORT.get(provider_code or "")


def classify_smtp(code: int | None, enhanced_status_code: str | None, text: str) -> Verdict:
    """What to do after the server answered `code` (and `enhanced_status_code`, e.g.
    "5.1.1", or None to read it from `text`) to a message."""
    text = text or ""
    status = enhanced_status_code or enhanced_status(text)
    if code is None or code < 400:
        return Verdict("retry", "The mail server gave no usable answer; trying again later.")
    if code in AUTH_CODES:
        return Verdict("hold", f"The mail server refused the sign-in ({code}); check its settings.")
    if RELAY_DENIED.search(text):
        return Verdict("hold", "The mail server does not relay for us (relay access denied).")
    if SENDER_REFUSED.search(text):
        return Verdict("hold", "The mail server refused the sender address, not the contact's.")
    if TLS.search(text) and (code == 454 or (status or "").startswith(("4.7.", "5.7."))):
        return Verdict("hold", "The mail server's encryption (TLS) failed.")
    if code < 500:
        return Verdict("retry", f"A temporary refusal ({code}); trying again later.")
    if status in NO_SUCH_ADDRESS:
        return Verdict("suppress", f"Hard bounce: the address does not exist ({status}).")
    if status in MAILBOX_FULL:
        return Verdict("retry", "The recipient's mailbox is full; trying again later.")
    if status == "5.4.1" and "recipient address rejected" in text.lower():
        # Exchange Online's directory-based edge blocking: no such recipient.
        return Verdict("suppress", "Hard bounce: the address does not exist (5.4.1).")
    if status is not None and status.startswith("5.7."):
        return Verdict(
            "hold", f"The receiving server refused our mail by policy ({status}), not the address."
        )
    if code in (550, 551, 553) and USER_UNKNOWN.search(text):
        return Verdict("suppress", f"Hard bounce: the address does not exist ({code}).")
    return Verdict("fail", f"The mail server refused this message ({status or code}).")
