"""`autopilot demo`'s campaigns: an active autopilot, 60 days of results played through the
real optimiser, leads through the inbox's way in; running it again changes nothing."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import func, select

from tests.conftest import START
from webapp.core.extensions import db
from webapp.models import AutopilotConfig, BudgetChange, Campaign, CampaignMetric, Lead
from webapp.services.demo.campaigns import DAYS, add_demo_campaigns


def count(model, org) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(model.org_id == org.id))


def test_it_adds_an_autopilot_campaigns_and_60_days_of_results_once(app, alice_org):
    add_demo_campaigns(db.session, alice_org, START)
    db.session.commit()
    config = db.session.scalars(select(AutopilotConfig)).one()
    campaigns = db.session.scalars(select(Campaign).order_by(Campaign.id)).all()
    assert config.status == "active" and [c.channel for c in campaigns] == [
        "meta_ads",
        "google_ads",
        "email",
        "seo",
    ]
    assert sum(c.monthly_budget for c in campaigns) <= config.monthly_budget
    assert count(CampaignMetric, alice_org) == DAYS * 4
    days = db.session.execute(
        select(func.min(CampaignMetric.day), func.max(CampaignMetric.day))
    ).one()
    assert (days[1] - days[0]).days == DAYS - 1 and days[1] < START.date()
    assert (
        db.session.scalar(
            select(func.count()).select_from(BudgetChange).where(BudgetChange.rule != "initial")
        )
        > 0
    )
    leads = count(Lead, alice_org)
    assert leads > 100
    assert (
        db.session.scalar(select(func.count()).select_from(Lead).where(Lead.campaign_id.is_(None)))
        == 0
    )
    assert leads == db.session.scalar(select(func.sum(CampaignMetric.leads)))
    metric = db.session.scalars(
        select(CampaignMetric).where(CampaignMetric.clicks > 0).limit(1)
    ).one()
    assert (
        metric.impressions > metric.clicks
        and metric.spend > Decimal("0")
        and metric.source == "demo"
    )

    add_demo_campaigns(db.session, alice_org, START)
    db.session.commit()
    assert count(CampaignMetric, alice_org) == DAYS * 4 and count(Lead, alice_org) == leads
    assert count(Campaign, alice_org) == 4
