"""What the product knows about a business and a campaign, in one value every writer reads:
the offline writers (assets, landing pages, images, voice) and the prompts for a model.

Built from the autopilot's business profile, its messaging, the brand profile and (when
given) the campaign; fields the owner never filled are empty, never invented."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from webapp.models import AutopilotConfig, BrandProfile, MarketingCampaign, Organization

DEFAULT_PRIMARY = "#1d4ed8"
DEFAULT_ACCENT = "#f59e0b"


@dataclass(frozen=True)
class Brief:
    business_name: str
    description: str  # what the business does, in the owner's words
    audience: str  # who they sell to
    location: str  # where
    market: str  # b2b | b2c
    interests: tuple[str, ...]
    value_proposition: str
    tone: str
    key_messages: tuple[str, ...]
    language: str  # "en" | "de"
    primary_color: str  # "#rrggbb"
    accent_color: str
    has_logo: bool
    website: str
    phone: str
    # The campaign, when the brief is for one ("" / None otherwise).
    campaign_id: int | None = None
    campaign_name: str = ""
    campaign_type: str = ""  # one of models.marketing.CAMPAIGN_TYPES
    objective: str = ""
    offer: str = ""  # campaign.settings["offer"], e.g. "10 % off the first order"


def brief_for(
    session: Session, org: Organization, campaign: MarketingCampaign | None = None
) -> Brief:
    config = session.scalars(
        select(AutopilotConfig).where(AutopilotConfig.org_id == org.id)
    ).one_or_none()
    brand = session.scalars(select(BrandProfile).where(BrandProfile.org_id == org.id)).one_or_none()
    audience = (config.audience if config else None) or {}
    messaging = ((config.strategy if config else None) or {}).get("messaging") or {}
    settings = (campaign.settings if campaign else None) or {}
    return Brief(
        business_name=org.name,
        description=(config.business_description if config else "") or "",
        audience=audience.get("who", "") or "",
        location=audience.get("where", "") or "",
        market=audience.get("market", "b2c") or "b2c",
        interests=tuple(audience.get("interests") or ()),
        value_proposition=messaging.get("value_proposition", "") or "",
        tone=messaging.get("tone", "") or "",
        key_messages=tuple(messaging.get("key_messages") or ()),
        language=(brand.language if brand else "en") or "en",
        primary_color=(brand.primary_color if brand else DEFAULT_PRIMARY) or DEFAULT_PRIMARY,
        accent_color=(brand.accent_color if brand else DEFAULT_ACCENT) or DEFAULT_ACCENT,
        has_logo=bool(brand and brand.logo),
        website=(brand.website if brand else "") or "",
        phone=(brand.phone if brand else "") or "",
        campaign_id=campaign.id if campaign else None,
        campaign_name=campaign.name if campaign else "",
        campaign_type=campaign.type if campaign else "",
        objective=campaign.objective if campaign else "",
        offer=str(settings.get("offer") or ""),
    )
