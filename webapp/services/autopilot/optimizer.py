"""The autopilot's budget rules, in one place: the daily run, the dry run and the tests use them.

For each active auto-managed campaign, over the 7 complete days before today (workspace
zone):

- conversion rate = conversions ÷ clicks; spend share = spend this calendar month ÷ budget;
- rate < low_conversion AND share > low_spend_share  → budget −change_pct;
- rate > high_conversion AND share < high_spend_share → budget +change_pct, at most
  max_increase. The inequalities are strict: a rate of exactly 1% or 3%, a share of
  exactly 50% or 70%, changes nothing.

Two guards the rules alone lack (without them the rules compound day after day): a
budget changes at most once every `cooldown_days` (the initial allocation counts), and the
sum of a workspace's campaign budgets never exceeds its monthly budget — an increase takes
only the room left, including room freed by cuts of the same run, best converter first.
A plan is computed first (pure, no writes) and then applied or shown as a dry run.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from zoneinfo import ZoneInfo

from webapp.services.autopilot import learning_plan
from webapp.services.autopilot.budget_plan import (
    CampaignState,
    Decision,
    Plan,
    Rules,
    Window,
    Workspace,
    money,
    percent,
    short_date,
    to_cents,
)
from webapp.services.autopilot.campaigns import follows_plan

# --- the rules --------------------------------------------------------------------------------


def decide(
    ws: Workspace,
    states: list[CampaignState],
    window: Window,
    *,
    other_budgets: Decimal = Decimal("0"),
) -> list[Decision]:
    """Apply the rules and both guards to a workspace's campaigns. Pure: writes nothing.

    `states` are the campaigns to judge (active); `other_budgets` the budgets of the
    workspace's other counted campaigns (paused), which take their part of the total.
    Returns one decision per campaign, in the order given.
    """
    verdicts: dict[int, Decision] = {}
    raises: list[tuple[float, CampaignState, dict, str]] = []
    for s in states:
        verdict = _judge(s, ws.rules, window)
        if isinstance(verdict, Decision):
            verdicts[s.id] = verdict
        else:
            raises.append((verdict[0], s, verdict[1], verdict[2]))
    total = other_budgets + sum((d.after for d in verdicts.values()), Decimal("0"))
    total += sum((s.budget for _r, s, _f, _m in raises), Decimal("0"))
    # Best converter first: scarce room goes where it earns most.
    raises.sort(key=lambda item: (-item[0], item[1].id))
    verdicts.update(
        _fund_raises(ws, raises, headroom=ws.monthly_budget - total, freed=freed_by(verdicts))
    )
    return [verdicts[s.id] for s in states]


def _judge(s: CampaignState, r: Rules, window: Window) -> Decision | tuple[float, dict, str]:
    """One campaign's verdict, or (rate, facts, measured) for a raise that still needs funding."""
    span = window.describe()
    facts = {
        "clicks": s.clicks,
        "conversions": s.conversions,
        "spend_7d": str(s.spend_7d),
        "spend_month": str(s.spend_month),
        "window": [window.start.isoformat(), window.end.isoformat()],
        "period": window.today.isoformat(),
    }
    skipped = _skip(s, facts, span)
    if skipped is not None:
        return skipped
    # Exact comparisons in whole numbers (conversions/clicks and cents/cents against the
    # thresholds' fractions): a rate of exactly 1% must not count as below 1%.
    spent, budget = int(s.spend_month * 100), int(s.budget * 100)
    rate, share = s.conversions / s.clicks, spent / budget
    facts |= {"conversion_rate": rate, "spend_share": share}
    measured = (
        f"Conversion rate {percent(rate)} ({s.conversions:,} of {s.clicks:,} clicks, {span}); "
        f"{percent(share)} of the {money(s.budget)} budget spent this month"
    )
    low = _lt(s.conversions, s.clicks, r.low_conversion) and _gt(spent, budget, r.low_spend_share)
    high = _gt(s.conversions, s.clicks, r.high_conversion) and _lt(
        spent, budget, r.high_spend_share
    )
    if not (low or high):
        return _keep(
            s,
            "hold",
            facts,
            f"{measured}: {_why_no_rule(s.conversions, s.clicks, r)} The budget stays at {money(s.budget)}.",
        )
    if s.changed_on is not None and (window.today - s.changed_on).days < r.cooldown_days:
        next_day = s.changed_on + timedelta(days=r.cooldown_days)
        return _keep(
            s,
            "hold",
            facts | {"cooldown_until": next_day.isoformat()},
            f"{measured}: the rules say {'cut' if low else 'raise'}, but the budget last changed on "
            f"{short_date(s.changed_on)} and changes at most once every {r.cooldown_days} days "
            f"(next on {short_date(next_day)}). It stays at {money(s.budget)}.",
        )
    if high:
        return rate, facts, measured
    return _cut(s, r, facts, measured)


