"""The email adapter: building a message (`mime`) and sending it over SMTP (`smtp`).

With no mail server configured, email goes to the local outbox (`integrations.outbox`).
Callers send through `integrations.delivery`, which adds the recipient check and the
circuit breaker.
"""

from __future__ import annotations

from webapp.integrations.email.headers import (
    AddressError,
    header_value,
    insecure_public_url,
    parse_address,
)
from webapp.integrations.email.mime import (
    DEFAULT_FROM,
    EmailMessageSpec,
    InlineImage,
    build_message,
    default_sender,
    message_id,
    message_id_for,
)
from webapp.integrations.email.smtp import (
    SmtpConnection,
    SmtpSettings,
    classify_smtp_error,
)
from webapp.integrations.receipts import SendReceipt

__all__ = [
    "AddressError",
    "header_value",
    "insecure_public_url",
    "parse_address",
    "DEFAULT_FROM",
    "EmailMessageSpec",
    "InlineImage",
    "SendReceipt",
    "SmtpConnection",
    "SmtpSettings",
    "build_message",
    "classify_smtp_error",
    "default_sender",
    "message_id",
    "message_id_for",
]
