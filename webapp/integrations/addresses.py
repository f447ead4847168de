"""Recipient checks made before any provider is called.

An address or number that cannot be delivered to fails at once with INVALID_RECIPIENT
(never retried, never counted against the provider's circuit breaker), so a typo in one
contact costs nothing and says exactly what is wrong.
"""

from __future__ import annotations

from functools import lru_cache

import phonenumbers
from email_validator import EmailNotValidError, validate_email

from webapp.integrations.resilience import ErrorClass, IntegrationError

WHATSAPP_PREFIX = "whatsapp:"


@lru_cache(maxsize=1024)  # the channel checks, then the SMTP adapter again: one check
def email_address(value: str | None) -> str:
    """The normalised address. Raises IntegrationError(INVALID_RECIPIENT) when unusable.

    Syntax only (check_deliverability=False): a DNS lookup per message would be slow and
    is not ours to make while offline; the mail server answers for the mailbox.
    """
    if not value or not value.strip():
        raise IntegrationError("The contact has no email address.", ErrorClass.INVALID_RECIPIENT)
    try:
        return validate_email(value.strip(), check_deliverability=False).normalized
    except EmailNotValidError as exc:
        raise IntegrationError(
            f"Invalid email address {value!r}: {exc}", ErrorClass.INVALID_RECIPIENT
        ) from exc


def phone_number(value: str | None, region: str | None = None) -> str:
    """The number in E.164 (a `whatsapp:` prefix is dropped). Raises IntegrationError(INVALID_RECIPIENT)."""
    raw = (value or "").strip()
    if raw.lower().startswith(WHATSAPP_PREFIX):
        raw = raw[len(WHATSAPP_PREFIX) :].strip()
    if not raw:
        raise IntegrationError("The contact has no phone number.", ErrorClass.INVALID_RECIPIENT)
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException as exc:
        raise IntegrationError(
            f"Invalid phone number {value!r}: {exc}", ErrorClass.INVALID_RECIPIENT
        ) from exc
    if not phonenumbers.is_valid_number(number):
        raise IntegrationError(
            f"Invalid phone number {value!r}: not a number that can receive messages.",
            ErrorClass.INVALID_RECIPIENT,
        )
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def recipient(channel: str, value: str | None) -> str:
    """The checked recipient for `channel` (email | sms | whatsapp), normalised."""
    if channel == "email":
        return email_address(value)
    if channel in ("sms", "whatsapp"):
        return phone_number(value)
    raise IntegrationError(f"Unknown channel {channel!r}.", ErrorClass.CONFIGURATION_ERROR)
