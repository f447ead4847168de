"""The set-based queries behind the metrics: one GROUP BY statement per kind of record
(orders, leads, sends, ad results), scoped to the workspace, over the period's UTC edges,
optionally split by one dimension. Each returns {group label: {base figure: number}}."""

from __future__ import annotations

from sqlalchemy import Numeric, and_, case, cast, exists, func, literal, select
from sqlalchemy.orm import Session, aliased

from webapp.models import Campaign, CampaignMetric, Event, Lead, Send
from webapp.services.analytics.catalogue import ORDER_EVENT, VALUE_KEYS
from webapp.services.analytics.periods import Period, local_edge, utc_bounds
from webapp.services.segments import json_text, looks_numeric

TOTAL = "total"
NO_CAMPAIGN = "(no campaign)"


def _order_value():
    """The order's amount: the first of VALUE_KEYS holding a plain number, else 0."""
    values = []
    for key in VALUE_KEYS:
        text = json_text(Event.properties, literal(key))
        values.append(case((looks_numeric(text), cast(text, Numeric(14, 2))), else_=None))
    return func.coalesce(*values, 0)


def _day_of(column, period: Period, tz: str):
    """The local day (ISO text) of a UTC timestamp: a CASE over the period's day edges, the
    same on SQLite and PostgreSQL and right across daylight-saving changes."""
    days = period.days()
    whens = [
        (column < local_edge(day, tz), literal(prev.isoformat()))
        for prev, day in zip(days, days[1:], strict=False)
    ]
    last = literal(days[-1].isoformat())
    return case(*whens, else_=last) if whens else last


def _split(dimension: str | None, *, at, campaign, lead, period: Period, tz: str, channel=None):
    if dimension is None:
        return literal(TOTAL)
    if dimension == "date":
        return _day_of(at, period, tz)
    if dimension == "channel":
        return func.coalesce(channel if channel is not None else campaign.channel, NO_CAMPAIGN)
    if dimension == "campaign":
        return func.coalesce(campaign.name, NO_CAMPAIGN)
    if dimension == "source":
        return func.coalesce(lead.source, "(unknown)")
    if dimension == "product_category":
        return func.coalesce(json_text(Event.properties, literal("category")), "(none)")
    raise ValueError(f"unknown dimension {dimension}")


def _rows(session: Session, stmt, names: tuple[str, ...]) -> dict[str, dict[str, float]]:
    out: dict[str, dict[str, float]] = {}
    for label, *values in session.execute(stmt):
        out[str(label)] = {n: float(v or 0) for n, v in zip(names, values, strict=True)}
    return out


def orders(session, org_id, period, tz, dimension=None, channel=None):
    """orders, revenue, customers (distinct contacts) of order.placed events."""
    start, end = utc_bounds(period, tz)
    campaign = aliased(Campaign)
    group = _split(
        dimension, at=Event.occurred_at, campaign=campaign, lead=Lead, period=period, tz=tz
    )
    stmt = (
        select(
            group,
            func.count(Event.id),
            func.sum(_order_value()),
            func.count(func.distinct(Event.lead_id)),
        )
        .join(Lead, Lead.id == Event.lead_id)
        .outerjoin(campaign, campaign.id == Lead.campaign_id)
        .where(
            Event.org_id == org_id,
            Event.name == ORDER_EVENT,
            Event.occurred_at >= start,
            Event.occurred_at < end,
        )
        .group_by(group)
    )
    if channel:
        stmt = stmt.where(campaign.channel == channel)
    return _rows(session, stmt, ("orders", "revenue", "customers"))


def leads(session, org_id, period, tz, dimension=None, channel=None):
    """leads captured, and those of them who ordered in the period (converted)."""
    start, end = utc_bounds(period, tz)
    campaign = aliased(Campaign)
    ordered = exists().where(
        Event.org_id == org_id,
        Event.lead_id == Lead.id,
        Event.name == ORDER_EVENT,
        Event.occurred_at >= start,
        Event.occurred_at < end,
    )
    group = _split(
        dimension, at=Lead.created_at, campaign=campaign, lead=Lead, period=period, tz=tz
    )
    if dimension == "product_category":
        return {}
    stmt = (
        select(group, func.count(Lead.id), func.sum(case((ordered, 1), else_=0)))
        .select_from(Lead)
        .outerjoin(campaign, campaign.id == Lead.campaign_id)
        .where(Lead.org_id == org_id, Lead.created_at >= start, Lead.created_at < end)
        .group_by(group)
    )
    if channel:
        stmt = stmt.where(campaign.channel == channel)
    return _rows(session, stmt, ("leads", "converted"))


