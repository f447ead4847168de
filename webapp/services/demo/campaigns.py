"""Demo data for `autopilot demo`: an active autopilot, its campaigns, and 60 days of results.

The 60 days are played forward one day at a time through the real optimiser, so the
budget history and the activity feed show what the autopilot would really have done in
that market. Figures come from a seeded random generator: the same every run.
"""

from __future__ import annotations

import calendar
import random
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from webapp.models import AutopilotConfig, Campaign, CampaignMetric, Lead, Organization
from webapp.services.autopilot import (
    apply_plan,
    create_campaigns_from_strategy,
    load_states,
    plan_workspace,
    workspace_of,
)
from webapp.services.leads import Captured, capture_leads

DAYS = 60
SEED = 20261122
CENT = Decimal("0.01")

DEMO_STRATEGY = {
    "planner": "builtin",
    "channels": [
        {
            "channel": "meta_ads",
            "percent": 40,
            "rationale": "Photos of the day's bakes reach people nearby.",
        },
        {
            "channel": "google_ads",
            "percent": 30,
            "rationale": "Catches people searching for cakes and catering.",
        },
        {
            "channel": "email",
            "percent": 20,
            "rationale": "Brings regulars back with the weekly specials.",
        },
        {
            "channel": "seo",
            "percent": 10,
            "rationale": "A complete local profile and reviews bring free visits.",
        },
    ],
    "messaging": {
        "value_proposition": "Cakes and bread baked every morning, ordered online by 10 and ready by noon.",
        "tone": "warm and neighbourly",
        "key_messages": [
            "Baked this morning",
            "Order by 10, collect by noon",
            "Celebration cakes to order",
        ],
    },
}


@dataclass(frozen=True)
class Market:
    """How one channel behaves: cost per click, click-through, conversions per click, order value."""

    cpc: float
    ctr: float
    cvr: float  # conversions ÷ clicks
    leads_per_conversion: float
    order_value: float


MARKETS = {
    "meta_ads": Market(cpc=0.55, ctr=0.012, cvr=0.008, leads_per_conversion=2.4, order_value=42.0),
    "google_ads": Market(
        cpc=1.40, ctr=0.045, cvr=0.022, leads_per_conversion=1.8, order_value=58.0
    ),
    "email": Market(cpc=0.12, ctr=0.030, cvr=0.045, leads_per_conversion=1.3, order_value=36.0),
    "seo": Market(cpc=0.35, ctr=0.020, cvr=0.030, leads_per_conversion=1.6, order_value=47.0),
}
DEFAULT_MARKET = Market(cpc=0.80, ctr=0.015, cvr=0.015, leads_per_conversion=1.8, order_value=40.0)
# Monday … Sunday: a bakery sells most at the end of the week.
WEEKDAY = (0.85, 0.9, 0.95, 1.0, 1.15, 1.3, 0.85)

FIRST = (
    "Amelia",
    "Oliver",
    "Isla",
    "George",
    "Ava",
    "Noah",
    "Mia",
    "Leo",
    "Grace",
    "Arthur",
    "Freya",
    "Harry",
    "Ella",
    "Jack",
    "Sophie",
    "Theo",
    "Lily",
    "Oscar",
    "Ruby",
    "Alfie",
    "Priya",
    "Mohammed",
    "Zara",
    "Tomasz",
)
LAST = (
    "Smith",
    "Jones",
    "Taylor",
    "Brown",
    "Williams",
    "Wilson",
    "Johnson",
    "Davies",
    "Patel",
    "Evans",
    "Thomas",
    "Roberts",
    "Khan",
    "Lewis",
    "Walker",
    "Hughes",
    "Clarke",
    "Nowak",
    "Wright",
    "Green",
)


def add_demo_campaigns(session: Session, org: Organization, now: datetime) -> None:
    """Idempotent: a workspace that already has demo metrics is left alone."""
    if session.scalar(
        select(CampaignMetric.id)
        .where(CampaignMetric.org_id == org.id, CampaignMetric.source == "demo")
        .limit(1)
    ):
        return
    zone = ZoneInfo(org.timezone)
    today = now.astimezone(zone).date()
    first_day = today - timedelta(days=DAYS)
    started = datetime.combine(first_day, time(2, 0), tzinfo=UTC)
    config = _demo_config(session, org, started)
    if config.status != "active":
        return
    campaigns = list(
        session.scalars(
            select(Campaign)
            .where(Campaign.org_id == org.id, Campaign.auto_managed.is_(True))
            .order_by(Campaign.id)
        )
    )
    simulate_budgets = not campaigns
    if not campaigns:
        campaigns = create_campaigns_from_strategy(session, config, org, now=started)
    rng = random.Random(SEED)
    ws = workspace_of(config, org)
    lead_no = 0
    for n in range(DAYS):
        day = first_day + timedelta(days=n)
        moment = datetime.combine(day, time(2, 0), tzinfo=UTC)
        if simulate_budgets and n > 0:
            ws = replace(ws, last_optimized_at=config.last_optimized_at)
            plan = plan_workspace(
                ws,
                load_states(session, [ws], now=moment).get(org.id, []),
                now=moment,
            )
            apply_plan(session, plan, now=moment)
            session.flush()
            session.expire_all()
        for campaign in campaigns:
            figures = _day_figures(rng, campaign, day, session)
            session.add(
                CampaignMetric(
                    org_id=org.id,
                    campaign_id=campaign.id,
                    day=day,
                    source="demo",
                    updated_at=moment,
                    **figures,
                )
            )
            lead_no = _add_leads(
                session, rng, org, campaign, day, zone, figures["leads"], lead_no, today
            )
        session.flush()


