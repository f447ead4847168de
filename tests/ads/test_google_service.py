"""Google Ads through the same service path as Meta, with an adapter object standing in for
the Google Ads client (its own tests, against a local gRPC server, are the adapter's): the
link, the pull into campaign_metrics, the push with read-back, a refusal, and Test
connection's steps."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select

from tests.ads.conftest import MID_MONTH, add_campaign, jobs_of, run_jobs
from webapp.core.extensions import db
from webapp.integrations.ads.base import DailyResult, PlatformCampaign, Refused
from webapp.integrations.resilience import ErrorClass, IntegrationError
from webapp.models import AdPlatformLink, BudgetChange, CampaignMetric
from webapp.services.ads import (
    accounts,
    link_campaign,
    platform_campaigns,
    queue_budget_pushes,
    queue_pulls,
)
from webapp.services.connections import checks, save_credentials


class FakeGoogle:
    """Keeps one account's campaigns in memory; `refuse` makes the next budget change fail."""

    def __init__(self) -> None:
        self.campaigns = {"111": PlatformCampaign("111", "Search — bakery", "ENABLED", 2000, "USD")}
        self.results_rows: list[DailyResult] = []
        self.refuse: str | None = None
        self.check_steps = [("sign in with the OAuth refresh token", True, "")]
        self.calls: list[tuple] = []

    def check(self):
        return self.check_steps

    def list_campaigns(self):
        return list(self.campaigns.values())

    def create_paused_campaign(self, name, daily_budget_minor):
        created = PlatformCampaign("222", name, "PAUSED", daily_budget_minor, "USD")
        self.campaigns["222"] = created
        return created

    def results(self, since, until):
        self.calls.append(("results", since, until))
        return [r for r in self.results_rows if since <= r.day <= until]

    def set_daily_budget(self, campaign_id, daily_budget_minor):
        self.calls.append(("set", campaign_id, daily_budget_minor))
        if self.refuse:
            raise Refused(self.refuse)
        c = self.campaigns[campaign_id]
        self.campaigns[campaign_id] = PlatformCampaign(
            c.id, c.name, c.status, daily_budget_minor, "USD"
        )
        return daily_budget_minor

    def pause(self, campaign_id):
        self.calls.append(("pause", campaign_id))


@pytest.fixture
def google(monkeypatch, app, alice_org, clock):
    fake = FakeGoogle()
    seen = {}

    def factory(values, config):
        seen.update(values)
        return fake

    monkeypatch.setitem(accounts.FACTORIES, "google_ads", factory)
    clock.set(MID_MONTH)
    save_credentials(
        db.session, alice_org.id, "google_ads",
        {"developer_token": "dev-token-123456", "client_id": "cid.apps.googleusercontent.com",
         "client_secret": "GOCSPX-secret", "refresh_token": "1//refresh", "customer_id": "1234567890"},
        actor_id=None, now=clock(),
    )  # fmt: skip
    fake.seen = seen
    return fake


def _linked(org, google, clock, budget="160.00"):
    campaign = add_campaign(org, "google_ads", budget, clock())
    org_id = org.id
    db.session.commit()
    [platform] = platform_campaigns(db.engine, org_id, "google_ads", clock=clock)
    link_campaign(db.session, org, campaign, platform, created=False, actor_id=None, now=clock())
    run_jobs(clock)
    return campaign


def test_google_goes_through_the_same_pull_and_push(alice_org, google, clock):
    campaign = _linked(alice_org, google, clock)
    assert google.seen["customer_id"] == "1234567890"  # the saved credentials reach the adapter
    assert google.campaigns["111"].daily_budget_minor == 1000  # 160.00 over 16 days
    google.results_rows = [
        DailyResult(
            "111", date(2026, 12, 15), Decimal("9.99"), 800, 21, Decimal("2"), Decimal("64.50")
        ),
        DailyResult("999", date(2026, 12, 15), Decimal("5"), 1, 1, Decimal("0"), Decimal("0")),
    ]
    queue_pulls(db.session, now=clock())
    run_jobs(clock)
    assert ("results", date(2026, 12, 8), date(2026, 12, 15)) in google.calls
    [metric] = db.session.scalars(select(CampaignMetric)).all()  # the unlinked campaign is left out
    assert (metric.campaign_id, metric.source, metric.spend) == (
        campaign.id,
        "google_ads",
        Decimal("9.99"),
    )
    assert (metric.clicks, metric.conversions, metric.revenue) == (21, 2, Decimal("64.50"))
    # The pull queued the daily re-spread: (160 − 9.99) over the 16 days left → 937 cents.
    assert google.campaigns["111"].daily_budget_minor == 937


def test_google_refusal_sets_our_budget_back(alice_org, google, clock):
    campaign = _linked(alice_org, google, clock)
    google.refuse = "Budget amount is below the minimum for this currency"
    campaign.monthly_budget = Decimal("8.00")
    queue_budget_pushes(db.session, alice_org.id, [campaign.id], now=clock(), reason="optimizer")
    run_jobs(clock)
    assert jobs_of("ads.push_budget")[-1].status == "failed"
    db.session.refresh(campaign)
    assert campaign.monthly_budget == Decimal("160.00")  # 10.00 a day × 16 days, the platform's
    change = db.session.scalar(select(BudgetChange).where(BudgetChange.rule == "platform_refused"))
    assert "below the minimum" in change.reason
    assert "below the minimum" in db.session.scalar(select(AdPlatformLink)).last_error


def test_google_test_connection_names_the_failed_step(alice_org, google, clock):
    google.check_steps = [
        ("sign in with the OAuth refresh token", True, ""),
        (
            "open customer 123-456-7890",
            False,
            "Check the customer id (10 digits, top right in Google Ads).",
        ),
    ]
    org_id = alice_org.id
    db.session.commit()
    result = checks.test_connection(db.session, org_id, "google_ads", now=clock())
    assert not result.ok and result.error_class == str(ErrorClass.CONFIGURATION_ERROR)
    assert result.summary.startswith(
        "Sign in with the OAuth refresh token; then failed while open customer"
    )
    assert "customer id" in result.summary


def test_google_unreachable_test_connection_is_transient(alice_org, google, clock, monkeypatch):
    def down():
        raise IntegrationError("Google Ads could not be reached", ErrorClass.TRANSIENT_NETWORK)

    monkeypatch.setattr(google, "check", down)
    org_id = alice_org.id
    db.session.commit()
    result = checks.test_connection(db.session, org_id, "google_ads", now=clock())
    assert not result.ok and result.error_class == "TRANSIENT_NETWORK"
    assert "reaching Google Ads" in result.summary
