"""Google Ads through Google's official `google-ads` client (gRPC, API v26).

Credentials are passed in: the developer token, the OAuth client id/secret and a refresh
token, the account's customer id, and the manager's id when the account is reached through a
manager (sent as `login-customer-id`). The access token is fetched lazily (no network in the
constructor) and refreshed before a call when it is about to expire, so a revoked refresh
token surfaces here as THIRD_PARTY_AUTH_FAILED with the fix, not as a gRPC plugin error.

Money: the API speaks micros (millionths of the account currency); the interface speaks the
currency's minor unit by its ISO 4217 exponent (cents for USD, yen for JPY, fils for KWD), so
one minor unit is `minor_unit_micros(currency)` micros. Every mutate is read back.

Transport: `GoogleAdsClient.get_service`, TLS to googleads.googleapis.com or `endpoint`. As
get_service always opens TLS, a loopback `endpoint` (tests: a local fake) gets the same
service clients, OAuth call credentials and library interceptors over gRPC's local channel
credentials instead (plain TCP, loopback only).
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from importlib import import_module
from typing import Any, TypeVar

import google.auth.exceptions
import grpc
import requests
from google.ads.googleads import util
from google.ads.googleads.client import GoogleAdsClient
from google.ads.googleads.errors import GoogleAdsException
from google.ads.googleads.interceptors import ExceptionInterceptor, MetadataInterceptor
from google.ads.googleads.v26.common import TargetSpend
from google.ads.googleads.v26.enums import (
    AdvertisingChannelTypeEnum,
    BudgetDeliveryMethodEnum,
    CampaignStatusEnum,
    EuPoliticalAdvertisingStatusEnum,
)
from google.ads.googleads.v26.resources import Campaign, CampaignBudget
from google.ads.googleads.v26.services import CampaignBudgetOperation, CampaignOperation
from google.api_core.exceptions import GoogleAPICallError
from google.auth.transport.requests import Request
from google.oauth2.credentials import Credentials
from google.protobuf.field_mask_pb2 import FieldMask

from webapp.core.currency import minor_factor
from webapp.integrations.ads.base import PAUSED, DailyResult, PlatformCampaign, Refused
from webapp.integrations.ads.google_errors import (
    API_VERSION,
    FIX_ACCESS,
    FIX_MANAGER,
    classify,
    customer_id_digits,
)
from webapp.integrations.resilience import FIXES, ErrorClass, IntegrationError

T = TypeVar("T")

TOKEN_URI = "https://oauth2.googleapis.com/token"
SCOPES = ["https://www.googleapis.com/auth/adwords"]
TIMEOUT_SECONDS = 60.0

_CAMPAIGN_FIELDS = "campaign.id, campaign.name, campaign.status, campaign_budget.amount_micros"
_RESULTS_QUERY = (
    "SELECT campaign.id, segments.date, metrics.cost_micros, metrics.impressions, "
    "metrics.clicks, metrics.conversions, metrics.conversions_value FROM campaign "
    "WHERE segments.date BETWEEN '{since}' AND '{until}'"
)


def minor_unit_micros(currency: str) -> int:
    """Micros in one minor unit of `currency` (10,000 for USD, 1,000,000 for JPY)."""
    return 1_000_000 // minor_factor(currency)


class GoogleAdsAdapter:
    """One Google Ads account (`customer_id`). Close it (or use `with`) to free its channels."""

    def __init__(
        self,
        *,
        developer_token: str,
        client_id: str,
        client_secret: str,
        refresh_token: str,
        customer_id: str,
        login_customer_id: str | None = None,
        endpoint: str | None = None,
        token_uri: str | None = None,
        timeout: float = TIMEOUT_SECONDS,
    ) -> None:
        self.customer_id = customer_id_digits(customer_id)
        login = customer_id_digits(login_customer_id, "manager id") if login_customer_id else None
        # A loopback endpoint is a local fake (plain TCP); any other one speaks TLS like Google.
        loopback = (endpoint or "").rsplit(":", 1)[0] in {"127.0.0.1", "localhost", "[::1]"}
        self.timeout, self._local = timeout, endpoint if loopback else None
        self._session = requests.Session()
        self._credentials = Credentials(
            None,
            refresh_token=refresh_token,
            client_id=client_id,
            client_secret=client_secret,
            token_uri=token_uri or TOKEN_URI,
            scopes=SCOPES,
        )
        # Not load_from_dict: it refreshes the token at once, against a fixed token URI.
        self._client = GoogleAdsClient(
            credentials=self._credentials,
            developer_token=developer_token,
            login_customer_id=login,
            endpoint=None if loopback else endpoint,
            version=API_VERSION,
            use_proto_plus=True,
        )
        self._services: dict[str, Any] = {}
        self._currency: str | None = None

    def __enter__(self) -> GoogleAdsAdapter:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def close(self) -> None:
        for service in self._services.values():
            service.transport.close()
        self._services.clear()
        self._session.close()

    # --- plumbing ----------------------------------------------------------------------

    def _service(self, name: str) -> Any:
        if name not in self._services:
            if self._local is None:
                self._services[name] = self._client.get_service(name, version=API_VERSION)
            else:
                self._services[name] = self._local_service(name)
        return self._services[name]

    def _local_service(self, name: str) -> Any:
        module = f"google.ads.googleads.{API_VERSION}.services.services."
        module += util.convert_upper_case_to_snake_case(name)
        client_class = getattr(import_module(module), f"{name}Client")
        transport_class = client_class.get_transport_class("grpc")
        channel = transport_class.create_channel(
            host=self._local,
            credentials=self._credentials,
            ssl_credentials=grpc.local_channel_credentials(grpc.LocalConnectionType.LOCAL_TCP),
        )
        channel = grpc.intercept_channel(
            channel,
            MetadataInterceptor(self._client.developer_token, self._client.login_customer_id),
            ExceptionInterceptor(API_VERSION, use_proto_plus=True),
        )
        return client_class(transport=transport_class(channel=channel))

    def _authorize(self) -> None:
        """Fetch an access token when there is none or it is about to expire."""
        if not self._credentials.valid:
            try:
                self._credentials.refresh(Request(self._session))
            except google.auth.exceptions.GoogleAuthError as exc:
                raise classify(exc) from exc

    def _call(self, fn: Callable[[], T]) -> T:
        self._authorize()
        try:
            return fn()
        except (GoogleAdsException, GoogleAPICallError, grpc.RpcError) as exc:
            raise classify(exc) from exc

    def _search(self, query: str, *, paged: bool = False) -> list[Any]:
        """Rows of a GAQL query: SearchStream for lists, Search (paged) for one-row reads."""
        service = self._service("GoogleAdsService")
        ask = {"customer_id": self.customer_id, "query": query, "timeout": self.timeout}
        if paged:
            return self._call(lambda: list(service.search(**ask)))
        return self._call(
            lambda: [r for batch in service.search_stream(**ask) for r in batch.results]
        )

    def _account(self) -> Any:
        rows = self._search(
            "SELECT customer.id, customer.descriptive_name, customer.currency_code, "
            "customer.time_zone, customer.manager FROM customer",
            paged=True,
        )
        if not rows:
            raise IntegrationError(
                "Google Ads returned no account.", ErrorClass.CONFIGURATION_ERROR
            )
        self._currency = rows[0].customer.currency_code
        return rows[0].customer

    def currency(self) -> str:
        """The account's currency (ISO 4217), read once."""
        if self._currency is None:
            self._account()
        return self._currency or ""

    # --- the interface (base.AdsAdapter) ------------------------------------------------

    def check(self) -> list[tuple[str, bool, str]]:
        steps: list[tuple[str, bool, str]] = []
        shown = f"{self.customer_id[:3]}-{self.customer_id[3:6]}-{self.customer_id[6:]}"

        def accessible() -> str:
            service = self._service("CustomerService")
            names = self._call(
                lambda: service.list_accessible_customers(timeout=self.timeout).resource_names
            )
            ids = {n.removeprefix("customers/") for n in names}
            if not ids & {self.customer_id, self._client.login_customer_id}:
                raise IntegrationError(FIX_ACCESS, ErrorClass.THIRD_PARTY_AUTH_FAILED)
            return f"accepted; the Google user reaches {len(ids)} account(s)"

        def account() -> str:
            customer = self._account()
            if customer.manager:
                raise IntegrationError(FIX_MANAGER, ErrorClass.CONFIGURATION_ERROR)
            return f"{customer.descriptive_name} · {customer.currency_code} · {customer.time_zone}"

        for what, step in (
            ("Google sign-in (refresh token)", lambda: self._authorize() or "signed in"),
            ("Developer token and access", accessible),
            (f"Ads account {shown}", account),
            ("Campaigns", lambda: f"{len(self.list_campaigns())} campaign(s) readable"),
        ):
            try:
                steps.append((what, True, step()))
            except IntegrationError as exc:
                if exc.retryable:  # the network or a rate limit, not a setting: try later
                    raise
                auth = exc.error_class == ErrorClass.THIRD_PARTY_AUTH_FAILED
                fix = "" if auth else FIXES[exc.error_class]  # auth messages carry their own
                steps.append((what, False, f"{exc} {fix}".strip()))
                break
        return steps

    def list_campaigns(self) -> list[PlatformCampaign]:
        return sorted(
            (
                self._campaign(row)
                for row in self._search(
                    f"SELECT {_CAMPAIGN_FIELDS} FROM campaign WHERE campaign.status != 'REMOVED'"
                )
            ),
            key=lambda c: (c.name.lower(), c.id),
        )

    def _campaign(self, row: Any) -> PlatformCampaign:
        currency = self.currency()
        return PlatformCampaign(
            id=str(row.campaign.id),
            name=row.campaign.name,
            status=row.campaign.status.name,
            daily_budget_minor=row.campaign_budget.amount_micros // minor_unit_micros(currency),
            currency=currency,
        )

    def _one_campaign(self, campaign_id: str) -> Any:
        if not campaign_id.isdigit():
            raise Refused(f"{campaign_id!r} is not a Google Ads campaign id.")
        rows = self._search(
            f"SELECT {_CAMPAIGN_FIELDS}, campaign_budget.resource_name, "
            f"campaign_budget.explicitly_shared FROM campaign WHERE campaign.id = {campaign_id}",
            paged=True,
        )
        if not rows or rows[0].campaign.status.name == "REMOVED":
            raise Refused(f"Campaign {campaign_id} is not in this Google Ads account (removed?).")
        return rows[0]

    def results(self, since: date, until: date) -> list[DailyResult]:
        if since > until:
            raise ValueError(f"since {since} is after until {until}")
        rows = self._search(_RESULTS_QUERY.format(since=since.isoformat(), until=until.isoformat()))
        return [
            DailyResult(
                campaign_id=str(row.campaign.id),
                day=date.fromisoformat(row.segments.date),
                spend=Decimal(row.metrics.cost_micros) / 1_000_000,
                impressions=row.metrics.impressions,
                clicks=row.metrics.clicks,
                # Doubles in the API (fractional attribution): drop the float noise.
                conversions=Decimal(str(round(row.metrics.conversions, 6))),
                conversion_value=Decimal(str(round(row.metrics.conversions_value, 6))),
            )
            for row in rows
        ]

    def set_daily_budget(self, campaign_id: str, daily_budget_minor: int) -> int:
        if daily_budget_minor <= 0:
            raise ValueError("a daily budget must be positive; pause the campaign instead")
        row = self._one_campaign(campaign_id)
        if row.campaign_budget.explicitly_shared:
            raise Refused(
                f"Campaign {campaign_id} uses a shared budget, so changing it would change other "
                "campaigns too. Give the campaign its own budget in Google Ads."
            )
        unit = minor_unit_micros(self.currency())
        operation = CampaignBudgetOperation(
            update=CampaignBudget(
                resource_name=row.campaign_budget.resource_name,
                amount_micros=daily_budget_minor * unit,
            ),
            update_mask=FieldMask(paths=["amount_micros"]),
        )
        self._mutate_budgets(operation)
        read = self._search(
            "SELECT campaign_budget.amount_micros FROM campaign_budget WHERE "
            f"campaign_budget.resource_name = '{row.campaign_budget.resource_name}'",
            paged=True,
        )
        if not read:
            raise Refused(f"The budget of campaign {campaign_id} disappeared after the change.")
        return read[0].campaign_budget.amount_micros // unit

    def pause(self, campaign_id: str) -> None:
        row = self._one_campaign(campaign_id)
        if row.campaign.status.name == PAUSED:
            return
        self._mutate_campaigns(
            CampaignOperation(
                update=Campaign(
                    resource_name=f"customers/{self.customer_id}/campaigns/{campaign_id}",
                    status=CampaignStatusEnum.CampaignStatus.PAUSED,
                ),
                update_mask=FieldMask(paths=["status"]),
            )
        )
        status = self._one_campaign(campaign_id).campaign.status.name
        if status != PAUSED:
            raise Refused(f"Google Ads still shows campaign {campaign_id} as {status}.")

    def create_paused_campaign(self, name: str, daily_budget_minor: int) -> PlatformCampaign:
        """A paused Search campaign with its own daily budget and Maximize clicks bidding;
        the owner adds ads and keywords in Google Ads before enabling it."""
        if daily_budget_minor <= 0:
            raise ValueError("a daily budget must be positive")
        budget = self._mutate_budgets(
            CampaignBudgetOperation(
                create=CampaignBudget(
                    # Budget names are unique per account; the campaign's may repeat later.
                    name=f"{name} · daily budget {uuid.uuid4().hex[:8]}",
                    amount_micros=daily_budget_minor * minor_unit_micros(self.currency()),
                    delivery_method=BudgetDeliveryMethodEnum.BudgetDeliveryMethod.STANDARD,
                    explicitly_shared=False,
                )
            )
        )
        try:
            created = self._mutate_campaigns(CampaignOperation(create=_new_campaign(name, budget)))
        except IntegrationError:
            # Don't leave the new budget behind; if that fails too, the campaign's error is
            # the news (an unused budget costs nothing).
            with contextlib.suppress(IntegrationError):
                self._mutate_budgets(CampaignBudgetOperation(remove=budget))
            raise
        return self._campaign(self._one_campaign(created.rsplit("/", 1)[1]))

    def _mutate(self, service_name: str, method: str, operation: Any) -> str:
        """One operation through `service_name.method`; the resource name it wrote."""
        call = getattr(self._service(service_name), method)
        ask = {"customer_id": self.customer_id, "operations": [operation]}
        response = self._call(lambda: call(**ask, timeout=self.timeout))
        return response.results[0].resource_name

    def _mutate_budgets(self, operation: CampaignBudgetOperation) -> str:
        return self._mutate("CampaignBudgetService", "mutate_campaign_budgets", operation)

    def _mutate_campaigns(self, operation: CampaignOperation) -> str:
        return self._mutate("CampaignService", "mutate_campaigns", operation)


def _new_campaign(name: str, budget_resource_name: str) -> Campaign:
    return Campaign(
        name=name,
        status=CampaignStatusEnum.CampaignStatus.PAUSED,
        advertising_channel_type=AdvertisingChannelTypeEnum.AdvertisingChannelType.SEARCH,
        campaign_budget=budget_resource_name,
        target_spend=TargetSpend(),  # "Maximize clicks": spends the daily budget by itself
        network_settings=Campaign.NetworkSettings(
            target_google_search=True,
            target_search_network=True,
            target_content_network=False,
            target_partner_search_network=False,
        ),
        contains_eu_political_advertising=(
            EuPoliticalAdvertisingStatusEnum.EuPoliticalAdvertisingStatus.DOES_NOT_CONTAIN_EU_POLITICAL_ADVERTISING
        ),
    )
