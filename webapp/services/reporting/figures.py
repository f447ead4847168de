"""A workspace's week in numbers: the week's bounds, its figures per channel and day, and
the facts a weekly report states about them (money as strings, ready for JSON).

A week runs Monday to Sunday in the workspace's timezone. Leads, spend, conversions and
revenue are those of `webapp.services.metrics` (the one definition every page uses). ROI
is revenue ÷ spend, and None when nothing was spent.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from webapp.models import Organization
from webapp.services import metrics

CENT = Decimal("0.01")
OTHER = metrics.OTHER  # leads linked to no campaign and from no channel
roi = metrics.roi  # revenue ÷ spend to 4 places; None when nothing was spent
CHANNEL_LABELS = {
    "email": "Email",
    "sms": "SMS",
    "whatsapp": "WhatsApp",
    "google_ads": "Google Ads",
    "meta_ads": "Meta ads",
    "seo": "SEO",
    "content": "Content",
    "referral": "Referral",
    "events": "Events",
    OTHER: "Not linked to a campaign",
}


def channel_label(channel: str) -> str:
    return CHANNEL_LABELS.get(channel) or channel.replace("_", " ").capitalize()


# --- weeks --------------------------------------------------------------------------------


def last_complete_week(org: Organization, now: datetime) -> date:
    """The Monday of the last full Monday–Sunday week before `now`, in the workspace's zone."""
    today = now.astimezone(ZoneInfo(org.timezone)).date()
    return today - timedelta(days=today.weekday() + 7)


def week_bounds(week_start: date, timezone: str) -> tuple[datetime, datetime]:
    """[start, end) of the week in UTC: local midnight Monday to local midnight next Monday."""
    zone = ZoneInfo(timezone)
    start = datetime.combine(week_start, time(0), tzinfo=zone).astimezone(UTC)
    end = datetime.combine(week_start + timedelta(days=7), time(0), tzinfo=zone).astimezone(UTC)
    return start, end


# --- the numbers --------------------------------------------------------------------------


@dataclass
class ChannelWeek:
    leads: int = 0
    spend: Decimal = Decimal("0")
    revenue: Decimal = Decimal("0")
    clicks: int = 0
    conversions: int = 0


@dataclass
class WeekFigures:
    """One week of a workspace: totals, per channel, and per channel per day (7 days)."""

    week_start: date
    leads: int
    spend: Decimal
    revenue: Decimal
    channels: dict[str, ChannelWeek]
    daily_leads: dict[str, list[int]]
    daily_spend: dict[str, list[Decimal]]

    @property
    def roi(self) -> Decimal | None:
        return roi(self.revenue, self.spend)


def cost_per_lead(spend: Decimal, leads: int) -> Decimal | None:
    if leads <= 0 or spend <= 0:
        return None
    return (spend / leads).quantize(CENT)


def week_figures(session: Session, org: Organization, week_start: date) -> WeekFigures:
    """Leads, spend and revenue of the week starting on Monday `week_start`, by the one
    definition of `webapp.services.metrics`."""
    channels: dict[str, ChannelWeek] = defaultdict(ChannelWeek)
    daily_leads: dict[str, list[int]] = defaultdict(lambda: [0] * 7)
    daily_spend: dict[str, list[Decimal]] = defaultdict(lambda: [Decimal("0")] * 7)
    for row in metrics.period(session, org, week_start, week_start + timedelta(days=6)):
        day, r = (row.day - week_start).days, row.result
        c = channels[row.channel]
        c.leads += r.leads
        c.spend += r.spend
        c.revenue += r.revenue
        c.clicks += r.clicks
        c.conversions += r.conversions
        if r.leads:
            daily_leads[row.channel][day] += r.leads
        if row.campaign_id is not None:
            daily_spend[row.channel][day] += r.spend
    return WeekFigures(
        week_start=week_start,
        leads=sum(c.leads for c in channels.values()),
        spend=sum((c.spend for c in channels.values()), Decimal("0")),
        revenue=sum((c.revenue for c in channels.values()), Decimal("0")),
        channels=dict(channels),
        daily_leads=dict(daily_leads),
        daily_spend=dict(daily_spend),
    )


def _cents(value: object) -> Decimal:
    return Decimal(str(value or 0)).quantize(CENT)


