"""Linking an autopilot channel campaign (google_ads / meta_ads) to a platform campaign:
one of the account's campaigns, or a new paused one the product creates with the chosen
daily budget. A link makes the daily pull and the budget pushes cover the campaign.

Functions that call the platform take the engine and a clock and must be called with no
write transaction open (the view ends it first); the ones that write take the session and
flush.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from webapp.core.currency import from_minor, to_minor
from webapp.core.errors import DomainError
from webapp.integrations.ads.base import PlatformCampaign
from webapp.integrations.resilience import FIXES, IntegrationError
from webapp.models import AD_PROVIDERS, AdPlatformLink, Campaign, Organization
from webapp.services.activity import log_activity
from webapp.services.ads.accounts import LABELS, adapter_for, connected, guarded
from webapp.services.ads.budgets import budget_target
from webapp.services.ads.push import local_today, queue_budget_pushes

LINKABLE = AD_PROVIDERS  # a campaign's channel names its platform (google_ads, meta_ads)


class AdsError(DomainError):
    """An ads request that cannot be done as asked (shown to the owner)."""

    fix = ""


class PlatformFailed(AdsError):
    """The platform failed the call: what it said, and the fix for its kind of failure."""

    def __init__(self, provider: str, error: IntegrationError) -> None:
        super().__init__(f"{LABELS[provider]}: {error}")
        self.error_class = str(error.error_class)
        self.fix = FIXES.get(error.error_class, "")


@dataclass(frozen=True)
class Panel:
    """What the campaign page shows about the campaign's ad platform."""

    provider: str
    label: str
    connected: bool
    link: AdPlatformLink | None


def panel(session: Session, org: Organization, campaign: Campaign) -> Panel | None:
    """None for a channel that has no ad platform."""
    if campaign.channel not in LINKABLE:
        return None
    return Panel(
        campaign.channel,
        LABELS[campaign.channel],
        connected(org.id, campaign.channel),
        link_of(session, org.id, campaign.id),
    )


def link_of(session: Session, org_id: int, campaign_id: int) -> AdPlatformLink | None:
    return session.scalar(
        select(AdPlatformLink).where(
            AdPlatformLink.org_id == org_id, AdPlatformLink.campaign_id == campaign_id
        )
    )


def _adapter(org_id: int, provider: str):
    adapter = adapter_for(org_id, provider)
    if adapter is None:
        raise AdsError(f"Connect {LABELS[provider]} in Settings → Integrations first.")
    return adapter


def platform_campaigns(
    engine: Engine, org_id: int, provider: str, *, clock: Callable[[], datetime]
) -> list[PlatformCampaign]:
    """The account's campaigns (removed ones left out), through the breaker.
    Raises AdsError without credentials, PlatformFailed when the platform fails."""
    adapter = _adapter(org_id, provider)
    try:
        found = guarded(engine, org_id, provider, adapter.list_campaigns, clock=clock)
    except IntegrationError as exc:
        raise PlatformFailed(provider, exc) from exc
    return sorted(
        (c for c in found if c.status not in ("REMOVED", "DELETED", "ARCHIVED")),
        key=lambda c: c.name.lower(),
    )


def create_platform_campaign(
    engine: Engine,
    org_id: int,
    provider: str,
    name: str,
    daily_budget: Decimal,
    *,
    clock: Callable[[], datetime],
) -> PlatformCampaign:
    """A new paused campaign on the platform with this daily budget, in the ad account's
    currency as a person types it (12.50 dollars, 1500 yen). Raises AdsError (PlatformFailed
    when the platform failed the call)."""
    if daily_budget <= 0:
        raise AdsError("The daily budget must be more than zero.")
    adapter = _adapter(org_id, provider)

    def create() -> PlatformCampaign:
        minor = to_minor(daily_budget, adapter.currency())
        if minor <= 0:
            raise AdsError(f"The daily budget is less than one {adapter.currency()} minor unit.")
        return adapter.create_paused_campaign(name, minor)

    try:
        return guarded(engine, org_id, provider, create, clock=clock)
    except IntegrationError as exc:
        raise PlatformFailed(provider, exc) from exc


def link_campaign(
    session: Session,
    org: Organization,
    campaign: Campaign,
    platform: PlatformCampaign,
    *,
    created: bool,
    actor_id: int | None,
    now: datetime,
) -> AdPlatformLink:
    """Link (or re-link) the campaign to `platform`, and queue a budget push so the
    platform's daily budget follows ours from now on."""
    if campaign.org_id != org.id or campaign.channel not in LINKABLE:
        raise AdsError("Only Google Ads and Meta ads campaigns can be linked.")
    taken = session.scalar(
        select(AdPlatformLink).where(
            AdPlatformLink.org_id == org.id,
            AdPlatformLink.provider == campaign.channel,
            AdPlatformLink.platform_campaign_id == platform.id,
            AdPlatformLink.campaign_id != campaign.id,
        )
    )
    if taken is not None:
        raise AdsError(f"“{platform.name}” is already linked to another campaign.")
    link = link_of(session, org.id, campaign.id) or AdPlatformLink(
        org_id=org.id, campaign_id=campaign.id, created_at=now
    )
    link.provider = campaign.channel
    link.platform_campaign_id = platform.id
    link.platform_name = platform.name[:255]
    link.platform_status = platform.status[:32]
    link.currency = platform.currency[:3]
    link.daily_budget_minor = platform.daily_budget_minor
    link.paused_month, link.last_error, link.updated_at = None, None, now
    session.add(link)
    session.flush()
    verb = "created (paused) and linked" if created else "linked"
    log_activity(
        session,
        org,
        "ads.linked",
        f"“{campaign.name}” {verb} to {LABELS[link.provider]} campaign “{platform.name}”.",
        now=now,
        entity=("campaign", campaign.id),
        actor_id=actor_id,
        details={"provider": link.provider, "platform_campaign_id": platform.id},
    )
    queue_budget_pushes(session, org.id, [campaign.id], now=now, reason="linked")
    return link


def unlink_campaign(
    session: Session, org: Organization, campaign: Campaign, *, actor_id: int | None, now: datetime
) -> bool:
    link = link_of(session, org.id, campaign.id)
    if link is None:
        return False
    name, provider = link.platform_name, link.provider
    session.delete(link)
    session.flush()
    log_activity(
        session,
        org,
        "ads.unlinked",
        f"“{campaign.name}” is no longer linked to {LABELS[provider]} campaign “{name}”: "
        "results come from uploads again and budgets are not pushed.",
        now=now,
        entity=("campaign", campaign.id),
        actor_id=actor_id,
        details={"provider": provider},
    )
    return True


def suggested_daily(session: Session, campaign: Campaign, *, now: datetime) -> Decimal:
    """What is left of the campaign's monthly budget per day left this month (major units),
    the daily budget the autopilot will set once the campaign is linked."""
    org = session.get(Organization, campaign.org_id)
    today = local_today(now, org.timezone if org else "UTC")
    target = budget_target(session, campaign, "USD", today)  # 2-decimal units, then back
    return from_minor(target.daily_minor, "USD")
