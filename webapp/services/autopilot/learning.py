"""The learning optimiser's weekly re-split of a workspace's monthly budget. Pure: no database.

Each week the money not yet spent this month is split again across the channels:

1. For DRAWS posterior draws (posteriors.py: return per click, saturation curve) the day's
   money is handed out in small steps, each to the channel whose next dollar returns most
   in that draw; the split is the average over draws (Thompson sampling, averaged so the
   plan does not jump on a single lucky draw). The draws come from a seed derived from the
   workspace and the week, so a rerun and the dry run give the same plan.
2. Every channel keeps an exploration floor: FLOOR_SHARE of the money left (so a channel
   that had a bad week is still measured).
3. Weekly cap: a channel's money for the rest of the month moves at most MAX_CHANGE (50 %)
   of what it had, or CAP_MIN_SHARE (5 %) of the monthly budget, whichever is larger.
4. A channel that did not spend its pace gets no more than it spends.

A channel's new monthly budget = what it spent this month + its share of the money left, so
the budgets add up to the monthly budget exactly, and no budget is below what was spent.
"""

from __future__ import annotations

import hashlib
import math
import random
import statistics
from dataclasses import dataclass

from webapp.services.autopilot.posteriors import (
    Day,
    Evidence,
    evidence,
    pooled,
    sample_value_per_click,
)

DRAWS = 24
STEPS = 100
FLOOR_SHARE = 0.03
MAX_CHANGE = 0.5
CAP_MIN_SHARE = 0.05


@dataclass(frozen=True)
class ChannelIn:
    key: int
    channel: str
    budget: float  # this month's budget now
    spent_month: float
    days: list[Day]


@dataclass(frozen=True)
class Estimate:
    """The return of the next dollar, per dollar (or conversions per dollar without values)."""

    mean: float
    low: float  # 10th percentile of the draws
    high: float  # 90th percentile
    evidence: Evidence
    capped: bool = False
    unspent: bool = False


@dataclass(frozen=True)
class Split:
    budgets: dict[int, float]  # new monthly budget per channel key
    estimates: dict[int, Estimate]
    left: float  # money left this month when planning
    counts_revenue: bool


def seed_for(org_id: int, week: str) -> int:
    """Deterministic per workspace and week: reruns and the dry run agree."""
    return int.from_bytes(hashlib.sha256(f"{org_id}:{week}".encode()).digest()[:8], "big")


def resplit(
    channels: list[ChannelIn],
    *,
    monthly_budget: float,
    days_left: int,
    today,
    seed: int,
    lead_value: float | None = None,
) -> Split:
    spent = sum(c.spent_month for c in channels)
    left = max(monthly_budget - spent, 0.0)
    days_left = max(days_left, 1)
    current = {c.key: max(c.budget - c.spent_month, 0.0) for c in channels}
    ev = {
        c.key: evidence(c.days, today, planned_daily=current[c.key] / days_left or None)
        for c in channels
    }
    counts_revenue = bool(lead_value) or any(e.revenue > 0 for e in ev.values())
    pool = pooled(list(ev.values()), lead_value)
    rng = random.Random(seed)
    draws: dict[int, list[float]] = {c.key: [] for c in channels}
    margins: dict[int, list[float]] = {c.key: [] for c in channels}
    daily = left / days_left
    for _ in range(DRAWS):
        vpc = {
            k: sample_value_per_click(e, pool, rng, lead_value, counts_revenue)
            for k, e in ev.items()
        }
        alloc = _greedy(ev, vpc, daily, pool.cpc)
        for k in ev:
            draws[k].append(alloc[k])
            margins[k].append(vpc[k] * _marginal_clicks(ev[k], max(alloc[k], 0.01), pool.cpc))
    target = {k: statistics.fmean(v) * days_left for k, v in draws.items()}
    new, capped = _bounded(target, current, left, monthly_budget, ev, days_left)
    estimates = {k: _estimate(margins[k], ev[k], k in capped) for k in ev}
    # Cents rounded down: the budgets never add up to more than the monthly budget.
    budgets = {c.key: math.floor((c.spent_month + new[c.key]) * 100) / 100 for c in channels}
    return Split(budgets, estimates, left, counts_revenue)


def _marginal_clicks(e: Evidence, daily: float, cpc: float) -> float:
    step = max(daily * 0.01, 0.01)
    return (e.clicks_at(daily + step, cpc) - e.clicks_at(daily, cpc)) / step


def _greedy(ev: dict[int, Evidence], vpc: dict[int, float], daily: float, cpc: float) -> dict:
    """Hand out the day's money in STEPS steps, each to the best next dollar in this draw."""
    alloc = dict.fromkeys(ev, 0.0)
    if daily <= 0:
        return alloc
    step = daily / STEPS

    def gain(k: int) -> float:
        e = ev[k]
        return vpc[k] * (e.clicks_at(alloc[k] + step, cpc) - e.clicks_at(alloc[k], cpc))

    for _ in range(STEPS):
        best = max(ev, key=lambda k: (gain(k), -k))
        alloc[best] += step
    return alloc


def _bounded(target, current, left, monthly, ev, days_left) -> tuple[dict, set]:
    """The target split held to the floor, the weekly cap and unspent pace; sums to `left`."""
    k = len(target)
    floor = min(FLOOR_SHARE * left, left / k)
    cap_min = CAP_MIN_SHARE * monthly
    lo, hi = {}, {}
    for key in target:
        now = current[key]
        lo[key] = max(floor, now - max(MAX_CHANGE * now, cap_min), 0.0)
        hi[key] = max(now + max(MAX_CHANGE * now, cap_min), floor)
        if ev[key].unspent:  # saturated: give it no more than it actually spends
            hi[key] = max(min(hi[key], ev[key].daily_spend * days_left * 1.1), lo[key])
    if sum(lo.values()) > left:  # the floor and cuts cannot all hold: scale down
        scale = left / sum(lo.values())
        lo = {key: v * scale for key, v in lo.items()}
    if sum(hi.values()) < left:  # nowhere to put the money within the cap: widen it
        extra = left - sum(hi.values())
        hi = {key: v + extra / k for key, v in hi.items()}
    # Shift every target by the same amount until the clipped split adds up to `left`.
    low_s, high_s = -left - max(target.values(), default=0), left
    for _ in range(60):
        mid = (low_s + high_s) / 2
        total = sum(min(max(target[key] + mid, lo[key]), hi[key]) for key in target)
        low_s, high_s = (mid, high_s) if total < left else (low_s, mid)
    new = {key: min(max(target[key] + high_s, lo[key]), hi[key]) for key in target}
    drift = left - sum(new.values())
    if new and abs(drift) > 1e-9:  # rounding residue to the roomiest channel
        key = max(new, key=lambda x: hi[x] - new[x] if drift > 0 else new[x] - lo[x])
        new[key] += drift
    capped = {key for key in target if abs(target[key] + high_s - new[key]) > 0.01 * left}
    return new, capped


def _estimate(margins: list[float], e: Evidence, capped: bool) -> Estimate:
    ordered = sorted(margins)
    n = len(ordered)
    return Estimate(
        statistics.fmean(ordered),
        ordered[max(0, int(0.1 * n))],
        ordered[min(n - 1, int(0.9 * n))],
        e,
        capped,
        e.unspent,
    )
