"""Marketing campaigns for tests, made through the service (as the pages make them)."""

from __future__ import annotations

from datetime import datetime

from tests.conftest import START
from webapp.core.extensions import db
from webapp.models import MarketingCampaign, Organization
from webapp.services.marketing import create_campaign


def make_campaign(
    org: Organization, *, now: datetime = START, status: str | None = None, **fields
) -> MarketingCampaign:
    values = {
        "name": "Spring open day",
        "type": "lead_generation",
        "objective": "Fill the 20 places of our Saturday workshop",
        "budget": "1000",
        "channels": ["meta_ads", "email"],
    }
    values.update(fields)
    campaign = create_campaign(db.session, org, values, actor_id=None, now=now)
    if status:
        campaign.status = status  # a state to start from; the tests move it through the service
    db.session.commit()
    return campaign
