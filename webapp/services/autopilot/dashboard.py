"""The dashboard's numbers: this week's leads, spend, revenue and ROI against last week,
the autopilot's state, and the latest recommendation.

Weeks run Monday to Sunday in the workspace's time zone. "This week" is the week so far,
compared with the same span of last week (Monday up to the same moment), so a Tuesday is
never measured against a whole week.

The results part (8 weeks of leads, spend and revenue) is kept in memory per workspace
while its results stamp (`metrics.results_stamp`, bumped by the database on every change)
and the minute stay the same: a new lead or upload shows at once, and last week's
comparison span moves on once a minute.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from webapp.core.db import read
from webapp.models import AutopilotConfig, Organization, WeeklyReport
from webapp.services import metrics

CENT = Decimal("0.01")


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
    """`metrics.roi` to two decimals, as the dashboard shows it; None when nothing was spent."""
    value = metrics.roi(revenue, spend)
    return None if value is None else value.quantize(CENT, rounding=ROUND_HALF_UP)


Totals = tuple[int, Decimal, Decimal]  # leads, spend, revenue


def dashboard(session: Session, org: Organization, now: datetime) -> tuple[DashboardSummary, Trend]:
    """The dashboard's figures and charts for `org` at `now`, the results read once per
    results stamp and minute (see the module's docstring)."""
    memo = current_app.extensions.setdefault("dashboard_results", _ResultsMemo())
    trend, previous = memo.get(session, org, now)
    return dashboard_summary(session, org, now, trend, previous), trend


def dashboard_summary(
    session: Session,
    org: Organization,
    now: datetime,
    trend: Trend | None = None,
    previous: Totals | None = None,
) -> DashboardSummary:
    """The dashboard's figures for `org` at `now`. `trend`: the charts of the same moment,
    whose last week is this week so far (read once for both); `previous`: last week's
    totals up to the same moment."""
    zone = ZoneInfo(org.timezone or "UTC")
    local_now = now.astimezone(zone)
    today = local_now.date()
    monday = today - timedelta(days=today.weekday())

    if trend is not None and trend.weeks[-1] == monday:
        leads_now, spend_now, revenue_now = trend.leads[-1], trend.spend[-1], trend.revenue[-1]
    else:
        leads_now, spend_now, revenue_now = _results(session, org, monday, today, now)
    leads_before, spend_before, revenue_before = previous or _previous_week(session, org, now)
    roi_now, roi_before = roi(revenue_now, spend_now), roi(revenue_before, spend_before)

    status, activated_at, optimized_at, week, recommendations = read(
        session, _state_query(), {"org_id": org.id}
    ).one()
    return DashboardSummary(
        week_start=monday,
        today=today,
        leads=Figure(leads_now, leads_before, change(leads_now, leads_before)),
        spend=Figure(spend_now, spend_before, change(spend_now, spend_before)),
        revenue=Figure(revenue_now, revenue_before, change(revenue_now, revenue_before)),
        roi=Figure(roi_now, roi_before, change(roi_now, roi_before)),
        autopilot_status=status,
        activated_at=activated_at,
        last_optimized_at=optimized_at,
        recommendation=_first_recommendation(recommendations),
        recommendation_week=week,
    )


@lru_cache(maxsize=1)
def _state_query():
    """The autopilot's state and the latest weekly report's week and advice, in one
    statement built once (no autopilot or no report: None)."""
    org_id = bindparam("org_id")
    config = select(AutopilotConfig).where(AutopilotConfig.org_id == org_id).subquery()
    latest = (
        select(WeeklyReport.week_start, WeeklyReport.recommendations)
        .where(WeeklyReport.org_id == org_id)
        .order_by(WeeklyReport.week_start.desc(), WeeklyReport.id.desc())
        .limit(1)
        .subquery()
    )
    return select(
        select(config.c.status).scalar_subquery(),
        select(config.c.activated_at).scalar_subquery(),
        select(config.c.last_optimized_at).scalar_subquery(),
        select(latest.c.week_start).scalar_subquery(),
        select(latest.c.recommendations).scalar_subquery(),
    )


def _previous_week(session: Session, org: Organization, now: datetime) -> Totals:
    """Last week's totals from its Monday up to the same moment as `now`."""
    today = now.astimezone(ZoneInfo(org.timezone or "UTC")).date()
    monday = today - timedelta(days=today.weekday())
    week = timedelta(days=7)
    return _results(session, org, monday - week, today - week, now - week)


def _results(
    session: Session, org: Organization, first: date, last: date, until: datetime
) -> Totals:
    """Leads, spend and revenue of the days first..last (leads up to `until`), by the one
    definition of `webapp.services.metrics`."""
    total = metrics.totals(metrics.period(session, org, first, last, until=until))
    return total.leads, total.spend.quantize(CENT), total.revenue.quantize(CENT)


def _first_recommendation(recommendations: list | None) -> str | None:
    if not recommendations:
        return None
    first = recommendations[0]
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
    # One read of the whole span, split into weeks: a row is one campaign (or channel) and
    # day, so each week's sums are those of its own days.
    rows = metrics.period(session, org, mondays[0], today, until=now)
    by_week: dict[date, list[metrics.DayRow]] = {monday: [] for monday in mondays}
    for row in rows:
        by_week[row.day - timedelta(days=row.day.weekday())].append(row)
    leads, spend, revenue = [], [], []
    channels: dict[str, list[Decimal]] = {}
    for i, monday in enumerate(mondays):
        week = by_week[monday]
        total = metrics.totals(week)
        leads.append(total.leads)
        spend.append(total.spend.quantize(CENT))
        revenue.append(total.revenue.quantize(CENT))
        for channel, result in metrics.by_channel(week).items():
            if result.spend:
                channels.setdefault(channel, [Decimal("0.00")] * weeks)[i] = result.spend
    return Trend(mondays, leads, spend, revenue, dict(sorted(channels.items())))


class _ResultsMemo:
    """Each workspace's (trend, last week's totals), kept while its results stamp and the
    minute last; bounded, least recently used first out. One per app (so per worker),
    shared by its threads."""

    SIZE = 512  # workspaces a worker keeps (a few KB each)

    def __init__(self) -> None:
        self._kept: OrderedDict[tuple, tuple[Trend, Totals]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, session: Session, org: Organization, now: datetime) -> tuple[Trend, Totals]:
        # The stamp is read first, so what is computed after it is never older than it.
        stamp = metrics.results_stamp(session, org.id)
        key = (org.id, org.created_at, org.timezone, stamp, int(now.timestamp()) // 60)
        with self._lock:
            kept = self._kept.get(key)
            if kept is not None:
                self._kept.move_to_end(key)
                return kept
        kept = (dashboard_trend(session, org, now), _previous_week(session, org, now))
        with self._lock:
            self._kept[key] = kept
            while len(self._kept) > self.SIZE:
                self._kept.popitem(last=False)
        return kept