def _demo_config(session: Session, org: Organization, started: datetime) -> AutopilotConfig:
    """The workspace's autopilot settings; a bakery's, active since `started`, if it has none."""
    config = session.scalars(
        select(AutopilotConfig).where(AutopilotConfig.org_id == org.id)
    ).one_or_none()
    if config is not None:
        return config
    config = AutopilotConfig(
        org_id=org.id,
        status="active",
        monthly_budget=Decimal("3000.00"),
        strategy=DEMO_STRATEGY,
        business_description="A neighbourhood bakery selling bread, pastries and celebration cakes, "
        "with online ordering for collection.",
        audience={
            "who": "Families and office teams nearby",
            "where": "Within 5 miles of the shop",
            "market": "b2c",
            "interests": ["baking", "celebrations", "local food"],
        },
        goals={"primary": "More cake orders", "monthly_leads": 120},
        created_at=started,
        updated_at=started,
        activated_at=started,
    )
    session.add(config)
    session.flush()
    return config


def _spent_this_month(session: Session, campaign: Campaign, day: date) -> Decimal:
    spent = session.scalar(
        select(func.sum(CampaignMetric.spend)).where(
            CampaignMetric.campaign_id == campaign.id,
            CampaignMetric.day >= day.replace(day=1),
            CampaignMetric.day < day,
        )
    )
    return Decimal(spent or 0).quantize(CENT)


def _day_figures(rng: random.Random, campaign: Campaign, day: date, session: Session) -> dict:
    market = MARKETS.get(campaign.channel, DEFAULT_MARKET)
    days_in_month = calendar.monthrange(day.year, day.month)[1]
    budget = Decimal(campaign.monthly_budget)
    spend = budget / days_in_month * Decimal(str(WEEKDAY[day.weekday()] * rng.uniform(0.85, 1.1)))
    room = budget - _spent_this_month(session, campaign, day)
    spend = max(Decimal("0"), min(spend, room)).quantize(CENT, rounding=ROUND_HALF_UP)
    clicks = int(float(spend) / (market.cpc * rng.uniform(0.85, 1.15)))
    impressions = int(clicks / (market.ctr * rng.uniform(0.8, 1.2))) if clicks else 0
    conversions = sum(1 for _ in range(clicks) if rng.random() < market.cvr)
    leads = max(
        conversions, round(conversions * market.leads_per_conversion * rng.uniform(0.8, 1.2))
    )
    revenue = sum(
        (
            Decimal(str(round(market.order_value * rng.uniform(0.6, 1.6), 2)))
            for _ in range(conversions)
        ),
        Decimal("0"),
    )
    return {
        "impressions": impressions,
        "clicks": clicks,
        "spend": spend,
        "leads": leads,
        "conversions": conversions,
        "revenue": revenue,
    }


def _add_leads(
    session: Session,
    rng: random.Random,
    org: Organization,
    campaign: Campaign,
    day: date,
    zone: ZoneInfo,
    count: int,
    lead_no: int,
    today: date,
) -> int:
    """The day's leads of the campaign, through the lead inbox's own way in (scored, de-duplicated)."""
    rows = []
    for _ in range(count):
        lead_no += 1
        first, last = rng.choice(FIRST), rng.choice(LAST)
        row = {
            "full_name": f"{first} {last}",
            "email": f"{first.lower()}.{last.lower()}{lead_no}@example.com",
            "source": campaign.channel,
            "campaign_id": campaign.id,
        }
        rows.append(row)
    if not rows:
        return lead_no
    at = datetime.combine(
        day, time(rng.randint(8, 20), rng.randint(0, 59)), tzinfo=zone
    ).astimezone(UTC)
    captured = [
        o
        for o in capture_leads(session, org.id, rows, source="api", now=at, log=False)
        if isinstance(o, Captured)
    ]
    age = (today - day).days
    if age >= 3:  # older leads have been worked on
        for outcome in captured:
            status = rng.choices(("new", "contacted", "qualified", "won", "lost"), (2, 4, 2, 2, 1))[
                0
            ]
            if status != "new":
                session.execute(
                    update(Lead)
                    .where(Lead.id == outcome.lead_id, Lead.org_id == org.id)
                    .values(status=status)
                )
    return lead_no
