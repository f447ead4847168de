"""The learning mode's plan for one workspace: the weekly re-split (learning.py) turned into
decisions with reasons a shop owner can read. Pure: no writes.

Guards kept from the rules: at most one move a week (MOVE_EVERY_DAYS since any budget of the
workspace last changed, creation included), the budgets never add up to more than the
monthly budget, and every decision keeps the numbers it used in its details.
"""

from __future__ import annotations

import calendar
from datetime import timedelta
from decimal import Decimal

from webapp.services.autopilot.budget_plan import (
    CampaignState,
    Decision,
    Window,
    Workspace,
    money,
    short_date,
)
from webapp.services.autopilot.learning import (
    CAP_MIN_SHARE,
    FLOOR_SHARE,
    MAX_CHANGE,
    ChannelIn,
    Estimate,
    Split,
    resplit,
    seed_for,
)

MOVE_EVERY_DAYS = 7
MIN_CONVERSIONS = 3  # fewer in all the history: the channels cannot be told apart yet


def waiting_reason(states: list[CampaignState], window: Window) -> str | None:
    """Why this week's move is not due yet (one move a week), else None."""
    last = max((s.changed_on for s in states if s.changed_on), default=None)
    if last is None or (window.today - last).days >= MOVE_EVERY_DAYS:
        return None
    nxt = last + timedelta(days=MOVE_EVERY_DAYS)
    return (
        f"Budgets last moved on {short_date(last)}; the learning optimiser moves money at most "
        f"once a week, so the next re-split is on {short_date(nxt)}."
    )


def decide_learning(
    ws: Workspace, active: list[CampaignState], window: Window, *, other_budgets: Decimal
) -> tuple[list[Decision], str]:
    """One decision per active campaign, in order, and the summary of the move."""
    today = window.today
    days_left = calendar.monthrange(today.year, today.month)[1] - today.day + 1
    iso = today.isocalendar()
    split = resplit(
        [ChannelIn(s.id, s.channel, float(s.budget), float(s.spend_month), s.days) for s in active],
        monthly_budget=float(ws.monthly_budget - other_budgets),
        days_left=days_left,
        today=today,
        seed=seed_for(ws.org_id, f"{iso.year}-W{iso.week:02d}"),
        lead_value=float(ws.lead_value) if ws.lead_value else None,
    )
    conversions = sum(sum(d.conversions for d in s.days) for s in active)
    clicks = sum(sum(d.clicks for d in s.days) for s in active)
    if conversions < MIN_CONVERSIONS:
        why = (
            f"Not enough results yet to tell the channels apart: {conversions} conversion"
            f"{'s' if conversions != 1 else ''} from {clicks:,} clicks in all. The split stays "
            "as it is until there are more."
        )
        return [_decision(s, s.budget, split, why, held=True) for s in active], why
    decisions = []
    for s in active:
        after = Decimal(str(split.budgets[s.id])).quantize(Decimal("0.01"))
        decisions.append(_decision(s, after, split, _reason(s, after, split)))
    summary = _summary(ws, decisions, split)
    for d in decisions:  # the campaign page shows the whole move beside the campaign's part
        d.details["move"] = summary
    return decisions, summary


def _decision(s: CampaignState, after: Decimal, split: Split, reason: str, held=False) -> Decision:
    est = split.estimates[s.id]
    action = (
        "hold" if held or after == s.budget else ("increase" if after > s.budget else "decrease")
    )
    facts = {
        "mode": "learning",
        "spend_month": str(s.spend_month),
        "money_left": f"{split.left:.2f}",
        "return_per_dollar": round(est.mean, 4),
        "return_low": round(est.low, 4),
        "return_high": round(est.high, 4),
        "weighted_clicks": round(est.evidence.clicks, 1),
        "weighted_conversions": round(est.evidence.conversions, 2),
        "elasticity": round(est.evidence.elasticity, 3),
        "capped": est.capped,
        "unspent": est.unspent,
    }
    return Decision(
        s.id, s.name, s.channel, action, s.budget, s.budget if held else after, reason,
        "learning", facts,
    )  # fmt: skip


def returns_text(est: Estimate, counts_revenue: bool) -> str:
    """'returns about $3.10 per $1, likely between $2.40 and $3.90'."""
    if counts_revenue:
        return (
            f"returns about ${est.mean:,.2f} per $1, likely between ${est.low:,.2f} and "
            f"${est.high:,.2f}"
        )
    return (
        f"brings about {est.mean * 100:,.1f} conversions per $100, likely between "
        f"{est.low * 100:,.1f} and {est.high * 100:,.1f}"
    )


def _reason(s: CampaignState, after: Decimal, split: Split) -> str:
    est = split.estimates[s.id]
    e = est.evidence
    head = f"The next dollar here {returns_text(est, split.counts_revenue)}"
    basis = (
        f" (from {e.raw_clicks:,} clicks and {e.raw_conversions:,} conversions so far, "
        "recent weeks counting most; the last 3 days' conversions are still coming in)."
    )
    if after > s.budget:
        move = f" Budget up {money(after - s.budget)}: {money(s.budget)} → {money(after)}."
    elif after < s.budget:
        move = f" Budget down {money(s.budget - after)}: {money(s.budget)} → {money(after)}."
    else:
        move = f" Budget held at {money(s.budget)}."
    return head + basis + move + _why_limited(est)


def _why_limited(est: Estimate) -> str:
    if est.unspent:
        return (
            " It did not spend its pace last week, so it gets no more than it can spend "
            "(more money would sit idle)."
        )
    if est.capped:
        return (
            f" It moved as far as the weekly limit allows (±{MAX_CHANGE:.0%} of its money "
            f"for the rest of the month, or {CAP_MIN_SHARE:.0%} of the monthly budget) or "
            f"kept its {FLOOR_SHARE:.0%} floor for measuring it."
        )
    return ""


def _summary(ws: Workspace, decisions: list[Decision], split: Split) -> str:
    ups = [d for d in decisions if d.action == "increase"]
    downs = [d for d in decisions if d.action == "decrease"]
    parts = [f"Re-split the {money(Decimal(f'{split.left:.2f}'))} left of this month's budget."]
    if ups:
        moved = sum((d.after - d.before for d in ups), Decimal("0"))
        parts.append(
            f"Moved {money(moved)} to {', '.join(d.campaign_name for d in ups)}"
            + (f" from {', '.join(d.campaign_name for d in downs)}." if downs else ".")
        )
    else:
        parts.append("No budget changes.")
    best = sorted(decisions, key=lambda d: -split.estimates[d.campaign_id].mean)
    parts.append(
        "Next dollar: "
        + "; ".join(
            f"{d.campaign_name} {returns_text(split.estimates[d.campaign_id], split.counts_revenue)}"
            for d in best
        )
        + "."
    )
    held = [d for d in decisions if d.action == "hold"]
    if held:
        parts.append(
            f"Held: {', '.join(d.campaign_name for d in held)} (the figures do not call for a change)."
        )
    return " ".join(parts)
