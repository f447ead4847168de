"""One definition of leads, conversions and revenue: the dashboard, the campaigns page, the
weekly report and the optimiser count the same data the same way (issue 15, item 2)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from tests.conftest import START
from webapp.core.extensions import db
from webapp.models import Campaign, CampaignMetric, Lead
from webapp.services.autopilot.budget_plan import CampaignState, Rules, Workspace
from webapp.services.autopilot.campaign_results import list_campaigns
from webapp.services.autopilot.dashboard import dashboard_trend
from webapp.services.autopilot.learning_data import attach_history
from webapp.services.reporting.display import headline_cards
from webapp.services.reporting.figures import gather_facts

# Wednesday 10 June 2026; the last complete week is Monday 1 – Sunday 7 June, the first
# week of the month, so "this month" and "that week" hold the same days of data.
NOW = datetime(2026, 6, 10, 15, 0, tzinfo=UTC)
WEEK = date(2026, 6, 1)


@pytest.fixture
def org(alice_org):
    alice_org.timezone = "Europe/Berlin"
    db.session.commit()
    return alice_org


def _campaign(org, channel: str) -> Campaign:
    row = Campaign(org_id=org.id, name=channel, channel=channel, kind="auto", created_at=START,
                   updated_at=START)  # fmt: skip
    db.session.add(row)
    db.session.flush()
    return row


def _metric(org, camp, day, **values) -> None:
    db.session.add(CampaignMetric(org_id=org.id, campaign_id=camp.id, day=day, updated_at=START,
                                  **values))  # fmt: skip


def _lead(org, at, campaign=None, source="form") -> None:
    db.session.add(Lead(org_id=org.id, full_name="Lee", source=source, created_at=at,
                        updated_at=at, campaign_id=campaign.id if campaign else None))  # fmt: skip


def test_dashboard_campaigns_report_and_optimiser_count_the_same_leads_and_money(app, org):
    email, ads = _campaign(org, "email"), _campaign(org, "google_ads")
    # Email: the uploaded results say 6 leads over two days, no lead in the inbox is linked.
    _metric(org, email, date(2026, 6, 2), leads=4, conversions=1, spend=Decimal("10"),
            revenue=Decimal("9.80"), clicks=40)  # fmt: skip
    _metric(org, email, date(2026, 6, 3), leads=2, spend=Decimal("0"), clicks=10)
    # Ads: the platform says 1 lead, the inbox has 3 linked to it on that day (the greater counts).
    _metric(org, ads, date(2026, 6, 4), leads=1, conversions=2, spend=Decimal("50"),
            revenue=Decimal("120"), clicks=30)  # fmt: skip
    for hour in (8, 9, 10):
        _lead(org, datetime(2026, 6, 4, hour, tzinfo=UTC), campaign=ads)
    # Two inbox leads linked to no campaign; one came in by SMS.
    _lead(org, datetime(2026, 6, 5, 12, tzinfo=UTC))
    _lead(org, datetime(2026, 6, 6, 12, tzinfo=UTC), source="sms")
    db.session.commit()

    # The weekly report.
    facts = gather_facts(db.session, org, WEEK, NOW)
    by_channel = {row["channel"]: row for row in facts["channels"]}
    assert facts["totals"]["leads"] == 6 + 3 + 2
    assert by_channel["email"]["leads"] == 6 and by_channel["google_ads"]["leads"] == 3
    assert by_channel["sms"]["leads"] == 1 and facts["unattributed_leads"] == 1
    assert facts["totals"]["revenue"] == "129.80" and facts["totals"]["spend"] == "60.00"

    # The dashboard's week of 1 June.
    trend = dashboard_trend(db.session, org, NOW, weeks=2)
    assert trend.weeks[0] == WEEK
    assert trend.leads[0] == facts["totals"]["leads"]
    assert str(trend.revenue[0]) == facts["totals"]["revenue"]
    assert str(trend.spend[0]) == facts["totals"]["spend"]

    # The campaigns page (this month = the same days).
    rows = {r.campaign.channel: r for r in list_campaigns(db.session, org, now=NOW)}
    for channel in ("email", "google_ads"):
        assert rows[channel].leads == by_channel[channel]["leads"]
        assert rows[channel].conversions == by_channel[channel]["conversions"]
        assert str(rows[channel].revenue) == by_channel[channel]["revenue"]

    # The optimiser's daily history (a lead counts where no conversion was recorded).
    ws = Workspace(org.id, org.name, org.timezone, Decimal("100"), Rules.of(None), mode="learning")
    states = [CampaignState(c.id, c.name, c.channel, "active", Decimal("50"), None, None)
              for c in (email, ads)]  # fmt: skip
    attach_history(db.session, [ws], {org.id: states}, now=NOW)
    email_days = {d.day: d for d in states[0].days}
    ads_days = {d.day: d for d in states[1].days}
    assert email_days[date(2026, 6, 3)].conversions == 2  # its 2 leads, no conversion
    assert ads_days[date(2026, 6, 4)].conversions == 2
    assert sum(d.revenue for d in states[0].days + states[1].days) == pytest.approx(129.80)


def test_a_loss_is_never_shown_in_green(app, org, client, alice, clock):
    from tests.conftest import login
    from webapp.services.reporting.reports import build_weekly_report

    email = _campaign(org, "email")
    _metric(org, email, date(2026, 5, 26), spend=Decimal("100"), revenue=Decimal("50"))
    _metric(org, email, date(2026, 6, 2), spend=Decimal("100"), revenue=Decimal("98"))
    _metric(org, email, date(2026, 6, 9), spend=Decimal("100"), revenue=Decimal("99"))
    db.session.commit()
    report = build_weekly_report(db.session, org, WEEK, NOW)
    db.session.commit()
    roi = next(c for c in headline_cards(report) if c["key"] == "roi")
    assert roi["value"] == "0.98×" and roi["loss"]
    assert roi["change"]["direction"] == "up" and roi["change"]["tone"] != "good"

    login(client, alice)
    html = client.get(f"/reports/{report.id}").get_data(as_text=True)
    card = html[html.index('id="card-roi"') :][:900]
    assert "change-good" not in card and "loss" in card

    # The dashboard: this week so far 0.99× beats 0.98×, yet it is a loss: not green.
    clock.at = NOW
    html = client.get("/").get_data(as_text=True)
    kpi = html[html.index('id="kpi-roi"') :][:900]
    assert "0.99×" in kpi and "kpi-change up" not in kpi and "loss" in kpi