def _money(value: Decimal | None) -> str | None:
    return None if value is None else str(value.quantize(CENT))


def change(current: Decimal | int | None, previous: Decimal | int | None) -> dict:
    """Week-over-week change: direction up | down | flat | new (previous was zero) | none
    (no current value, e.g. ROI without spend) and the percentage when it has one."""
    if current is None:
        return {"direction": "none", "pct": None}
    if previous is None or previous == 0:
        return (
            {"direction": "flat", "pct": 0.0} if current == 0 else {"direction": "new", "pct": None}
        )
    pct = round(float((Decimal(current) - Decimal(previous)) / Decimal(previous) * 100), 1)
    return {"direction": "up" if pct > 0 else "down" if pct < 0 else "flat", "pct": pct}


def top_channel(channels: dict[str, ChannelWeek]) -> str | None:
    """The campaign channel with the most revenue, then the most leads, then by name.

    None when no channel brought revenue or a lead.
    """
    ranked = sorted(
        (key for key, c in channels.items() if key != OTHER and (c.revenue > 0 or c.leads > 0)),
        key=lambda key: (-channels[key].revenue, -channels[key].leads, key),
    )
    return ranked[0] if ranked else None


def _totals(figures: WeekFigures) -> dict:
    return {
        "leads": figures.leads,
        "spend": _money(figures.spend),
        "revenue": _money(figures.revenue),
        "roi": None if figures.roi is None else str(figures.roi),
        "cost_per_lead": _money(cost_per_lead(figures.spend, figures.leads)),
    }


def _channel_rows(figures: WeekFigures, top: str | None) -> list[dict]:
    order = sorted(
        (k for k in figures.channels if k != OTHER),
        key=lambda k: (
            k != top,
            -figures.channels[k].revenue,
            -figures.channels[k].leads,
            -figures.channels[k].spend,
            k,
        ),
    )
    rows = []
    for key in order:
        c = figures.channels[key]
        channel_roi = roi(c.revenue, c.spend)
        rows.append(
            {
                "channel": key,
                "label": channel_label(key),
                "leads": c.leads,
                "spend": _money(c.spend),
                "revenue": _money(c.revenue),
                "clicks": c.clicks,
                "conversions": c.conversions,
                "cost_per_lead": _money(cost_per_lead(c.spend, c.leads)),
                "roi": None if channel_roi is None else str(channel_roi),
            }
        )
    return rows


def gather_facts(
    session: Session, org: Organization, week_start: date | None, now: datetime
) -> dict:
    """Everything the report states about one week, as JSON-ready data (money as strings).

    `week_start` None means the last complete week. Only reads.
    """
    week_start = week_start or last_complete_week(org, now)
    if week_start.weekday() != 0:
        raise ValueError(f"a report week starts on a Monday, not {week_start:%A}")
    current = week_figures(session, org, week_start)
    previous = week_figures(session, org, week_start - timedelta(days=7))
    top = top_channel(current.channels)
    channels = _channel_rows(current, top)
    keys = [row["channel"] for row in channels]
    lead_keys = keys + ([OTHER] if OTHER in current.daily_leads else [])
    days = [week_start + timedelta(days=i) for i in range(7)]
    per_day = [sum(series[i] for series in current.daily_leads.values()) for i in range(7)]
    best = max(range(7), key=lambda i: (per_day[i], -i))
    return {
        "week_start": week_start.isoformat(),
        "week_end": (week_start + timedelta(days=6)).isoformat(),
        "timezone": org.timezone,
        "totals": _totals(current),
        "previous": _totals(previous),
        "changes": {
            "leads": change(current.leads, previous.leads),
            "spend": change(current.spend, previous.spend),
            "revenue": change(current.revenue, previous.revenue),
            "roi": change(current.roi, previous.roi),
        },
        "channels": channels,
        "unattributed_leads": current.channels[OTHER].leads if OTHER in current.channels else 0,
        "top_channel": top,
        "best_day": {"day": days[best].isoformat(), "leads": per_day[best]}
        if per_day[best]
        else None,
        "days": [d.isoformat() for d in days],
        "series": {
            "leads": {key: current.daily_leads.get(key, [0] * 7) for key in lead_keys},
            "spend": {
                key: [_money(v) for v in current.daily_spend.get(key, [Decimal("0")] * 7)]
                for key in keys
            },
        },
    }