def _skip(s: CampaignState, facts: dict, span: str) -> Decision | None:
    """The verdict for a campaign with nothing to judge (no clicks, no budget), else None."""
    if s.clicks <= 0:
        return _keep(
            s,
            "skip",
            facts,
            f"No clicks in the last 7 days ({span}), so there is no conversion rate "
            f"to judge; the budget stays at {money(s.budget)}.",
        )
    if s.budget <= 0:
        return _keep(
            s, "skip", facts, "The campaign has no budget, so there is no share of it to judge."
        )
    return None


def _cut(s: CampaignState, r: Rules, facts: dict, measured: str) -> Decision:
    """The budget down by the rules' step, unless it is too small to go lower."""
    after = to_cents(Fraction(s.budget) * (1 - r.change_pct), ROUND_HALF_UP)
    if after == s.budget:
        return _keep(
            s,
            "hold",
            facts,
            f"{measured}: the rules say cut, but the budget is too small to go lower.",
        )
    return Decision(
        s.id,
        s.name,
        s.channel,
        "decrease",
        s.budget,
        after,
        f"{measured}. Below {percent(r.low_conversion)} with more than {percent(r.low_spend_share)} spent, "
        f"so the budget goes down {percent(r.change_pct)}: {money(s.budget)} → {money(after)}.",
        "low_performance",
        facts,
    )


def _fund_raises(
    ws: Workspace, raises: list, *, headroom: Decimal, freed: Decimal
) -> dict[int, Decision]:
    """Each wanted raise, in order, takes at most the room left under the monthly budget."""
    r, verdicts = ws.rules, {}
    own_room = max(headroom - freed, Decimal("0"))  # the room there was before today's cuts
    for _rate, s, facts, measured in raises:
        by_pct = to_cents(Fraction(s.budget) * r.change_pct)
        wanted = min(by_pct, r.max_increase)
        step = min(wanted, max(headroom, Decimal("0")))
        facts |= {"wanted_increase": str(wanted), "headroom": str(max(headroom, Decimal("0")))}
        if step <= 0:
            verdicts[s.id] = _keep(
                s,
                "hold",
                facts | {"no_room": True},
                f"{measured}: the rules say raise by {money(wanted)}, but the campaigns already use the whole "
                f"monthly budget of {money(ws.monthly_budget)}, so there is no room. It stays at {money(s.budget)}.",
            )
            continue
        if step < wanted:
            how = (
                f"up by {money(step)} only, the room left under the monthly budget of "
                f"{money(ws.monthly_budget)} (the rules asked for {money(wanted)})"
            )
        elif by_pct > r.max_increase:
            how = f"up by the {money(r.max_increase)} maximum ({percent(r.change_pct)} would be {money(by_pct)})"
        else:
            how = f"up {percent(r.change_pct)}"
        funded = ""
        if step > own_room:
            funded = (
                " Funded by today's cuts to other campaigns, so the monthly total does not grow."
            )
            facts["funded_by_cuts"] = str(step - own_room)
        own_room = max(own_room - step, Decimal("0"))
        headroom -= step
        verdicts[s.id] = Decision(
            s.id,
            s.name,
            s.channel,
            "increase",
            s.budget,
            s.budget + step,
            f"{measured}. Above {percent(r.high_conversion)} with less than {percent(r.high_spend_share)} spent, "
            f"so the budget goes {how}: {money(s.budget)} → {money(s.budget + step)}.{funded}",
            "high_performance",
            facts,
        )
    return verdicts


