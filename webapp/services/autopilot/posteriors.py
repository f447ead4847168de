"""What the learning optimiser believes about each channel: the return of its next dollar,
with its uncertainty. Pure functions over a campaign's daily results; no database.

- **Recent weeks weigh more** (drift): a day's figures count 0.5 ** (age / HALF_LIFE_DAYS).
- **Conversion lag**: conversions are reported up to a few days after the click, so the
  clicks of the last days count only by the share of their conversions already reported
  (LAG_COMPLETE). A quiet week is not read as "this channel never converts": the rate's
  prior is the workspace's own average, worth about one conversion of evidence.
- **Saturation**: clicks = a · spend^b per day. b (the elasticity, 1 = no saturation) is read
  from how the cost per click moved when the spend moved; without that evidence it is
  PRIOR_ELASTICITY. A channel that does not spend its budget is saturated outright.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import date

HALF_LIFE_DAYS = 21.0
# Share of a day's conversions already reported, by the day's age (1 = yesterday).
LAG_COMPLETE = {1: 0.5, 2: 0.75, 3: 0.9}
PRIOR_ELASTICITY = 0.7  # clicks grow like spend^0.7 until the data says otherwise
ELASTICITY_RANGE = (0.3, 1.0)
UNSPENT_SHARE = 0.8  # spending under 80% of the planned pace means the channel is saturated


@dataclass(frozen=True)
class Day:
    day: date
    spend: float
    clicks: int
    conversions: int
    revenue: float


@dataclass(frozen=True)
class Evidence:
    """One channel's weighted figures and response curve."""

    spend: float  # weighted
    clicks: float  # weighted, lag-adjusted
    conversions: float  # weighted
    revenue: float  # weighted
    raw_clicks: int
    raw_conversions: int
    daily_spend: float  # recent spend per day (the reference point of the curve)
    daily_clicks: float
    elasticity: float
    unspent: bool  # spent well under its planned pace last week

    def clicks_at(self, daily_spend: float, cpc: float) -> float:
        """Expected clicks a day at `daily_spend` on the fitted curve (`cpc` when no data)."""
        if self.daily_spend <= 0 or self.daily_clicks <= 0:
            return daily_spend / cpc
        return self.daily_clicks * (max(daily_spend, 0.0) / self.daily_spend) ** self.elasticity


def weight(age_days: int) -> float:
    return 0.5 ** (age_days / HALF_LIFE_DAYS)


def evidence(days: list[Day], today: date, planned_daily: float | None = None) -> Evidence:
    spend = clicks = conversions = revenue = 0.0
    recent_spend = recent_clicks = recent_w = 0.0
    for d in days:
        age = (today - d.day).days
        if age < 1:
            continue  # today's figures are not complete
        w = weight(age)
        spend += w * d.spend
        clicks += w * d.clicks * LAG_COMPLETE.get(age, 1.0)
        conversions += w * d.conversions
        revenue += w * d.revenue
        if age <= 7:
            recent_spend, recent_clicks, recent_w = (
                recent_spend + d.spend,
                recent_clicks + d.clicks,
                recent_w + 1,
            )
    daily_spend = recent_spend / recent_w if recent_w else 0.0
    unspent = bool(planned_daily and recent_w >= 3 and daily_spend < UNSPENT_SHARE * planned_daily)
    return Evidence(
        spend,
        clicks,
        conversions,
        revenue,
        sum(d.clicks for d in days),
        sum(d.conversions for d in days),
        daily_spend,
        recent_clicks / recent_w if recent_w else 0.0,
        _elasticity(days, today),
        unspent,
    )


def _elasticity(days: list[Day], today: date) -> float:
    """b in clicks = a·spend^b, from a weighted regression of log clicks on log spend over
    weeks, shrunk towards PRIOR_ELASTICITY by a prior worth a spread of one week's spend."""
    weeks: dict[int, list[float]] = {}
    for d in days:
        age = (today - d.day).days
        if age >= 1:
            acc = weeks.setdefault(age // 7, [0.0, 0.0, 0.0])
            acc[0], acc[1], acc[2] = acc[0] + d.spend, acc[1] + d.clicks, acc[2] + 1
    pts = [
        (math.log(s / n), math.log(c / n), weight(7 * k))
        for k, (s, c, n) in weeks.items()
        if s > 0 and c > 0
    ]
    if len(pts) < 2:
        return PRIOR_ELASTICITY
    wsum = sum(w for _x, _y, w in pts)
    mx = sum(w * x for x, _y, w in pts) / wsum
    my = sum(w * y for _x, y, w in pts) / wsum
    sxx = sum(w * (x - mx) ** 2 for x, _y, w in pts)
    sxy = sum(w * (x - mx) * (y - my) for x, y, w in pts)
    prior = 0.05  # a prior "spread" of about ±0.2 in log spend
    b = (sxy + prior * PRIOR_ELASTICITY) / (sxx + prior)
    return min(max(b, ELASTICITY_RANGE[0]), ELASTICITY_RANGE[1])


@dataclass(frozen=True)
class Pooled:
    """The workspace's averages: the priors each channel is shrunk towards."""

    rate: float
    value: float  # per conversion
    cpc: float


def pooled(all_evidence: list[Evidence], lead_value: float | None) -> Pooled:
    clicks = sum(e.clicks for e in all_evidence)
    conv = sum(e.conversions for e in all_evidence)
    spend = sum(e.spend for e in all_evidence)
    revenue = sum(e.revenue for e in all_evidence)
    rate = (conv + 1.0) / (clicks + 50.0)
    if lead_value:
        value = lead_value
    else:
        value = revenue / conv if conv > 0 and revenue > 0 else 1.0
    cpc = spend / clicks if clicks > 0 and spend > 0 else 1.0
    return Pooled(rate, value, cpc)


def sample_value_per_click(
    e: Evidence, p: Pooled, rng: random.Random, lead_value: float | None, counts_revenue: bool
) -> float:
    """One posterior draw of (conversion rate × value of a conversion)."""
    a0, b0 = 1.0, max(1.0, 1.0 / p.rate - 1.0)  # mean = the workspace's rate, ~1 conversion
    conv = min(e.conversions, e.clicks)
    rate = rng.betavariate(a0 + conv, b0 + max(e.clicks - conv, 0.0))
    if lead_value or not counts_revenue:
        return rate * p.value
    # Value per conversion: gamma posterior around the channel's own average, shrunk to the pool.
    shape = 2.0 + conv
    mean = (e.revenue + 2.0 * p.value) / shape
    return rate * rng.gammavariate(shape, mean / shape)
