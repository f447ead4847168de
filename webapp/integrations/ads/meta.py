"""Meta (Facebook and Instagram) ads through Meta's official `facebook-business` SDK.

Each adapter has its own `FacebookSession` + `FacebookAdsApi` (never `FacebookAdsApi.init`,
which sets one process-wide default: two workspaces' tokens must never meet), and every SDK
object is given `api=`. `api_base` replaces the session's `GRAPH` URL (tests point it at a
local server speaking the Graph API).

Budgets are set on the campaign (`daily_budget`, campaign budget optimisation), in the
account currency's minor units, which is Meta's own unit for it. Results come from the
account's insights at campaign level, one row per day (`time_increment=1`).
"""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal

import requests
from facebook_business.adobjects.adaccount import AdAccount
from facebook_business.adobjects.campaign import Campaign
from facebook_business.api import FacebookAdsApi
from facebook_business.exceptions import FacebookError, FacebookRequestError
from facebook_business.session import FacebookSession

from webapp.integrations.ads.base import ENABLED, PAUSED, DailyResult, PlatformCampaign, Refused
from webapp.integrations.resilience import ErrorClass, IntegrationError

TIMEOUT_SECONDS = 30
STATUSES = {"ACTIVE": ENABLED}
# Graph API error codes (developers.facebook.com/docs/graph-api/guides/error-handling,
# /docs/marketing-api/error-reference).
AUTH_CODES = {102, 190, 200, 10} | set(range(200, 300))
RATE_CODES = {
    4,
    17,
    32,
    341,
    613,
    80000,
    80001,
    80002,
    80003,
    80004,
    80005,
    80006,
    80008,
    80009,
    80014,
}
TRANSIENT_CODES = {1, 2}
POLICY_CODES = {368, 1487}
# Which reported actions count as a conversion; the first type present in each group counts
# (Meta reports one purchase under several names).
PURCHASES = ("omni_purchase", "purchase", "offsite_conversion.fb_pixel_purchase")
LEADS = ("lead", "onsite_conversion.lead_grouped", "offsite_conversion.fb_pixel_lead")
TOKEN_FIX = (
    "Create a new system-user token in Meta Business Settings → Users → System users "
    "(with ads_management and ads_read) and save it in Settings → Integrations."
)


def _retry_after(exc: FacebookRequestError) -> float | None:
    """Seconds until Meta lets us back in: Retry-After, else the business-use-case header."""
    headers = exc.http_headers() or {}
    if headers.get("Retry-After"):
        try:
            return float(headers["Retry-After"])
        except ValueError:
            pass
    usage = headers.get("X-Business-Use-Case-Usage") or headers.get("x-business-use-case-usage")
    if usage:
        try:
            minutes = [
                entry.get("estimated_time_to_regain_access", 0)
                for entries in json.loads(usage).values()
                for entry in entries
            ]
            return float(max(minutes)) * 60 if minutes and max(minutes) else None
        except (ValueError, AttributeError, TypeError):
            return None
    return None


def classify(exc: Exception, *, mutation: bool = False) -> IntegrationError:
    """A Meta SDK or network error as the resilience layer's error."""
    if isinstance(exc, IntegrationError):
        return exc
    if isinstance(exc, requests.RequestException | OSError):
        return IntegrationError(f"Meta could not be reached: {exc}", ErrorClass.TRANSIENT_NETWORK)
    if not isinstance(exc, FacebookRequestError):
        return IntegrationError(f"Meta SDK: {exc}", ErrorClass.CONFIGURATION_ERROR)
    code, sub = exc.api_error_code(), exc.api_error_subcode()
    message = exc.api_error_message() or str(exc.http_status())
    ref = f"{code}/{sub}" if sub else str(code)
    if code in RATE_CODES or exc.http_status() == 429:
        return IntegrationError(
            f"Meta is rate-limiting this ad account ({message})",
            ErrorClass.RATE_LIMITED,
            retry_after=_retry_after(exc),
            provider_code=ref,
        )
    if code in AUTH_CODES or (code == 100 and "appsecret_proof" in message):
        return IntegrationError(
            f"Meta refused the credentials: {message.rstrip('.')}. {TOKEN_FIX}",
            ErrorClass.THIRD_PARTY_AUTH_FAILED,
            provider_code=ref,
        )
    if code in TRANSIENT_CODES or exc.api_transient_error() or (exc.http_status() or 0) >= 500:
        return IntegrationError(
            f"Meta had a temporary problem: {message}",
            ErrorClass.TRANSIENT_NETWORK,
            provider_code=ref,
        )
    if code in POLICY_CODES or mutation:
        return Refused(f"Meta refused the change: {message}", provider_code=ref)
    return IntegrationError(f"Meta: {message}", ErrorClass.CONFIGURATION_ERROR, provider_code=ref)


def _first(entries: list[dict] | None, types: tuple[str, ...]) -> Decimal:
    by_type = {e.get("action_type"): e.get("value") for e in entries or []}
    for name in types:
        if by_type.get(name) is not None:
            return Decimal(str(by_type[name]))
    return Decimal("0")


