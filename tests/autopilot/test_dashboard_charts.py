"""The dashboard's charts (issue 15 item 17) draw the dashboard service's own figures: the
JSON block the page embeds is the service's trend, its last week is the week-so-far the
figure cards show, and each week's spend by channel adds up to that week's spend."""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from tests.autopilot.test_dashboard import campaign, lead, metric
from tests.conftest import login
from webapp.core.extensions import db
from webapp.services.autopilot.dashboard import dashboard_summary, dashboard_trend

NOW = datetime(2026, 11, 25, 15, 0, tzinfo=UTC)  # Wednesday; the week began Monday the 23rd


def chart_block(html: str) -> dict:
    found = re.search(
        r'<script type="application/json" id="dashboard-chart-data">(.*?)</script>', html, re.S
    )
    assert found, "no chart data on the dashboard"
    return json.loads(found.group(1))


def test_the_chart_data_is_the_services_figures(client, alice, alice_org, clock):
    clock.set(NOW)
    email, ads = campaign(alice_org, "email"), campaign(alice_org, "google_ads")
    metric(alice_org, email, date(2026, 11, 23), spend="10.50", revenue="100")
    metric(alice_org, ads, date(2026, 11, 24), spend="20.25", revenue="55.10")
    metric(alice_org, ads, date(2026, 11, 17), spend="7", revenue="12")  # last week
    metric(alice_org, email, date(2026, 10, 1), spend="99", revenue="1")  # before the 8 weeks
    for at in (NOW - timedelta(hours=1), NOW - timedelta(days=1), NOW - timedelta(days=8)):
        lead(alice_org, at)
    lead(alice_org, NOW + timedelta(hours=1))  # not yet
    db.session.commit()

    login(client, alice)
    data = chart_block(client.get("/").get_data(as_text=True))
    trend = dashboard_trend(db.session, alice_org, NOW)
    summary = dashboard_summary(db.session, alice_org, NOW)

    assert data["day_labels"][-1] == "This week" and len(data["day_labels"]) == 8
    assert data["day_labels"][-2] == "16 Nov"
    assert data["leads"] == trend.leads == [0, 0, 0, 0, 0, 0, 1, 2]
    assert data["revenue"] == [str(v) for v in trend.revenue]
    assert data["spend_total"] == [str(v) for v in trend.spend]
    # This week is the figure cards' week so far.
    assert data["leads"][-1] == summary.leads.value
    assert Decimal(data["revenue"][-1]) == summary.revenue.value == Decimal("155.10")
    assert Decimal(data["spend_total"][-1]) == summary.spend.value == Decimal("30.75")
    # Spend by channel: the same spend, split.
    by_channel = {s["channel"]: s for s in data["spend"]}
    assert by_channel["google_ads"]["label"] == "Google ads"
    assert by_channel["email"]["values"][-1] == "10.50"
    assert by_channel["google_ads"]["values"][-2:] == ["7.00", "20.25"]
    for week, total in enumerate(data["spend_total"]):
        assert sum(Decimal(s["values"][week]) for s in data["spend"]) == Decimal(total)


def test_a_workspace_with_no_spend_says_what_to_do(client, alice, alice_org, clock):
    clock.set(NOW)
    login(client, alice)
    html = client.get("/").get_data(as_text=True)
    assert chart_block(html)["spend"] == []
    assert "No spend recorded in the last 8 weeks" in html
    assert 'id="chart-leads-revenue"' in html
