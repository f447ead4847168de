"""Twilio account set-up for a workspace: subaccounts and phone numbers, through `twilio`.

Narrow contract for the provisioning pipeline: find or create a subaccount by friendly
name (with the master account), list, search, buy and re-point phone numbers (with the
subaccount). Every error is mapped by `messaging.classify_twilio_error` to the resilience
layer's classes; every call has the explicit timeout of `RoutingHttpClient`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from twilio.rest import Client

from webapp.integrations.twilio.messaging import (
    RoutingHttpClient,
    classify_twilio_error,
    retry_after_seconds,
)

T = TypeVar("T")


@dataclass(frozen=True)
class TwilioAccount:
    sid: str
    auth_token: str
    friendly_name: str


@dataclass(frozen=True)
class OwnedNumber:
    sid: str
    phone_number: str
    sms_url: str | None = None


class TwilioProvisioner:
    """Calls Twilio as one account (the master account, or a workspace's subaccount)."""

    def __init__(
        self,
        account_sid: str,
        auth_token: str,
        *,
        timeout: float = 15.0,
        api_base: str | None = None,
    ) -> None:
        self.http = RoutingHttpClient(timeout=timeout, base=api_base)
        self.client = Client(account_sid, auth_token, http_client=self.http)

    def _call(self, fn: Callable[[], T]) -> T:
        try:
            return fn()
        except Exception as exc:
            raise classify_twilio_error(
                exc,
                retry_after=retry_after_seconds(self.http.last_headers.get("retry-after")),
            ) from exc

    def find_subaccount(self, friendly_name: str) -> TwilioAccount | None:
        """The active subaccount with exactly this friendly name, or None."""
        accounts = self._call(
            lambda: self.client.api.v2010.accounts.list(friendly_name=friendly_name, limit=20)
        )
        for account in accounts:
            if (
                account.friendly_name == friendly_name
                and account.status == "active"
                and account.sid != self.client.username
            ):
                return TwilioAccount(account.sid, account.auth_token, account.friendly_name)
        return None

    def create_subaccount(self, friendly_name: str) -> TwilioAccount:
        account = self._call(
            lambda: self.client.api.v2010.accounts.create(friendly_name=friendly_name)
        )
        return TwilioAccount(account.sid, account.auth_token, account.friendly_name)

    def owned_numbers(self) -> list[OwnedNumber]:
        """The account's phone numbers (a subaccount's own, so a purchase is seen after a crash)."""
        numbers = self._call(lambda: self.client.incoming_phone_numbers.list(limit=20))
        return [OwnedNumber(n.sid, n.phone_number, n.sms_url) for n in numbers]

    def search_local(self, country: str, *, limit: int = 5) -> list[str]:
        """Local numbers that can send SMS, available to buy now in `country` (ISO code)."""
        found = self._call(
            lambda: self.client.available_phone_numbers(country).local.list(
                sms_enabled=True, limit=limit
            )
        )
        return [n.phone_number for n in found]

    def buy_number(self, phone_number: str, *, sms_url: str) -> OwnedNumber:
        number = self._call(
            lambda: self.client.incoming_phone_numbers.create(
                phone_number=phone_number, sms_url=sms_url, sms_method="POST"
            )
        )
        return OwnedNumber(number.sid, number.phone_number, number.sms_url)

    def point_webhooks(self, number_sid: str, *, sms_url: str) -> OwnedNumber:
        """Send the number's incoming messages to `sms_url` (idempotent)."""
        number = self._call(
            lambda: self.client.incoming_phone_numbers(number_sid).update(
                sms_url=sms_url, sms_method="POST"
            )
        )
        return OwnedNumber(number.sid, number.phone_number, number.sms_url)
