"""The dashboard's numbers: this week's leads, spend, revenue and ROI against last week,
the autopilot's state, and the latest recommendation.

Weeks run Monday to Sunday in the workspace's time zone. "This week" is the week so far,
compared with the same span of last week (Monday up to the same moment), so a Tuesday is
never measured against a whole week.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from webapp.models import (
    AutopilotConfig,
    Campaign,
    CampaignMetric,
    Lead,
    Organization,
    WeeklyReport,
)


@dataclass(frozen=True)
class Change:
    """Week-over-week change: direction up | down | flat | new (last week was zero) | none
    (nothing to compare), and the percentage when there is one."""

    direction: str
    percent: Decimal | None = None


@dataclass(frozen=True)
class Figure:
    value: Decimal | int | None  # None: not defined (ROI with no spend)
    previous: Decimal | int | None
    change: Change


@dataclass(frozen=True)
class DashboardSummary:
    week_start: date  # Monday, in the workspace's zone
    today: date
    leads: Figure
    spend: Figure
    revenue: Figure
    roi: Figure  # revenue ÷ spend; value None when nothing was spent this week
    autopilot_status: str | None  # None: no autopilot yet; draft | active | paused
    activated_at: datetime | None
    last_optimized_at: datetime | None
    recommendation: str | None
    recommendation_week: date | None


def change(current: Decimal | int | None, previous: Decimal | int | None) -> Change:
    """How `current` compares with `previous`, rounded to a whole percent."""
    if current is None:
        return Change("none")
    if previous is None or previous == 0:
        return Change("new") if current else Change("none")
    pct = ((Decimal(current) - Decimal(previous)) * 100 / abs(Decimal(previous))).quantize(
        Decimal("1"), rounding=ROUND_HALF_UP
    )
    if pct > 0:
        return Change("up", pct)
    if pct < 0:
        return Change("down", -pct)
    return Change("flat", Decimal("0"))


def roi(revenue: Decimal, spend: Decimal) -> Decimal | None:
    """Revenue ÷ spend, two decimals; None when nothing was spent (no ROI to speak of)."""
    if not spend:
        return None
    return (revenue / spend).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def dashboard_summary(session: Session, org: Organization, now: datetime) -> DashboardSummary:
    """The dashboard's figures for `org` at `now`."""
    zone = ZoneInfo(org.timezone or "UTC")
    local_now = now.astimezone(zone)
    today = local_now.date()
    monday = today - timedelta(days=today.weekday())
    week_from = datetime.combine(monday, time(0), tzinfo=zone)
    last_from = datetime.combine(monday - timedelta(days=7), time(0), tzinfo=zone)

    leads_now = _count_leads(session, org.id, week_from, now)
    leads_before = _count_leads(session, org.id, last_from, now - timedelta(days=7))
    spend_now, revenue_now = _money(session, org.id, monday, today)
    spend_before, revenue_before = _money(
        session, org.id, monday - timedelta(days=7), today - timedelta(days=7)
    )
    roi_now, roi_before = roi(revenue_now, spend_now), roi(revenue_before, spend_before)

    config = session.scalars(
        select(AutopilotConfig).where(AutopilotConfig.org_id == org.id)
    ).one_or_none()
    report = session.scalars(
        select(WeeklyReport)
        .where(WeeklyReport.org_id == org.id)
        .order_by(WeeklyReport.week_start.desc(), WeeklyReport.id.desc())
        .limit(1)
    ).one_or_none()
    return DashboardSummary(
        week_start=monday,
        today=today,
        leads=Figure(leads_now, leads_before, change(leads_now, leads_before)),
        spend=Figure(spend_now, spend_before, change(spend_now, spend_before)),
        revenue=Figure(revenue_now, revenue_before, change(revenue_now, revenue_before)),
        roi=Figure(roi_now, roi_before, change(roi_now, roi_before)),
        autopilot_status=config.status if config is not None else None,
        activated_at=config.activated_at if config is not None else None,
        last_optimized_at=config.last_optimized_at if config is not None else None,
        recommendation=_first_recommendation(report),
        recommendation_week=report.week_start if report is not None else None,
    )


