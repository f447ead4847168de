"""A workspace with a business profile, a brand and a campaign, ready for assets."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select

from tests.conftest import START
from tests.fakes.openai_server import FakeOpenAI
from webapp.core.extensions import db
from webapp.models import AutopilotConfig, BrandProfile, MarketingCampaign, Organization
from webapp.services.assets import run_asset_jobs

KEY = "sk-test-assets-0123456789-secret"


def profile(
    org: Organization, description: str, who: str, where: str, language: str = "en"
) -> None:
    db.session.add(
        AutopilotConfig(
            org_id=org.id,
            business_description=description,
            audience={"who": who, "where": where, "market": "b2c"},
            strategy={
                "messaging": {
                    "value_proposition": "Friendly, local and quick to answer",
                    "key_messages": [],
                }
            },
            ai_monthly_budget=Decimal("10.00"),
            created_at=START,
            updated_at=START,
        )
    )
    db.session.add(
        BrandProfile(
            org_id=org.id,
            primary_color="#7c2d12",
            accent_color="#facc15",
            language=language,
            website="https://example.test",
            updated_at=START,
        )
    )


def campaign(
    org: Organization, name: str = "Christmas orders", kind: str = "lead_generation"
) -> MarketingCampaign:
    row = MarketingCampaign(
        org_id=org.id,
        name=name,
        type=kind,
        objective="more orders",
        status="draft",
        settings={"offer": "10 % off your first order"},
        created_at=START,
        updated_at=START,
    )
    db.session.add(row)
    db.session.flush()
    return row


@pytest.fixture
def bakery(alice_org):
    profile(alice_org, "We bake sourdough bread and cakes in Leeds.", "families in Leeds", "Leeds")
    made = campaign(alice_org)
    db.session.commit()
    return alice_org, made


@pytest.fixture
def salon(charlie):
    org = db.session.scalars(select(Organization).where(Organization.name == "Charlie Cuts")).one()
    profile(org, "We cut and colour hair in Bristol.", "professionals in Bristol", "Bristol")
    made = campaign(org, "Spring refresh", "re_engagement")
    db.session.commit()
    return org, made


def run_jobs(app, clock) -> None:
    db.session.commit()
    run_asset_jobs(db.engine, owner="test", clock=clock)
    db.session.expire_all()


@pytest.fixture
def fake():
    server = FakeOpenAI().start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def openai_on(app, fake):
    app.config.update(
        OPENAI_API_KEY=KEY,
        OPENAI_BASE_URL=fake.base_url,
        OPENAI_MODEL="gpt-4o-mini",
        OPENAI_TIMEOUT_SECONDS=5,
    )
    return fake
