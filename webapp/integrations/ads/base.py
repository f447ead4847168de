"""The interface both ad platform adapters implement (Google Ads, Meta).

Money is in the account currency's minor units (cents) everywhere in this interface:
Google's micros are converted inside its adapter (micros // 10_000), Meta's `daily_budget`
already is minor units. Results are per campaign and day, as the platform reports them
(a later pull may correct a day: late conversions).

Errors: every adapter raises `IntegrationError` (webapp/integrations/resilience.py) with
  - THIRD_PARTY_AUTH_FAILED  token expired/revoked, wrong secret, no access to the account;
  - RATE_LIMITED             quota or rate limit, `retry_after` seconds when the platform says;
  - TRANSIENT_NETWORK        timeouts, connection errors, 5xx (retried by the queue);
  - CONFIGURATION_ERROR      a wrong id or setting (missing account, bad customer id);
  - `Refused` (a CONFIGURATION_ERROR subclass): the platform refused this change for good
    (policy, budget below the minimum, campaign removed) — never retried, never trips the
    breaker; its message is the platform's reason, shown to the owner.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Protocol

from webapp.integrations.resilience import ErrorClass, IntegrationError

ENABLED = "ENABLED"
PAUSED = "PAUSED"


@dataclass(frozen=True)
class PlatformCampaign:
    id: str
    name: str
    status: str  # "ENABLED" | "PAUSED" | "REMOVED" | another platform status, upper case
    daily_budget_minor: int  # account currency minor units (Google: micros // 10_000)
    currency: str  # ISO 4217, e.g. "USD"


@dataclass(frozen=True)
class DailyResult:
    campaign_id: str
    day: date
    spend: Decimal  # account currency, major units (e.g. 12.34)
    impressions: int
    clicks: int
    conversions: Decimal
    conversion_value: Decimal


class Refused(IntegrationError):
    """The platform refused the change for good (policy, minimum budget …): not retried."""

    def __init__(self, message: str, *, provider_code: str | None = None) -> None:
        super().__init__(message, ErrorClass.CONFIGURATION_ERROR, provider_code=provider_code)


class AdsAdapter(Protocol):
    def check(self) -> list[tuple[str, bool, str]]:
        """For Test connection: (what was checked, ok, detail — or the fix when not ok).
        Stops at the first failure (later steps need the earlier ones)."""
        ...

    def currency(self) -> str:
        """The account's currency (ISO 4217), read once."""
        ...

    def list_campaigns(self) -> list[PlatformCampaign]: ...

    def create_paused_campaign(self, name: str, daily_budget_minor: int) -> PlatformCampaign: ...

    def results(self, since: date, until: date) -> list[DailyResult]:
        """Daily figures per campaign for since..until inclusive (account time zone)."""
        ...

    def set_daily_budget(self, campaign_id: str, daily_budget_minor: int) -> int:
        """Set the campaign's daily budget; returns the value read back from the platform."""
        ...

    def pause(self, campaign_id: str) -> None: ...
