"""A workspace's ad platform accounts: the adapter built from its saved credentials, every
call through the (workspace, provider) circuit breaker, and money in minor units.

The credentials are the workspace's own (Settings → Integrations, encrypted by
`services.connections`); there is no deployment-wide ad account. `META_GRAPH_URL` (Meta's Graph
URL), `GOOGLE_ADS_ENDPOINT` (host:port of a Google Ads API) and `GOOGLE_OAUTH_TOKEN_URI` in
the app config point the adapters elsewhere than the real platforms (tests, a staging proxy).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date, datetime, timedelta
from decimal import Decimal
from importlib import import_module
from typing import TypeVar

from flask import current_app, has_app_context
from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from webapp.integrations.ads.base import AdsAdapter
from webapp.integrations.resilience import Breaker
from webapp.models import AD_PROVIDERS, CampaignMetric
from webapp.services.connections import workspace_values

T = TypeVar("T")

LABELS = {"google_ads": "Google Ads", "meta_ads": "Meta ads"}
# Currencies whose smallest unit is the unit itself (no cents) on both platforms.


def _meta(values: Mapping[str, str], config: Mapping) -> AdsAdapter:
    # Imported when used, like Google's: the SDK takes most of a second to import.
    meta = import_module("webapp.integrations.ads.meta")
    return meta.MetaAdsAdapter(
        app_id=values["app_id"],
        app_secret=values["app_secret"],
        access_token=values["access_token"],
        ad_account_id=values["ad_account_id"],
        api_base=config.get("META_GRAPH_URL") or None,
    )


def _google(values: Mapping[str, str], config: Mapping) -> AdsAdapter:
    google = import_module("webapp.integrations.ads.google")
    return google.GoogleAdsAdapter(
        developer_token=values["developer_token"],
        client_id=values["client_id"],
        client_secret=values["client_secret"],
        refresh_token=values["refresh_token"],
        customer_id=values["customer_id"],
        login_customer_id=values.get("login_customer_id") or None,
        endpoint=config.get("GOOGLE_ADS_ENDPOINT") or None,
        token_uri=config.get("GOOGLE_OAUTH_TOKEN_URI") or None,
    )


# provider -> (saved values, app config) -> adapter; tests may put a fake in.
FACTORIES: dict[str, Callable[[Mapping[str, str], Mapping], AdsAdapter]] = {
    "google_ads": _google,
    "meta_ads": _meta,
}


def check_provider(provider: str) -> None:
    if provider not in AD_PROVIDERS:
        raise ValueError(f"unknown ad platform {provider!r}")


def adapter_for(org_id: int, provider: str) -> AdsAdapter | None:
    """The workspace's adapter for `provider`, or None when it has no credentials saved."""
    check_provider(provider)
    values = workspace_values(org_id, provider)
    if not values:
        return None
    config = current_app.config if has_app_context() else {}
    return FACTORIES[provider](values, config)


def connected(org_id: int, provider: str) -> bool:
    return bool(workspace_values(org_id, provider))


def guarded(
    engine: Engine,
    org_id: int,
    provider: str,
    fn: Callable[[], T],
    *,
    clock: Callable[[], datetime],
) -> T:
    """Run one platform call under the workspace's breaker for `provider` (raises CircuitOpen
    while it is open; records the outcome). Call it with no write transaction open."""
    return Breaker(engine, org_id, provider).call(fn, clock=clock)


# --- the month --------------------------------------------------------------------------------


def month_bounds(today: date) -> tuple[date, date]:
    first = today.replace(day=1)
    following = (first + timedelta(days=32)).replace(day=1)
    return first, following - timedelta(days=1)


def days_left(today: date) -> int:
    """Days from today to the end of its month, today included."""
    return (month_bounds(today)[1] - today).days + 1


def month_spend(session: Session, org_id: int, campaign_id: int, today: date) -> Decimal:
    """The campaign's recorded spend this month (days before today: the last pull's figures)."""
    first, _last = month_bounds(today)
    total = session.scalar(
        select(func.coalesce(func.sum(CampaignMetric.spend), 0)).where(
            CampaignMetric.org_id == org_id,
            CampaignMetric.campaign_id == campaign_id,
            CampaignMetric.day >= first,
            CampaignMetric.day <= today,
        )
    )
    return Decimal(total or 0).quantize(Decimal("0.01"))