def _count_leads(session: Session, org_id: int, start: datetime, end: datetime) -> int:
    return (
        session.scalar(
            select(func.count(Lead.id)).where(
                Lead.org_id == org_id, Lead.created_at >= start, Lead.created_at <= end
            )
        )
        or 0
    )


def _money(session: Session, org_id: int, first: date, last: date) -> tuple[Decimal, Decimal]:
    """Spend and revenue of the days first..last (inclusive)."""
    spend, revenue = session.execute(
        select(
            func.coalesce(func.sum(CampaignMetric.spend), 0),
            func.coalesce(func.sum(CampaignMetric.revenue), 0),
        ).where(
            CampaignMetric.org_id == org_id, CampaignMetric.day >= first, CampaignMetric.day <= last
        )
    ).one()
    cents = Decimal("0.01")
    return Decimal(str(spend)).quantize(cents), Decimal(str(revenue)).quantize(cents)


def _first_recommendation(report: WeeklyReport | None) -> str | None:
    if report is None or not report.recommendations:
        return None
    first = report.recommendations[0]
    if isinstance(first, dict):  # tolerate a structured item
        first = first.get("text") or first.get("title") or ""
    return str(first).strip() or None


@dataclass(frozen=True)
class Trend:
    """The dashboard's charts: `weeks` Mondays (oldest first; the last is this week so far),
    each week's leads, spend and revenue by the same definitions as the figures above, and
    its spend split by channel (`channels`: channel → one amount a week)."""

    weeks: list[date]
    leads: list[int]
    spend: list[Decimal]
    revenue: list[Decimal]
    channels: dict[str, list[Decimal]]


def dashboard_trend(session: Session, org: Organization, now: datetime, weeks: int = 8) -> Trend:
    """The last `weeks` weeks of `org` at `now`, for the dashboard's charts."""
    zone = ZoneInfo(org.timezone or "UTC")
    today = now.astimezone(zone).date()
    this_monday = today - timedelta(days=today.weekday())
    mondays = [this_monday - timedelta(days=7 * n) for n in range(weeks - 1, -1, -1)]
    leads, spend, revenue = [], [], []
    channels: dict[str, list[Decimal]] = {}
    for i, monday in enumerate(mondays):
        last = min(monday + timedelta(days=6), today)
        start = datetime.combine(monday, time(0), tzinfo=zone)
        end = (
            now
            if last == today
            else datetime.combine(last + timedelta(days=1), time(0), tzinfo=zone)
            - timedelta(microseconds=1)
        )
        leads.append(_count_leads(session, org.id, start, end))
        week_spend, week_revenue = _money(session, org.id, monday, last)
        spend.append(week_spend)
        revenue.append(week_revenue)
        for channel, amount in _spend_by_channel(session, org.id, monday, last).items():
            channels.setdefault(channel, [Decimal("0.00")] * weeks)[i] = amount
    return Trend(mondays, leads, spend, revenue, dict(sorted(channels.items())))


def _spend_by_channel(session: Session, org_id: int, first: date, last: date) -> dict[str, Decimal]:
    """`_money`'s spend of the days first..last, split by the campaigns' channels."""
    rows = session.execute(
        select(Campaign.channel, func.coalesce(func.sum(CampaignMetric.spend), 0))
        .join(Campaign, Campaign.id == CampaignMetric.campaign_id)
        .where(
            CampaignMetric.org_id == org_id, CampaignMetric.day >= first, CampaignMetric.day <= last
        )
        .group_by(Campaign.channel)
    )
    cents = Decimal("0.01")
    return {channel: Decimal(str(amount)).quantize(cents) for channel, amount in rows if amount}
