"""What a report can show: its metrics (each with how it is computed), its dimensions, and
the templates an owner starts from (the seed's three examples)."""

from __future__ import annotations

from dataclasses import dataclass

ORDER_EVENT = "order.placed"
VALUE_KEYS = ("value", "revenue")  # the order event's amount, the first one present


@dataclass(frozen=True)
class Metric:
    key: str
    label: str
    unit: str  # money | count | percent | ratio
    how: str  # shown under the figure and as its tooltip


METRICS = {
    m.key: m
    for m in (
        Metric(
            "revenue",
            "Revenue",
            "money",
            'Sum of the "value" (or "revenue") property of “order placed” events in the period.',
        ),
        Metric("orders", "Orders", "count", "Number of “order placed” events in the period."),
        Metric(
            "average_order_value",
            "Average order value",
            "money",
            "Revenue ÷ orders in the period.",
        ),
        Metric(
            "customers",
            "Customers",
            "count",
            "Contacts who placed at least one order in the period.",
        ),
        Metric("leads", "Leads", "count", "Contacts captured in the period (by their source)."),
        Metric(
            "conversion_rate",
            "Conversion rate",
            "percent",
            "New leads of the period who placed an order in the period ÷ new leads.",
        ),
        Metric(
            "messages_sent",
            "Messages sent",
            "count",
            "Sequence, broadcast and workflow messages sent in the period (test sends left out).",
        ),
        Metric(
            "delivery_rate",
            "Delivery rate",
            "percent",
            "Messages sent in the period that the provider reported delivered ÷ messages sent.",
        ),
        Metric(
            "email_open_rate",
            "Email open rate",
            "percent",
            "Emails sent in the period opened at least once ÷ emails sent in the period.",
        ),
        Metric(
            "click_through_rate",
            "Click-through rate",
            "percent",
            "Messages sent in the period with at least one tracked click ÷ messages sent.",
        ),
        Metric("spend", "Ad spend", "money", "Sum of the ad results' spend for the period's days."),
        Metric(
            "ad_clicks",
            "Ad clicks",
            "count",
            "Sum of the ad results' clicks for the period's days.",
        ),
        Metric(
            "roi",
            "ROI",
            "ratio",
            "(Revenue − ad spend) ÷ ad spend; empty when nothing was spent.",
        ),
        Metric(
            "churn_rate",
            "Churn rate",
            "percent",
            "Customers of the previous period who placed no order this period ÷ customers "
            "of the previous period (from “order placed” events; whole report only).",
        ),
    )
}


@dataclass(frozen=True)
class Dimension:
    key: str
    label: str
    how: str


DIMENSIONS = {
    d.key: d
    for d in (
        Dimension("date", "Date", "Each day of the period, in the workspace's time zone."),
        Dimension("channel", "Channel", "The channel of the campaign the contact came from."),
        Dimension("campaign", "Campaign", "The campaign the contact came from."),
        Dimension("source", "Lead source", "Where the contact was captured (form, API, chat …)."),
        Dimension(
            "product_category",
            "Product category",
            'The "category" property of “order placed” events (orders and revenue only).',
        ),
    )
}

# Which metrics a dimension can split (the others are shown for the whole report only).
SPLITTABLE = {
    "date": {
        "revenue",
        "orders",
        "average_order_value",
        "customers",
        "leads",
        "conversion_rate",
        "messages_sent",
        "delivery_rate",
        "email_open_rate",
        "click_through_rate",
        "spend",
        "ad_clicks",
        "roi",
    },
    "product_category": {"revenue", "orders", "average_order_value", "customers"},
}
for _dim in ("channel", "campaign", "source"):
    SPLITTABLE[_dim] = SPLITTABLE["date"] - (
        {"spend", "ad_clicks", "roi"} if _dim == "source" else set()
    )

MAX_DIMENSIONS = 3
MAX_RECIPIENTS = 20

TEMPLATES = {
    "daily_sales": {
        "name": "Daily Sales Summary",
        "report_type": "sales",
        "schedule": "daily",
        "metrics": ["revenue", "orders", "average_order_value", "conversion_rate"],
        "dimensions": ["date", "product_category"],
        "about": "Yesterday's revenue, orders, order value and conversion, by product category.",
    },
    "weekly_marketing": {
        "name": "Weekly Marketing Performance",
        "report_type": "engagement",
        "schedule": "weekly",
        "metrics": ["email_open_rate", "click_through_rate", "messages_sent", "leads"],
        "dimensions": ["channel", "campaign"],
        "about": "Last week's opens, clicks, messages and leads, by channel and campaign.",
    },
    "monthly_review": {
        "name": "Monthly Business Review",
        "report_type": "sales",
        "schedule": "monthly",
        "metrics": ["revenue", "customers", "churn_rate", "roi"],
        "dimensions": ["date", "source"],
        "about": "Last month's revenue, customers, churn and return on ad spend.",
    },
}
