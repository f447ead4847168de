"""Builders shared by the landing-page tests."""

from __future__ import annotations

import io
from datetime import datetime

from PIL import Image

from tests.conftest import START
from webapp.core.extensions import db
from webapp.models import AutopilotConfig, LandingPage, MarketingCampaign, Organization
from webapp.services.landing_pages import create_page, set_published


def profile(org: Organization, *, description: str, who: str, where: str, value: str) -> None:
    """The autopilot's business profile and messaging, which the brief reads."""
    config = AutopilotConfig(
        org_id=org.id,
        business_description=description,
        audience={"who": who, "where": where, "market": "b2c", "interests": []},
        strategy={"messaging": {"value_proposition": value, "key_messages": []}},
        created_at=START,
        updated_at=START,
    )
    db.session.add(config)
    db.session.commit()


def campaign(
    org: Organization, name: str, *, type: str = "lead_generation", offer: str = ""
) -> MarketingCampaign:
    row = MarketingCampaign(
        org_id=org.id,
        name=name,
        type=type,
        objective="More enquiries this spring",
        status="active",
        channels=[],
        settings={"offer": offer} if offer else {},
        created_at=START,
        updated_at=START,
    )
    db.session.add(row)
    db.session.commit()
    return row


def page(
    org: Organization,
    camp: MarketingCampaign | None = None,
    *,
    published: bool = False,
    now: datetime = START,
) -> LandingPage:
    row = create_page(db.session, org, campaign=camp, actor_id=None, now=now)
    if published:
        set_published(db.session, org, row, True, actor_id=None, now=now)
    db.session.commit()
    return row


def png(width: int, height: int, colour=(200, 30, 60, 255)) -> bytes:
    out = io.BytesIO()
    Image.new("RGBA", (width, height), colour).save(out, format="PNG")
    return out.getvalue()


def jpeg(width: int, height: int) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (20, 120, 60)).save(out, format="JPEG")
    return out.getvalue()
