"""What a provider said when it took a message: the success half of every sending adapter's
contract (the failure half is `resilience.IntegrationError`)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SendReceipt:
    """What a provider said when it took a message."""

    provider: str  # smtp | twilio | outbox
    message_id: str | None = None  # the email's Message-ID
    provider_message_id: str | None = None  # Twilio's message SID, or the outbox row id
