"""A report's figures equal independent SQL counts over the same records, in the
workspace's day (Berlin), split by dimension, against the previous day."""

from __future__ import annotations

import json

from sqlalchemy import text

from tests.analytics.factories import DAY, DAY_END, DAY_START, make_report, seed_shop
from webapp.core.extensions import db
from webapp.services import analytics
from webapp.services.analytics.periods import period_containing


def _scalar(sql: str, **params) -> float:
    return float(db.session.execute(text(sql), params).scalar() or 0)


def independent(org_id: int) -> dict:
    """The same figures written as plain SQL, with no code of the analytics area."""
    window = {"org": org_id, "a": DAY_START, "b": DAY_END}
    orders_where = (
        "FROM events WHERE org_id = :org AND name = 'order.placed' "
        "AND occurred_at >= :a AND occurred_at < :b"
    )
    values = db.session.execute(text(f"SELECT properties {orders_where}"), window).scalars()
    revenue = 0.0
    for props in values:
        props = json.loads(props) if isinstance(props, str) else props
        try:
            revenue += float(props.get("value"))
        except (TypeError, ValueError):
            pass
    orders = _scalar(f"SELECT COUNT(*) {orders_where}", **window)
    leads = _scalar(
        "SELECT COUNT(*) FROM leads WHERE org_id = :org AND created_at >= :a AND created_at < :b",
        **window,
    )
    converted = _scalar(
        "SELECT COUNT(*) FROM leads l WHERE l.org_id = :org AND l.created_at >= :a "
        "AND l.created_at < :b AND EXISTS (SELECT 1 FROM events e WHERE e.lead_id = l.id "
        "AND e.name = 'order.placed' AND e.occurred_at >= :a AND e.occurred_at < :b)",
        **window,
    )
    sends = "FROM sends WHERE org_id = :org AND test_mode = :f AND sent_at >= :a AND sent_at < :b"
    sent = _scalar(f"SELECT COUNT(*) {sends}", f=False, **window)
    emails = _scalar(f"SELECT COUNT(*) {sends} AND channel = 'email'", f=False, **window)
    opened = _scalar(
        f"SELECT COUNT(*) {sends} AND channel = 'email' AND first_opened_at IS NOT NULL",
        f=False,
        **window,
    )
    clicked = _scalar(
        f"SELECT COUNT(*) {sends} AND first_clicked_at IS NOT NULL", f=False, **window
    )
    spend = _scalar(
        "SELECT SUM(spend) FROM campaign_metrics WHERE org_id = :org AND day = :d",
        org=org_id,
        d=DAY,
    )
    return {
        "revenue": round(revenue, 2),
        "orders": orders,
        "average_order_value": round(revenue / orders, 2),
        "customers": _scalar(f"SELECT COUNT(DISTINCT lead_id) {orders_where}", **window),
        "leads": leads,
        "conversion_rate": round(converted / leads * 100, 4),
        "email_open_rate": round(opened / emails * 100, 4),
        "click_through_rate": round(clicked / sent * 100, 4),
        "spend": spend,
        "roi": round((revenue - spend) / spend, 4),
    }


def test_the_figures_equal_an_independent_sql_count(app, alice_org):
    seed_shop(alice_org)
    report = make_report(alice_org)
    period = period_containing("daily", DAY)
    figures = analytics.figures(db.session, report, period, "Europe/Berlin")
    expected = independent(alice_org.id)
    assert figures["totals"] == expected
    # the records chosen so the day's edges matter: 4 orders (one at 23:30 Berlin, one
    # with no number) and not the one at 00:30 the next day
    assert expected["orders"] == 4 and expected["revenue"] == 125.5


def test_the_dimension_tables_add_up_to_the_totals(app, alice_org):
    seed_shop(alice_org)
    report = make_report(alice_org)
    period = period_containing("daily", DAY)
    figures = analytics.figures(db.session, report, period, "Europe/Berlin")
    by_category = {r["label"]: r["values"] for r in figures["tables"]["product_category"]["rows"]}
    assert by_category["shoes"]["revenue"] == 100.5 and by_category["shoes"]["orders"] == 2
    assert by_category["socks"]["revenue"] == 25 and by_category["socks"]["orders"] == 2
    dates = figures["tables"]["date"]["rows"]
    assert [r["label"] for r in dates] == [DAY.isoformat()]
    assert dates[0]["values"]["orders"] == figures["totals"]["orders"]
    by_channel = {r["label"]: r["values"] for r in figures["tables"]["channel"]["rows"]}
    assert by_channel["google_ads"]["spend"] == 30
    assert by_channel["email"]["leads"] == 2
    assert "spend" not in figures["tables"]["product_category"]["metrics"]


def test_it_compares_with_the_previous_period(app, alice_org):
    seed_shop(alice_org)
    report = make_report(alice_org, metrics=["revenue", "spend"], dimensions=[])
    figures = analytics.figures(
        db.session, report, period_containing("daily", DAY), "Europe/Berlin"
    )
    assert figures["previous_totals"] == {"revenue": 100.0, "spend": 10.0}
    assert figures["change"] == {"revenue": 25.5, "spend": 200.0}


def test_a_channel_filter_keeps_only_that_channels_records(app, alice_org):
    seed_shop(alice_org)
    report = make_report(alice_org, filters={"channel": "email"}, dimensions=[])
    figures = analytics.figures(
        db.session, report, period_containing("daily", DAY), "Europe/Berlin"
    )
    assert figures["totals"]["orders"] == 2  # lead 1's two orders came through the email campaign
    assert figures["totals"]["spend"] == 0


def test_churn_counts_last_periods_customers_who_did_not_order_again(app, alice_org):
    seed_shop(alice_org)
    report = make_report(alice_org, metrics=["churn_rate"], dimensions=[])
    figures = analytics.figures(
        db.session, report, period_containing("daily", DAY), "Europe/Berlin"
    )
    # the day before, lead 4 ordered; on the day lead 4 ordered again: nobody churned
    assert figures["totals"]["churn_rate"] == 0.0
    after = period_containing("daily", DAY).previous().previous()
    assert analytics.figures(db.session, report, after, "Europe/Berlin")["totals"] == {
        "churn_rate": None
    }


def test_another_workspaces_records_are_not_counted(app, alice_org, charlie):
    from tests.conftest import org_of

    seed_shop(alice_org)
    report = make_report(org_of(charlie))
    figures = analytics.figures(
        db.session, report, period_containing("daily", DAY), "Europe/Berlin"
    )
    assert figures["totals"]["orders"] == 0 and figures["totals"]["revenue"] == 0