def freed_by(verdicts: dict[int, Decision]) -> Decimal:
    return sum(
        (d.before - d.after for d in verdicts.values() if d.action == "decrease"), Decimal("0")
    )


def _keep(s: CampaignState, action: str, facts: dict, reason: str) -> Decision:
    return Decision(s.id, s.name, s.channel, action, s.budget, s.budget, reason, None, facts)


def _lt(num: int, den: int, threshold: Fraction) -> bool:
    """num/den < threshold, exactly (den > 0)."""
    return num * threshold.denominator < threshold.numerator * den


def _gt(num: int, den: int, threshold: Fraction) -> bool:
    return num * threshold.denominator > threshold.numerator * den


def _why_no_rule(conversions: int, clicks: int, r: Rules) -> str:
    if _lt(conversions, clicks, r.low_conversion):
        return f"below {percent(r.low_conversion)}, but a cut needs more than {percent(r.low_spend_share)} of the budget spent."
    if _gt(conversions, clicks, r.high_conversion):
        return f"above {percent(r.high_conversion)}, but a raise needs less than {percent(r.high_spend_share)} of the budget spent."
    return (
        f"between {percent(r.low_conversion)} and {percent(r.high_conversion)} (a change needs a rate strictly "
        f"below or above them), so no rule applies."
    )


# --- today's plan for one workspace ------------------------------------------------------------


def plan_workspace(ws: Workspace, states: list[CampaignState], *, now: datetime) -> Plan:
    """The rules' verdict for one workspace today, and whether today's run may apply it."""
    window = Window.ending_before(ws.today(now))
    active = [s for s in states if s.status == "active"]
    others = sum((s.budget for s in states if s.status != "active"), Decimal("0"))
    if ws.mode == "learning":
        return _learning_plan(ws, states, active, window, others)
    plan = Plan(ws, window, decide(ws, active, window, other_budgets=others))
    _guard(plan, ws, states, active, window)
    return plan


def _learning_plan(ws, states, active, window, others) -> Plan:
    """The learning mode: the same skip guards, plus at most one move a week."""
    plan = Plan(ws, window, [])
    _guard(plan, ws, states, active, window)
    if plan.skip_reason is None:
        plan.skip_reason = learning_plan.waiting_reason(states, window)
    if plan.skip_reason is None:
        plan.decisions, plan.summary = learning_plan.decide_learning(
            ws, active, window, other_budgets=others
        )
    return plan


def _guard(plan: Plan, ws: Workspace, states, active, window: Window) -> None:
    """The reasons today's run must not apply anything, whatever the mode."""
    if not all(follows_plan(s.plan, ws.activated_at) for s in states):
        plan.skip_reason = (
            "You changed the plan: the next run sets the campaigns to it, and the budget rules "
            "apply again once they have a week of results."
        )
    elif ws.local_date(ws.last_optimized_at) == window.today:
        local = ws.last_optimized_at.astimezone(ZoneInfo(ws.timezone))
        plan.skip_reason = (
            f"Already optimised today at {local:%H:%M}; budgets change at most once a day."
        )
    elif any(s.created_on == window.today for s in states):
        plan.skip_reason = (
            "The campaigns were created today; the first optimisation waits for their results."
        )
    elif not active:
        plan.skip_reason = "No active auto-managed campaigns to optimise."