class MetaAdsAdapter:
    """One Meta ad account, through the SDK (implements `base.AdsAdapter`)."""

    def __init__(
        self,
        *,
        app_id: str,
        app_secret: str,
        access_token: str,
        ad_account_id: str,
        api_base: str | None = None,
    ) -> None:
        session = FacebookSession(app_id, app_secret, access_token, timeout=TIMEOUT_SECONDS)
        if api_base:
            session.GRAPH = api_base.rstrip("/")
        self.api = FacebookAdsApi(session)
        digits = ad_account_id.strip().removeprefix("act_")
        self.account_id = f"act_{digits}"
        self._currency: str | None = None

    # --- reads -----------------------------------------------------------------------------

    def _account(self) -> dict:
        try:
            return AdAccount(self.account_id, api=self.api).api_get(
                fields=["name", "account_status", "currency", "timezone_name"]
            )
        except (FacebookError, requests.RequestException, OSError) as exc:
            raise classify(exc) from exc

    def currency(self) -> str:
        if self._currency is None:
            self._currency = str(self._account()["currency"])
        return self._currency

    def check(self) -> list[tuple[str, bool, str]]:
        steps: list[tuple[str, bool, str]] = []
        try:
            me = self.api.call("GET", ("me",), params={"fields": "id,name"}).json()
        except (FacebookError, requests.RequestException, OSError) as exc:
            error = classify(exc)
            if error.retryable:
                raise error from exc
            return [("sign in with the access token", False, str(error))]
        steps.append(("sign in with the access token", True, f"signed in as “{me.get('name')}”"))
        try:
            account = self._account()
        except IntegrationError as exc:
            if exc.retryable:
                raise
            fix = (
                f"Check the ad account id (act_ followed by digits, in Ads Manager's account menu) "
                f"and that the system user is assigned to that account. Meta said: {exc}"
            )
            steps.append((f"open ad account {self.account_id}", False, fix))
            return steps
        active = account.get("account_status") == 1
        steps.append(
            (
                f"open ad account {self.account_id}",
                active,
                f"“{account.get('name')}”, {account.get('currency')}"
                if active
                else "The ad account is not active (disabled or unpaid): fix it in Ads Manager.",
            )
        )
        if not active:
            return steps
        try:
            count = len(self.list_campaigns())
        except IntegrationError as exc:
            if exc.retryable:
                raise
            steps.append(
                ("read campaigns", False, f"Give the system user the ads_read permission. ({exc})")
            )
            return steps
        steps.append(("read campaigns", True, f"{count} campaign{'s' if count != 1 else ''}"))
        return steps

    def list_campaigns(self) -> list[PlatformCampaign]:
        currency = self.currency()
        try:
            rows = AdAccount(self.account_id, api=self.api).get_campaigns(
                fields=["id", "name", "status", "daily_budget"], params={"limit": 200}
            )
            return [self._campaign(dict(row), currency) for row in rows]
        except (FacebookError, requests.RequestException, OSError) as exc:
            raise classify(exc) from exc

    @staticmethod
    def _campaign(row: dict, currency: str) -> PlatformCampaign:
        return PlatformCampaign(
            id=str(row["id"]),
            name=str(row.get("name", "")),
            # Meta says ACTIVE where the interface (and Google) says ENABLED.
            status=STATUSES.get(
                str(row.get("status", "")).upper(), str(row.get("status", "")).upper()
            ),
            daily_budget_minor=int(row.get("daily_budget") or 0),
            currency=currency,
        )

    def results(self, since: date, until: date) -> list[DailyResult]:
        params = {
            "level": "campaign",
            "time_range": {"since": since.isoformat(), "until": until.isoformat()},
            "time_increment": 1,
            "limit": 500,
        }
        fields = ["campaign_id", "spend", "impressions", "clicks", "actions", "action_values"]
        try:
            rows = AdAccount(self.account_id, api=self.api).get_insights(
                fields=fields, params=params
            )
            return [self._result(dict(row)) for row in rows]
        except (FacebookError, requests.RequestException, OSError) as exc:
            raise classify(exc) from exc

    @staticmethod
    def _result(row: dict) -> DailyResult:
        actions, values = row.get("actions"), row.get("action_values")
        return DailyResult(
            campaign_id=str(row["campaign_id"]),
            day=date.fromisoformat(row["date_start"]),
            spend=Decimal(str(row.get("spend") or "0")),
            impressions=int(row.get("impressions") or 0),
            clicks=int(row.get("clicks") or 0),
            conversions=_first(actions, PURCHASES) + _first(actions, LEADS),
            conversion_value=_first(values, PURCHASES),
        )

    # --- changes ---------------------------------------------------------------------------

    def create_paused_campaign(self, name: str, daily_budget_minor: int) -> PlatformCampaign:
        params = {
            "name": name,
            "objective": "OUTCOME_TRAFFIC",
            "status": PAUSED,
            "special_ad_categories": [],
            "daily_budget": int(daily_budget_minor),
            "bid_strategy": "LOWEST_COST_WITHOUT_CAP",
        }
        try:
            created = AdAccount(self.account_id, api=self.api).create_campaign(params=params)
            row = Campaign(created["id"], api=self.api).api_get(
                fields=["id", "name", "status", "daily_budget"]
            )
        except (FacebookError, requests.RequestException, OSError) as exc:
            raise classify(exc, mutation=True) from exc
        return self._campaign(dict(row), self.currency())

    def set_daily_budget(self, campaign_id: str, daily_budget_minor: int) -> int:
        campaign = Campaign(campaign_id, api=self.api)
        try:
            campaign.api_update(params={"daily_budget": int(daily_budget_minor)})
        except (FacebookError, requests.RequestException, OSError) as exc:
            raise classify(exc, mutation=True) from exc
        try:
            row = Campaign(campaign_id, api=self.api).api_get(fields=["daily_budget"])
        except (FacebookError, requests.RequestException, OSError) as exc:
            raise classify(exc) from exc
        return int(row.get("daily_budget") or 0)

    def pause(self, campaign_id: str) -> None:
        try:
            Campaign(campaign_id, api=self.api).api_update(params={"status": PAUSED})
        except (FacebookError, requests.RequestException, OSError) as exc:
            raise classify(exc, mutation=True) from exc
