"""SMS and WhatsApp through Twilio (with no Twilio account, they go to the local outbox).

Narrow contract (`TwilioSender`): `.send(to, body, *, channel, status_callback)` returns a
SendReceipt with Twilio's message SID; `.lookup(sid)` reads a message back. Twilio errors
are mapped to the resilience layer's classes here, inside the adapter. The settings are
passed in (`twilio_settings`); nothing here looks credentials up.

Twilio has no idempotency key for creating a message, so delivery is at-least-once: the
caller puts its send id in the StatusCallback URL, and before retrying a send whose
outcome is unknown (a read timeout) it asks `find_recent` whether the message went out.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from email.utils import parsedate_to_datetime
from typing import Any

import requests
from twilio.base.exceptions import TwilioException, TwilioRestException, TwilioServiceException
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

from webapp.integrations import addresses
from webapp.integrations.receipts import SendReceipt
from webapp.integrations.resilience import ErrorClass, IntegrationError, ProbeFailed

TWILIO_API = "https://api.twilio.com"
CHANNELS = ("sms", "whatsapp")

# Twilio error codes (https://www.twilio.com/docs/api/errors) that condemn the recipient,
# not the account: invalid 'To', not a mobile number, unsubscribed (replied STOP),
# unreachable by SMS, not a valid number.
RECIPIENT_CODES = frozenset({21211, 21614, 21610, 21612, 21217})
AUTH_CODES = frozenset({20003, 20005})


@dataclass(frozen=True)
class MessageStatus:
    sid: str
    status: str  # queued | sending | sent | delivered | undelivered | failed | read …
    to: str
    error_code: int | None = None


@dataclass(frozen=True)
class TwilioSettings:
    account_sid: str
    auth_token: str
    from_number: str
    whatsapp_from: str | None = None
    whatsapp_template_sid: str | None = None  # HX…: for WhatsApp outside the 24-hour window
    timeout: float = 15.0
    api_base: str | None = None  # tests only: the local fake server instead of api.twilio.com


def twilio_settings(own: Mapping[str, str] | None, config: Mapping) -> TwilioSettings | None:
    """The Twilio account to use, or None when messages go to the outbox.

    `own` is the workspace's own credentials (Settings → Integrations) when it has them;
    else the deployment's TWILIO_* settings in `config` apply. Timeout and api_base always
    come from the deployment.
    """
    if own:
        account = (
            own["account_sid"],
            own["auth_token"],
            own["from_number"],
            own.get("whatsapp_from") or None,
            own.get("whatsapp_template_sid") or None,
        )
    elif (
        config.get("TWILIO_ACCOUNT_SID")
        and config.get("TWILIO_AUTH_TOKEN")
        and config.get("TWILIO_FROM")
    ):
        account = (
            config["TWILIO_ACCOUNT_SID"],
            config["TWILIO_AUTH_TOKEN"],
            config["TWILIO_FROM"],
            config.get("TWILIO_WHATSAPP_FROM"),
            config.get("TWILIO_WHATSAPP_TEMPLATE_SID") or None,
        )
    else:
        return None
    return TwilioSettings(
        *account,
        timeout=float(config.get("TWILIO_TIMEOUT_SECONDS") or 15),
        api_base=config.get("TWILIO_API_BASE"),
    )


class RoutingHttpClient(TwilioHttpClient):
    """Twilio's HTTP client with an explicit timeout, optionally sent to another base URL.

    The client library has no base-URL option; tests point `base` at the local fake.
    Keeps the last response's headers, for Retry-After.
    """

    def __init__(self, *, timeout: float, base: str | None = None) -> None:
        super().__init__(timeout=timeout)
        self.base = base.rstrip("/") if base else None
        self.last_headers: dict[str, str] = {}

    def request(
        self,
        method,
        url,
        params=None,
        data=None,
        headers=None,
        auth=None,
        timeout=None,
        allow_redirects=False,
    ):  # the signature of TwilioHttpClient.request, which is untyped
        if self.base and url.startswith(TWILIO_API):
            url = self.base + url[len(TWILIO_API) :]
        self.last_headers = {}
        response = super().request(
            method,
            url,
            params=params,
            data=data,
            headers=headers,
            auth=auth,
            timeout=timeout,
            allow_redirects=allow_redirects,
        )
        self.last_headers = {str(k).lower(): str(v) for k, v in (response.headers or {}).items()}
        return response


def retry_after_seconds(value: str | None, now: datetime | None = None) -> float | None:
    """A Retry-After header (seconds or an HTTP date) in seconds."""
    if not value:
        return None
    try:
        return max(float(value), 0.0)
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if now is None or when.tzinfo is None:
        return None
    return max((when - now).total_seconds(), 0.0)


def as_rest_error(exc: BaseException) -> BaseException:
    """A failed list page as the REST error it is: for a failed list request the client
    raises a bare `TwilioException("Unable to fetch page", response)`, which would otherwise
    lose the status (429, 500, 401 …)."""
    if (
        type(exc) is not TwilioException
        or len(exc.args) < 2
        or not hasattr(exc.args[1], "status_code")
    ):
        return exc
    response = exc.args[1]
    try:
        body = json.loads(response.text or "{}")
    except ValueError:
        body = {}
    return TwilioRestException(
        response.status_code, "", msg=body.get("message") or str(exc.args[0]), code=body.get("code")
    )


def classify_twilio_error(
    exc: BaseException, *, retry_after: float | None = None
) -> IntegrationError:
    """Map a Twilio / requests exception to a classified IntegrationError."""
    if isinstance(exc, IntegrationError):
        return exc
    exc = as_rest_error(exc)
    if isinstance(exc, TwilioRestException | TwilioServiceException):
        status = int(getattr(exc, "status", 0) or 0)
        code = getattr(exc, "code", None)
        message = (
            getattr(exc, "msg", None)
            or getattr(exc, "detail", None)
            or getattr(exc, "title", "")
            or ""
        )
        text = f"Twilio {status}" + (f" (error {code})" if code else "") + f": {message}"
        provider_code = str(code) if code else str(status)
        if status == 429:
            return IntegrationError(
                text, ErrorClass.RATE_LIMITED, retry_after=retry_after, provider_code=provider_code
            )
        if status >= 500:
            return IntegrationError(
                text,
                ErrorClass.TRANSIENT_NETWORK,
                retry_after=retry_after,
                provider_code=provider_code,
            )
        if status in (401, 403) or code in AUTH_CODES:
            return IntegrationError(
                text, ErrorClass.THIRD_PARTY_AUTH_FAILED, provider_code=provider_code
            )
        if code in RECIPIENT_CODES:
            return IntegrationError(text, ErrorClass.INVALID_RECIPIENT, provider_code=provider_code)
        return IntegrationError(text, ErrorClass.CONFIGURATION_ERROR, provider_code=provider_code)
    if isinstance(exc, requests.Timeout):
        error = IntegrationError(f"Twilio timed out: {exc}", ErrorClass.TRANSIENT_NETWORK)
        # A read timeout means the request may have been acted on: look before re-sending.
        error.ambiguous = not isinstance(exc, requests.ConnectTimeout)  # type: ignore[attr-defined]
        return error
    if isinstance(exc, requests.ConnectionError):
        return IntegrationError(f"Twilio unreachable: {exc}", ErrorClass.TRANSIENT_NETWORK)
    if isinstance(exc, requests.RequestException | OSError):
        return IntegrationError(f"Twilio network error: {exc}", ErrorClass.TRANSIENT_NETWORK)
    if isinstance(exc, TwilioException):
        return IntegrationError(f"Twilio: {exc}", ErrorClass.CONFIGURATION_ERROR)
    return IntegrationError(f"Twilio {type(exc).__name__}: {exc}", ErrorClass.CONFIGURATION_ERROR)


def _address(channel: str, number: str) -> str:
    return f"{addresses.WHATSAPP_PREFIX}{number}" if channel == "whatsapp" else number


class TwilioSender:
    """SMS and WhatsApp through the `twilio` client (one HTTP session reused across sends)."""

    provider = "twilio"

    def __init__(self, settings: TwilioSettings) -> None:
        self.settings = settings
        self.http = RoutingHttpClient(timeout=settings.timeout, base=settings.api_base)
        self.client = Client(settings.account_sid, settings.auth_token, http_client=self.http)

    def _from(self, channel: str) -> str:
        if channel == "whatsapp":
            return _address(
                "whatsapp",
                addresses.phone_number(self.settings.whatsapp_from or self.settings.from_number),
            )
        return self.settings.from_number

    def _call(self, fn: Callable[[], object]) -> Any:
        try:
            return fn()
        except Exception as exc:
            raise classify_twilio_error(
                exc, retry_after=retry_after_seconds(self.http.last_headers.get("retry-after"))
            ) from exc

    def send(
        self,
        to: str,
        body: str,
        *,
        channel: str = "sms",
        status_callback: str | None = None,
        content_sid: str | None = None,
        content_variables: Mapping[str, str] | None = None,
    ) -> SendReceipt:
        """Create the message. Returns SendReceipt("twilio", provider_message_id=SID).

        With `content_sid`, an approved template (Content API) is sent instead of `body`,
        its placeholders filled from `content_variables` (sent as JSON, as Twilio wants)."""
        if channel not in CHANNELS:
            raise IntegrationError(
                f"Twilio cannot send {channel!r} messages.", ErrorClass.CONFIGURATION_ERROR
            )
        number = addresses.phone_number(to)
        kwargs: dict = {"to": _address(channel, number), "from_": self._from(channel)}
        if content_sid:
            kwargs["content_sid"] = content_sid
            kwargs["content_variables"] = json.dumps(dict(content_variables or {}))
        else:
            kwargs["body"] = body
        if status_callback:
            kwargs["status_callback"] = status_callback
        message = self._call(lambda: self.client.messages.create(**kwargs))
        return SendReceipt("twilio", provider_message_id=message.sid)

    def lookup(self, sid: str) -> MessageStatus | None:
        """The message with this SID as Twilio has it now, or None when Twilio does not know it."""
        try:
            message = self._call(lambda: self.client.messages(sid).fetch())
        except IntegrationError as exc:
            if exc.provider_code == "20404":
                return None
            raise
        return MessageStatus(message.sid, message.status, message.to, message.error_code)

    def find_recent(
        self, to: str, body: str, *, channel: str = "sms", since: datetime
    ) -> SendReceipt | None:
        """A message with this body sent to `to` on or after `since`'s day, if Twilio has one.

        For a retry after an ambiguous failure (Twilio may have taken the first attempt).
        """
        number = _address(channel, addresses.phone_number(to))
        messages = self._call(
            lambda: self.client.messages.list(
                to=number, from_=self._from(channel), date_sent_after=since, limit=50
            )
        )
        for message in messages:
            if (message.body or "") == body and message.status not in (
                "failed",
                "undelivered",
                "canceled",
            ):
                return SendReceipt("twilio", provider_message_id=message.sid)
        return None


def probe_account(s: TwilioSettings) -> str:
    """Fetch the account (nothing is sent). Returns what worked; raises ProbeFailed."""
    http = RoutingHttpClient(timeout=s.timeout, base=s.api_base)
    client = Client(s.account_sid, s.auth_token, http_client=http)
    try:
        account = client.api.accounts(s.account_sid).fetch()
    except Exception as exc:
        raise ProbeFailed(
            f"signing in to Twilio account {s.account_sid}", [], classify_twilio_error(exc)
        ) from exc
    if (account.status or "active") != "active":
        error = IntegrationError(
            f"Twilio account status is {account.status}", ErrorClass.CONFIGURATION_ERROR
        )
        raise ProbeFailed(
            f"checking Twilio account {s.account_sid}", ["Twilio accepted the credentials"], error
        )
    whatsapp = f", WhatsApp from {s.whatsapp_from}" if s.whatsapp_from else ""
    return (
        f"Twilio accepted the credentials for “{account.friendly_name}” ({s.account_sid}, {account.status}); "
        f"SMS from {s.from_number}{whatsapp}."
    )
