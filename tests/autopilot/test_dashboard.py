"""The dashboard's numbers: this week against the same days of last week, in the workspace's zone."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from tests.conftest import START, login
from webapp.core.extensions import db
from webapp.models import AutopilotConfig, Campaign, CampaignMetric, Lead, WeeklyReport
from webapp.services.autopilot.dashboard import Change, change, dashboard_summary, roi

# Wednesday 25 November 2026, 15:00 UTC = 10:00 in New York. The week began Monday the 23rd.
NOW = datetime(2026, 11, 25, 15, 0, tzinfo=UTC)


@pytest.fixture
def org(alice_org):
    alice_org.timezone = "America/New_York"
    db.session.commit()
    return alice_org


def campaign(org, channel="email") -> Campaign:
    row = Campaign(org_id=org.id, name=channel, channel=channel, created_at=START, updated_at=START)
    db.session.add(row)
    db.session.flush()
    return row


def metric(org, camp, day: date, spend="0", revenue="0") -> None:
    db.session.add(CampaignMetric(org_id=org.id, campaign_id=camp.id, day=day, spend=Decimal(spend),
                                  revenue=Decimal(revenue), updated_at=START))  # fmt: skip


def lead(org, at: datetime) -> None:
    db.session.add(Lead(org_id=org.id, full_name="Lee", created_at=at, updated_at=at))


@pytest.mark.parametrize(
    ("current", "previous", "expected"),
    [
        (15, 10, Change("up", Decimal("50"))),
        (5, 10, Change("down", Decimal("50"))),
        (10, 10, Change("flat", Decimal("0"))),
        (3, 0, Change("new")),
        (0, 0, Change("none")),
        (None, Decimal("2"), Change("none")),
        (Decimal("1.5"), None, Change("new")),
        (Decimal("100.00"), Decimal("300.00"), Change("down", Decimal("67"))),
        (2, 3, Change("down", Decimal("33"))),
        (1, 8, Change("down", Decimal("88"))),  # 87.5 rounds half up
    ],
)
def test_it_computes_the_week_over_week_change(current, previous, expected):
    assert change(current, previous) == expected


def test_it_computes_roi_and_handles_zero_spend():
    assert roi(Decimal("300"), Decimal("100")) == Decimal("3.00")
    assert roi(Decimal("100"), Decimal("300")) == Decimal("0.33")
    assert roi(Decimal("0"), Decimal("50")) == Decimal("0.00")
    assert roi(Decimal("500"), Decimal("0")) is None


def test_it_sums_this_week_against_the_same_days_last_week(app, org):
    email, ads = campaign(org, "email"), campaign(org, "google_ads")
    # This week, Monday to today (Wednesday).
    metric(org, email, date(2026, 11, 23), spend="40.50", revenue="100")
    metric(org, ads, date(2026, 11, 25), spend="59.50", revenue="200")
    # Last week, Monday to Wednesday count; Thursday onwards is past "the same point".
    metric(org, email, date(2026, 11, 16), spend="50", revenue="50")
    metric(org, ads, date(2026, 11, 18), spend="30", revenue="100")
    metric(org, ads, date(2026, 11, 19), spend="999", revenue="999")
    # New York leads: Sunday 22:00 local is last week, Monday 00:00 local is this week.
    lead(org, datetime(2026, 11, 23, 3, 0, tzinfo=UTC))  # Sun 22 Nov, 22:00 NY
    lead(org, datetime(2026, 11, 23, 5, 0, tzinfo=UTC))  # Mon 23 Nov, 00:00 NY
    lead(org, datetime(2026, 11, 25, 14, 59, tzinfo=UTC))
    lead(org, NOW)
    lead(org, NOW + timedelta(seconds=1))  # the future does not count
    lead(org, datetime(2026, 11, 16, 5, 0, tzinfo=UTC))  # last Monday 00:00 NY
    lead(org, datetime(2026, 11, 18, 15, 0, tzinfo=UTC))  # last Wednesday, same time
    lead(org, datetime(2026, 11, 18, 15, 1, tzinfo=UTC))  # a minute later: not the same span
    db.session.commit()

    s = dashboard_summary(db.session, org, NOW)
    assert (s.week_start, s.today) == (date(2026, 11, 23), date(2026, 11, 25))
    assert (s.leads.value, s.leads.previous, s.leads.change) == (3, 2, Change("up", Decimal("50")))
    assert (s.spend.value, s.spend.previous) == (Decimal("100.00"), Decimal("80.00"))
    assert s.spend.change == Change("up", Decimal("25"))
    assert (s.revenue.value, s.revenue.previous, s.revenue.change) == (
        Decimal("300.00"), Decimal("150.00"), Change("up", Decimal("100"))
    )  # fmt: skip
    assert (s.roi.value, s.roi.previous, s.roi.change) == (
        Decimal("3.00"), Decimal("1.88"), Change("up", Decimal("60"))
    )  # fmt: skip


def test_it_shows_no_roi_without_spend_and_new_when_last_week_was_zero(app, org):
    email = campaign(org)
    metric(org, email, date(2026, 11, 24), spend="0", revenue="120")
    lead(org, datetime(2026, 11, 24, 12, 0, tzinfo=UTC))
    db.session.commit()
    s = dashboard_summary(db.session, org, NOW)
    assert s.roi.value is None and s.roi.change == Change("none")
    assert s.revenue.change == Change("new") and s.leads.change == Change("new")
    assert s.spend.change == Change("none")

    metric(org, email, date(2026, 11, 25), spend="60", revenue="0")
    db.session.commit()
    s = dashboard_summary(db.session, org, NOW)
    assert s.roi.value == Decimal("2.00") and s.roi.change == Change("new")  # no ROI last week


def test_it_reports_the_autopilot_and_the_latest_recommendation(app, org):
    s = dashboard_summary(db.session, org, NOW)
    assert (s.autopilot_status, s.recommendation) == (None, None)
    db.session.add(AutopilotConfig(org_id=org.id, status="active", created_at=START, updated_at=START,
                                   activated_at=START, last_optimized_at=NOW - timedelta(hours=13)))  # fmt: skip
    for week, recommendations in [
        (date(2026, 11, 9), ["Old advice."]),
        (date(2026, 11, 16), ["Move $100 from Google Ads to email.", "Second idea."]),
    ]:
        db.session.add(WeeklyReport(org_id=org.id, week_start=week, week_end=week + timedelta(days=6),
                                    recommendations=recommendations, created_at=START))  # fmt: skip
    db.session.commit()
    s = dashboard_summary(db.session, org, NOW)
    assert (s.autopilot_status, s.activated_at, s.last_optimized_at) == (
        "active",
        START,
        NOW - timedelta(hours=13),
    )
    assert (s.recommendation, s.recommendation_week) == (
        "Move $100 from Google Ads to email.",
        date(2026, 11, 16),
    )


def test_the_page_shows_the_figures(app, client, alice, org, clock):
    clock.set(NOW)
    email = campaign(org)
    metric(org, email, date(2026, 11, 23), spend="100", revenue="250")
    metric(org, email, date(2026, 11, 16), spend="200", revenue="100")
    db.session.add(WeeklyReport(org_id=org.id, week_start=date(2026, 11, 16), week_end=date(2026, 11, 22),
                                recommendations=["Try <b>SMS</b> reminders."], created_at=START))  # fmt: skip
    db.session.commit()
    login(client, alice)
    html = client.get("/").get_data(as_text=True)
    assert "Mon 23 Nov – Wed 25 Nov" in html
    assert "$100.00" in html and "▼</span> 50%" in html  # spend halved
    assert "$250.00" in html and "▲</span> 150%" in html  # revenue up
    assert "2.50×" in html and "▲</span> 400%" in html  # ROI 0.5 → 2.5
    assert "nothing to compare yet" in html  # no leads either week
    assert "Try &lt;b&gt;SMS&lt;/b&gt; reminders." in html  # escaped
    assert "Set up your autopilot" in html and 'href="/autopilot/setup"' in html


def test_the_page_says_no_spend_yet(app, client, alice, org, clock):
    clock.set(NOW)
    login(client, alice)
    html = client.get("/").get_data(as_text=True)
    assert "no spend yet this week" in html and "No recommendation yet." in html


def test_the_page_title_is_plain_and_the_activity_feed_is_shown_once(
    app, client, alice, org, clock
):
    clock.set(NOW)
    login(client, alice)
    html = client.get("/").get_data(as_text=True)
    assert "<title>Dashboard · Marketing Autopilot</title>" in html
    assert html.count("Recent activity") == 1
    assert html.count("dashboard.js") == 1
