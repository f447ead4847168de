"""The learning optimiser, pure: the budget guards, the floor, the weekly cap, one move a week,
conversion lag, a quiet week, holding on tiny data, and the words it explains itself in."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import START
from webapp.services.autopilot.budget_plan import CampaignState, Workspace
from webapp.services.autopilot.learning import (
    CAP_MIN_SHARE,
    FLOOR_SHARE,
    MAX_CHANGE,
    ChannelIn,
    Estimate,
    resplit,
    seed_for,
)
from webapp.services.autopilot.learning_plan import returns_text
from webapp.services.autopilot.optimizer import plan_workspace
from webapp.services.autopilot.posteriors import LAG_COMPLETE, Day, evidence, weight

TODAY = date(2026, 11, 22)


def history(days: int, spend: float, clicks: int, conv_every: int, value: float = 50.0):
    """`days` days before TODAY with a conversion on every `conv_every`-th day (0: never)."""
    out = []
    for i in range(days, 0, -1):
        conv = 1 if conv_every and i % conv_every == 0 else 0
        out.append(Day(TODAY - timedelta(days=i), spend, clicks, conv, conv * value))
    return out


def test_it_never_plans_above_the_budget_nor_below_what_was_spent_on_random_histories():
    @settings(max_examples=60, deadline=None)
    @given(
        st.lists(
            st.tuples(
                st.floats(0, 500), st.integers(0, 400), st.integers(0, 30),
                st.floats(0, 3000), st.floats(0, 2000), st.integers(0, 28),
            ),
            min_size=1, max_size=6,
        ),
        st.floats(0, 20000), st.integers(1, 31), st.integers(0, 2**32),
        st.sampled_from([None, 40.0]),
    )  # fmt: skip
    def check(chans, monthly, days_left, seed, lead_value):
        channels = [
            ChannelIn(i, "email", budget, spent, [
                Day(TODAY - timedelta(days=1 + d % 28), s, k, min(c, k), c * 60.0) for d in range(n)
            ])
            for i, (s, k, c, budget, spent, n) in enumerate(chans)
        ]  # fmt: skip
        split = resplit(
            channels, monthly_budget=monthly, days_left=days_left, today=TODAY, seed=seed,
            lead_value=lead_value,
        )  # fmt: skip
        spent = sum(c.spent_month for c in channels)
        total = sum(split.budgets.values())
        # Never more than the monthly budget, unless more than it was already spent (spend
        # cannot be undone): then no channel gets anything more to spend.
        assert total <= max(monthly, spent) + 1e-6
        for c in channels:
            assert split.budgets[c.key] >= round(c.spent_month, 2) - 0.011
        # Planned spend left (budget − spent) never takes the month past the monthly budget.
        assert spent + sum(max(split.budgets[c.key] - c.spent_month, 0) for c in channels) <= (
            max(monthly, spent) + 0.01
        )

    check()


def _two(better_conv_every: int = 2, worse_conv_every: int = 0, days: int = 21):
    return [
        ChannelIn(1, "email", 500.0, 0.0, history(days, 18.0, 60, better_conv_every)),
        ChannelIn(2, "meta_ads", 500.0, 0.0, history(days, 18.0, 60, worse_conv_every)),
    ]


def test_money_moves_to_the_clearly_better_channel_but_the_floor_and_the_cap_hold():
    split = resplit(_two(), monthly_budget=1000, days_left=28, today=TODAY, seed=1)
    assert split.budgets[1] > 500 and split.budgets[2] < 500
    # The weekly cap: 500 left each; a channel's money moves at most 50 % (or 5 % of 1000).
    limit = max(MAX_CHANGE * 500, CAP_MIN_SHARE * 1000)
    assert split.budgets[1] <= 500 + limit + 0.01 and split.budgets[2] >= 500 - limit - 0.01
    assert split.estimates[2].capped
    # After more weeks the poor channel sinks to near its floor, never below it.
    channels = [
        ChannelIn(1, "email", 960.0, 0.0, history(21, 34.0, 60, 2)),
        ChannelIn(2, "meta_ads", 40.0, 0.0, history(21, 34.0, 60, 0)),
    ]
    split = resplit(channels, monthly_budget=1000, days_left=28, today=TODAY, seed=1)
    assert FLOOR_SHARE * 1000 - 0.01 <= split.budgets[2] <= 2 * FLOOR_SHARE * 1000


def test_a_re_split_is_deterministic_for_a_workspace_and_week():
    assert seed_for(7, "2026-W47") == seed_for(7, "2026-W47") != seed_for(8, "2026-W47")
    a = resplit(_two(3, 4), monthly_budget=1000, days_left=20, today=TODAY, seed=5)
    b = resplit(_two(3, 4), monthly_budget=1000, days_left=20, today=TODAY, seed=5)
    assert a.budgets == b.budgets


def test_recent_days_count_their_clicks_only_as_far_as_their_conversions_are_in():
    days = [Day(TODAY - timedelta(days=age), 10.0, 100, 0, 0.0) for age in (1, 2, 3, 4)]
    e = evidence(days, TODAY)
    expected = sum(weight(a) * 100 * LAG_COMPLETE.get(a, 1.0) for a in (1, 2, 3, 4))
    assert abs(e.clicks - expected) < 1e-9 and e.clicks < sum(weight(a) * 100 for a in (1, 2, 3, 4))
    # Today's (incomplete) figures are not read at all.
    assert evidence([Day(TODAY, 10.0, 100, 0, 0.0)], TODAY).clicks == 0


def test_a_week_without_conversions_is_not_read_as_a_fact():
    # Three good weeks, then 50 clicks a week and no conversion: it keeps most of its money.
    good = history(28, 10.0, 60, 2)
    quiet = [d if (TODAY - d.day).days > 7 else Day(d.day, 10.0, 7, 0, 0.0) for d in good]
    steady = history(28, 10.0, 60, 3)
    split = resplit(
        [ChannelIn(1, "email", 500.0, 0.0, quiet), ChannelIn(2, "seo", 500.0, 0.0, steady)],
        monthly_budget=1000, days_left=28, today=TODAY, seed=3,
    )  # fmt: skip
    assert split.estimates[1].mean > 0.5 * split.estimates[2].mean
    assert split.budgets[1] > FLOOR_SHARE * 1000 * 3


def _states(channels: list[ChannelIn], changed: date) -> list[CampaignState]:
    return [
        CampaignState(
            id=c.key, name=f"{c.channel.title()} campaign", channel=c.channel, status="active",
            budget=Decimal(f"{c.budget:.2f}"), changed_on=changed, created_on=changed - timedelta(30),
            spend_month=Decimal(f"{c.spent_month:.2f}"), days=c.days,
        )
        for c in channels
    ]  # fmt: skip


WS = Workspace(1, "Shop", "UTC", Decimal("1000"), None, mode="learning")  # type: ignore[arg-type]
NOW = START  # Monday 23 Nov 2026: "today" is 23 Nov, the history ends the day before


def test_one_move_a_week_then_the_move_names_the_expected_return():
    today = WS.today(NOW)
    # 22 days of November at $18 a day spent; $104 each left for the last 8 days.
    channels = [
        ChannelIn(1, "email", 500.0, 396.0, history(21, 18.0, 60, 2)),
        ChannelIn(2, "meta_ads", 500.0, 396.0, history(21, 18.0, 60, 0)),
    ]
    waiting = plan_workspace(WS, _states(channels, today - timedelta(days=3)), now=NOW)
    assert waiting.skip_reason and "at most once a week" in waiting.skip_reason
    assert "27 Nov" in waiting.skip_reason and waiting.changes == []
    plan = plan_workspace(WS, _states(channels, today - timedelta(days=7)), now=NOW)
    assert plan.skip_reason is None
    up, down = plan.decisions
    assert up.action == "increase" and down.action == "decrease"
    assert sum(d.after for d in plan.decisions) <= WS.monthly_budget
    assert "The next dollar here returns about $" in up.reason and "likely between $" in up.reason
    assert "Budget up" in up.reason and up.details["return_low"] <= up.details["return_per_dollar"]
    assert "Moved $" in plan.summary and "to Email campaign from Meta_Ads campaign" in plan.summary
    assert "Next dollar: Email campaign returns about $" in plan.summary


def test_with_too_few_conversions_it_holds_and_says_why():
    today = WS.today(NOW)
    channels = [
        ChannelIn(1, "email", 500.0, 0.0, history(14, 2.0, 6, 7)),  # 2 conversions in all
        ChannelIn(2, "meta_ads", 500.0, 0.0, history(14, 2.0, 6, 0)),
    ]
    plan = plan_workspace(WS, _states(channels, today - timedelta(days=8)), now=NOW)
    assert [d.action for d in plan.decisions] == ["hold", "hold"] and plan.changes == []
    assert plan.summary.startswith(
        "Not enough results yet to tell the channels apart: 2 conversions"
    )


def test_the_return_is_written_as_an_owner_reads_it():
    e = evidence([], TODAY)
    assert (
        returns_text(Estimate(3.1, 2.4, 3.9, e), counts_revenue=True)
        == "returns about $3.10 per $1, likely between $2.40 and $3.90"
    )
    assert (
        returns_text(Estimate(0.125, 0.08, 0.2, e), counts_revenue=False)
        == "brings about 12.5 conversions per $100, likely between 8.0 and 20.0"
    )