def sends(session, org_id, period, tz, dimension=None, channel=None):
    """messages sent, delivered, emails sent and opened, messages clicked."""
    if dimension == "product_category":
        return {}
    start, end = utc_bounds(period, tz)
    campaign = aliased(Campaign)
    lead = aliased(Lead)
    is_email = Send.channel == "email"
    group = _split(
        dimension,
        at=Send.sent_at,
        campaign=campaign,
        lead=lead,
        period=period,
        tz=tz,
        channel=Send.channel,
    )
    stmt = (
        select(
            group,
            func.count(Send.id),
            func.count(Send.delivered_at),
            func.sum(case((is_email, 1), else_=0)),
            func.sum(case((and_(is_email, Send.first_opened_at.is_not(None)), 1), else_=0)),
            func.count(Send.first_clicked_at),
        )
        .select_from(Send)
        .outerjoin(campaign, campaign.id == Send.campaign_id)
        .outerjoin(lead, lead.id == Send.lead_id)
        .where(
            Send.org_id == org_id,
            Send.test_mode.is_(False),
            Send.sent_at >= start,
            Send.sent_at < end,
        )
        .group_by(group)
    )
    if channel:
        stmt = stmt.where(Send.channel == channel)
    return _rows(session, stmt, ("sent", "delivered", "emails", "opened", "clicked"))


def ads(session, org_id, period, tz, dimension=None, channel=None):
    """ad spend and clicks of the period's days (ad results are kept per local day)."""
    if dimension in ("product_category", "source"):
        return {}
    if dimension == "date":
        group = CampaignMetric.day
    else:
        group = _split(dimension, at=None, campaign=Campaign, lead=None, period=period, tz=tz)
    stmt = (
        select(group, func.sum(CampaignMetric.spend), func.sum(CampaignMetric.clicks))
        .join(Campaign, Campaign.id == CampaignMetric.campaign_id)
        .where(
            CampaignMetric.org_id == org_id,
            CampaignMetric.day >= period.start,
            CampaignMetric.day <= period.end,
        )
        .group_by(group)
    )
    if channel:
        stmt = stmt.where(Campaign.channel == channel)
    rows = _rows(session, stmt, ("spend", "ad_clicks"))
    if dimension == "date":  # a date column: the same ISO labels as the other sources
        rows = {str(label)[:10]: values for label, values in rows.items()}
    return rows


def churned(session, org_id, period: Period, tz: str, channel=None) -> dict[str, float]:
    """Customers of the previous period, and how many of them placed no order this one."""
    before_start, before_end = utc_bounds(period.previous(), tz)
    start, end = utc_bounds(period, tz)
    campaign = aliased(Campaign)
    earlier = (
        select(Event.lead_id)
        .join(Lead, Lead.id == Event.lead_id)
        .outerjoin(campaign, campaign.id == Lead.campaign_id)
        .where(
            Event.org_id == org_id,
            Event.name == ORDER_EVENT,
            Event.occurred_at >= before_start,
            Event.occurred_at < before_end,
        )
    )
    if channel:
        earlier = earlier.where(campaign.channel == channel)
    earlier = earlier.distinct().subquery()
    again = exists().where(
        Event.org_id == org_id,
        Event.lead_id == earlier.c.lead_id,
        Event.name == ORDER_EVENT,
        Event.occurred_at >= start,
        Event.occurred_at < end,
    )
    total, lost = session.execute(
        select(func.count(), func.sum(case((again, 0), else_=1))).select_from(earlier)
    ).one()
    return {"previous_customers": float(total or 0), "lost": float(lost or 0)}
