"""A campaign's prediction from the database: its paid channels with the budget split
evenly, the workspace's months on each channel as history, and an honest label."""

from __future__ import annotations

from datetime import date, timedelta

from tests.autopilot.test_campaigns_pages import add_metric, with_campaigns
from tests.marketing.factories import make_campaign
from webapp.core.extensions import db
from webapp.services.prediction import predict_campaign
from webapp.services.prediction.predict import history

TODAY = date(2026, 11, 23)


def test_without_history_it_rests_on_benchmarks(alice_org):
    campaign = make_campaign(alice_org, budget="1000", channels=["meta_ads", "google_ads", "email"])
    p = predict_campaign(db.session, campaign, today=TODAY)
    assert [c.channel for c in p.channels] == ["google_ads", "meta_ads"]
    assert [str(c.budget) for c in p.channels] == ["500.00", "500.00"]
    assert p.not_predicted == ["Email"]
    for c in p.channels:
        assert c.confidence == "benchmarks"
        assert c.explanation.startswith("Rests on industry benchmarks")
        assert c.forecast.periods == 0
    assert predict_campaign(db.session, campaign, today=TODAY) == p  # reproducible


def test_no_paid_channel_or_no_budget_says_what_to_do(alice_org):
    email_only = make_campaign(alice_org, channels=["email"])
    assert (
        "Choose Meta ads or Google ads"
        in predict_campaign(db.session, email_only, today=TODAY).note
    )
    no_budget = make_campaign(alice_org, budget="0", channels=["meta_ads"])
    p = predict_campaign(db.session, no_budget, today=TODAY)
    assert p.channels == [] and "Give the campaign a budget" in p.note


def test_the_workspaces_months_narrow_it(alice_org, charlie):
    from tests.conftest import org_of

    campaign = make_campaign(alice_org, budget="1000", channels=["meta_ads"])
    before = predict_campaign(db.session, campaign, today=TODAY).channels[0]
    meta = next(c for c in with_campaigns(alice_org) if c.channel == "meta_ads")
    for month in range(7):  # seven months, a few days each
        for d in range(3):
            day = date(2026, 4 + month, 10 + d)
            add_metric(meta, day, impressions=7000, clicks=180, conversions=14, spend=160)
    # Another workspace's results are never this one's history.
    other = next(c for c in with_campaigns(org_of(charlie)) if c.channel == "meta_ads")
    add_metric(other, TODAY - timedelta(days=1), impressions=10**6, clicks=1, spend=5)
    months = history(db.session, alice_org.id, "meta_ads", today=TODAY)
    assert len(months) == 7 and months[0].impressions == 21000 and months[0].clicks == 540
    after = predict_campaign(db.session, campaign, today=TODAY).channels[0]
    assert (after.confidence, after.forecast.periods) == ("high", 7)
    assert after.explanation.startswith("Good: 7 months of your own results")

    def spread(r):
        return r.high / max(r.low, 1)

    assert spread(after.forecast.clicks) < spread(before.forecast.clicks) / 2
    # Their cost per click ($0.89) is far below the benchmark's $1.88: more clicks predicted.
    assert after.forecast.clicks.median > before.forecast.clicks.median * 1.5
