"""A small shop's records around one day, for the analytics tests: orders (one just
inside and one just outside the Berlin day), leads, messages and ad results."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from webapp.core.extensions import db
from webapp.models import (
    AnalyticsReport,
    Campaign,
    CampaignMetric,
    Enrollment,
    Event,
    Lead,
    Organization,
    Send,
    SequenceStep,
)

DAY = date(2026, 11, 24)  # a Tuesday; the workspace is in Berlin (UTC+1 in November)
DAY_START = datetime(2026, 11, 23, 23, 0, tzinfo=UTC)
DAY_END = datetime(2026, 11, 24, 23, 0, tzinfo=UTC)
AFTER = datetime(2026, 11, 25, 8, 0, tzinfo=UTC)  # 09:00 in Berlin the day after


def _campaign(org: Organization, name: str, channel: str) -> Campaign:
    row = Campaign(
        org_id=org.id,
        name=name,
        channel=channel,
        kind="sequence",
        status="active",
        monthly_budget=Decimal("0"),
        created_at=DAY_START,
        updated_at=DAY_START,
    )
    db.session.add(row)
    db.session.flush()
    return row


def _lead(org, n: int, at: datetime, source: str, campaign: Campaign | None) -> Lead:
    lead = Lead(
        org_id=org.id,
        full_name=f"Lead {n}",
        email=f"lead{n}@shop.example",
        source=source,
        campaign_id=campaign.id if campaign else None,
        status="new",
        score=0,
        score_reasons=[],
        extra={},
        search_text="",
        created_at=at,
        updated_at=at,
    )
    db.session.add(lead)
    db.session.flush()
    return lead


def _order(org, lead: Lead, at: datetime, value: object, category: str, n: int) -> None:
    db.session.add(
        Event(
            org_id=org.id,
            lead_id=lead.id,
            name="order.placed",
            source="api",
            properties={"value": value, "category": category},
            message_id=f"order-{n}",
            occurred_at=at,
            received_at=at,
        )
    )


def _send(
    org,
    campaign,
    step,
    lead,
    at,
    *,
    channel="email",
    opened=False,
    clicked=False,
    delivered=False,
    test_mode=False,
) -> None:
    enrolment = Enrollment(
        org_id=org.id,
        campaign_id=campaign.id,
        lead_id=lead.id,
        status="active",
        test_mode=test_mode,
        enrolled_at=at,
    )
    db.session.add(enrolment)
    db.session.flush()
    db.session.add(
        Send(
            org_id=org.id,
            campaign_id=campaign.id,
            enrollment_id=enrolment.id,
            step_id=step.id,
            lead_id=lead.id,
            channel=channel,
            to=lead.email or "",
            status="sent",
            due_at=at,
            sent_at=at,
            delivered_at=at if delivered else None,
            first_opened_at=at if opened else None,
            opens=int(opened),
            first_clicked_at=at if clicked else None,
            clicks=int(clicked),
            test_mode=test_mode,
            created_at=at,
        )
    )


def seed_shop(org: Organization) -> dict:
    """The records; returns the campaigns by name."""
    org.timezone = "Europe/Berlin"
    mail = _campaign(org, "Autumn mail", "email")
    search = _campaign(org, "Search ads", "google_ads")
    step = SequenceStep(
        org_id=org.id,
        campaign_id=mail.id,
        position=1,
        channel="email",
        subject="Hi",
        body="Hello",
        created_at=DAY_START,
        updated_at=DAY_START,
    )
    db.session.add(step)
    db.session.flush()
    h = timedelta(hours=1)
    a = _lead(org, 1, DAY_START + 2 * h, "form", mail)
    b = _lead(org, 2, DAY_START + 5 * h, "form", mail)
    c = _lead(org, 3, DAY_START + 9 * h, "api", search)
    d = _lead(org, 4, DAY_START - 3 * h, "api", None)  # the day before
    e = _lead(org, 5, DAY_END - h / 2, "chat", None)  # 23:30 in Berlin: still the day
    _order(org, a, DAY_START + 3 * h, 40, "shoes", 1)
    _order(org, a, DAY_START + 4 * h, "60.50", "shoes", 2)
    _order(org, c, DAY_START + 10 * h, 25, "socks", 3)
    _order(org, d, DAY_END - h / 2, "not a number", "socks", 4)  # counts, adds no revenue
    _order(org, d, DAY_START - 5 * h, 100, "shoes", 5)  # the previous day
    _order(org, b, DAY_END + h / 2, 999, "shoes", 6)  # 00:30 the next day in Berlin
    _send(org, mail, step, a, DAY_START + 6 * h, opened=True, clicked=True, delivered=True)
    _send(org, mail, step, b, DAY_START + 6 * h, opened=True, delivered=True)
    _send(org, mail, step, c, DAY_START + 7 * h)
    _send(org, mail, step, e, DAY_START + 7 * h, channel="sms", delivered=True)
    _send(org, mail, step, a, DAY_START + 7 * h, opened=True, test_mode=True)  # left out
    for day, spend, clicks in ((DAY, "30.00", 12), (DAY - timedelta(days=1), "10.00", 4)):
        db.session.add(
            CampaignMetric(
                org_id=org.id,
                campaign_id=search.id,
                day=day,
                spend=Decimal(spend),
                clicks=clicks,
                impressions=100,
                leads=0,
                conversions=0,
                revenue=Decimal("0"),
                source="api",
                updated_at=DAY_START,
            )
        )
    db.session.flush()
    return {"mail": mail, "search": search}


def make_report(org: Organization, **over) -> AnalyticsReport:
    fields = dict(
        org_id=org.id,
        name="Daily sales",
        report_type="sales",
        schedule="daily",
        metrics=[
            "revenue",
            "orders",
            "average_order_value",
            "customers",
            "leads",
            "conversion_rate",
            "email_open_rate",
            "click_through_rate",
            "spend",
            "roi",
        ],
        dimensions=["date", "product_category", "channel"],
        filters={},
        recipients=["owner@shop.example", "team@shop.example"],
        send_hour=7,
        created_at=DAY_START,
        updated_at=DAY_START,
    )
    fields.update(over)
    report = AnalyticsReport(**fields)
    db.session.add(report)
    db.session.flush()
    return report
