"""The budget rules at and around every boundary, the two guards, and 60 simulated days."""

from __future__ import annotations

import calendar
from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from tests.conftest import START
from webapp.core.extensions import db
from webapp.models import ActivityLog, AutopilotConfig, BudgetChange, Campaign, CampaignMetric
from webapp.services.autopilot import optimizer, optimizer_runs
from webapp.services.autopilot.budget_plan import CampaignState, Decision, Rules, Window, Workspace

TODAY = date(2026, 11, 23)
WINDOW = Window.ending_before(TODAY)
LONG_AGO = date(2026, 10, 1)


def ws(monthly: str = "10000", **rules) -> Workspace:
    return Workspace(1, "Alice Bakes", "Europe/London", Decimal(monthly), Rules.of(rules))


def state(
    cid: int = 1,
    budget: str = "1000",
    *,
    clicks: int = 1000,
    conversions: int = 20,
    spend_month: str = "500",
    changed_on: date | None = LONG_AGO,
    status: str = "active",
) -> CampaignState:
    return CampaignState(
        id=cid,
        name=f"Campaign {cid}",
        channel="meta_ads",
        status=status,
        budget=Decimal(budget),
        changed_on=changed_on,
        created_on=LONG_AGO,
        clicks=clicks,
        conversions=conversions,
        spend_7d=Decimal("0"),
        spend_month=Decimal(spend_month),
    )


def one(s: CampaignState, workspace: Workspace | None = None) -> Decision:
    return optimizer.decide(workspace or ws(), [s], WINDOW)[0]


# --- the cut: rate < 1% and share > 50% -------------------------------------------------------


@pytest.mark.parametrize(
    ("conversions", "clicks", "spend", "action"),
    [
        (99, 10_000, "600", "decrease"),  # 0.99% with 60% spent
        (1, 100, "600", "hold"),  # exactly 1%: not below
        (101, 10_000, "600", "hold"),  # 1.01%
        (5, 1000, "500", "hold"),  # 0.5% with exactly 50% spent: not above
        (5, 1000, "500.01", "decrease"),  # just above 50%
        (5, 1000, "499.99", "hold"),
        (0, 1000, "900", "decrease"),  # clicks but no conversions: 0%
    ],
)
def test_it_cuts_only_below_1_percent_with_more_than_half_spent(conversions, clicks, spend, action):
    d = one(state(conversions=conversions, clicks=clicks, spend_month=spend))
    assert d.action == action
    if action == "decrease":
        assert (d.before, d.after, d.rule) == (
            Decimal("1000"),
            Decimal("800.00"),
            "low_performance",
        )
        assert "goes down 20%" in d.reason and "$1,000.00 → $800.00" in d.reason
    else:
        assert d.after == d.before


def test_it_explains_why_exactly_1_percent_changes_nothing():
    d = one(state(conversions=1, clicks=100, spend_month="900"))
    assert "Conversion rate 1%" in d.reason and "no rule applies" in d.reason


# --- the raise: rate > 3% and share < 70% -----------------------------------------------------


@pytest.mark.parametrize(
    ("conversions", "clicks", "spend", "action"),
    [
        (301, 10_000, "100", "increase"),  # 3.01%
        (3, 100, "100", "hold"),  # exactly 3%: not above
        (299, 10_000, "100", "hold"),
        (50, 1000, "700", "hold"),  # 5% with exactly 70% spent: not below
        (50, 1000, "699.99", "increase"),
        (50, 1000, "700.01", "hold"),
    ],
)
def test_it_raises_only_above_3_percent_with_less_than_70_percent_spent(
    conversions, clicks, spend, action
):
    d = one(state(conversions=conversions, clicks=clicks, spend_month=spend))
    assert d.action == action
    if action == "increase":
        assert (d.after, d.rule) == (Decimal("1200.00"), "high_performance")
    else:
        assert d.after == d.before


@pytest.mark.parametrize(
    ("budget", "after", "capped"),
    [
        ("2400", "2880.00", False),  # 20% = 480
        ("2500", "3000.00", False),  # 20% = 500 exactly: the cap does not bite
        ("2500.05", "3000.05", True),  # 20% = 500.01 → 500
        ("4000", "4500.00", True),  # 20% = 800 → 500
    ],
)
def test_it_caps_an_increase_at_500(budget, after, capped):
    d = one(state(budget=budget, conversions=50, clicks=1000, spend_month="0"), ws("100000"))
    assert d.action == "increase" and d.after == Decimal(after)
    assert ("$500.00 maximum" in d.reason) is capped


def test_it_takes_the_cap_from_the_workspace_settings():
    d = one(
        state(budget="4000", conversions=50, clicks=1000, spend_month="0"),
        ws("100000", max_increase=100),
    )
    assert d.after == Decimal("4100.00")


def test_it_does_nothing_without_clicks_and_says_why():
    d = one(state(clicks=0, conversions=0, spend_month="900"))
    assert (d.action, d.after) == ("skip", Decimal("1000"))
    assert "No clicks in the last 7 days (16 Nov–22 Nov)" in d.reason


def test_it_uses_the_workspace_thresholds():
    s = state(conversions=15, clicks=1000, spend_month="600")  # 1.5%
    assert one(s).action == "hold"
    assert one(s, ws(low_conversion=0.02)).action == "decrease"
    assert one(s, ws(low_conversion=0.02, change_pct=0.1)).after == Decimal("900.00")


def test_it_rounds_a_cut_to_cents():
    d = one(state(budget="333.33", conversions=0, clicks=100, spend_month="300"))
    assert d.after == Decimal("266.66")


# --- the guards ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("days_ago", "action"), [(0, "hold"), (6, "hold"), (7, "decrease"), (30, "decrease")]
)
def test_it_changes_a_budget_at_most_once_per_7_days(days_ago, action):
    d = one(
        state(
            conversions=0,
            clicks=1000,
            spend_month="900",
            changed_on=TODAY - timedelta(days=days_ago),
        )
    )
    assert d.action == action
    if action == "hold":
        assert "changes at most once every 7 days" in d.reason


def test_it_takes_the_cooldown_from_the_workspace_settings():
    s = state(conversions=0, clicks=1000, spend_month="900", changed_on=TODAY - timedelta(days=3))
    assert one(s, ws(cooldown_days=3)).action == "decrease"


def test_it_raises_only_into_the_room_left_under_the_monthly_budget():
    good = state(1, "500", conversions=50, clicks=1000, spend_month="0")
    other = state(2, "450", conversions=20, clicks=1000, spend_month="0")
    d = optimizer.decide(ws("1000"), [good, other], WINDOW)[0]
    assert (d.action, d.after) == ("increase", Decimal("550.00"))
    assert "up by $50.00 only" in d.reason


def test_it_does_not_raise_when_there_is_no_room_and_says_why():
    good = state(1, "500", conversions=50, clicks=1000, spend_month="0")
    other = state(2, "500", conversions=20, clicks=1000, spend_month="0")
    d = optimizer.decide(ws("1000"), [good, other], WINDOW)[0]
    assert (d.action, d.after) == ("hold", Decimal("500"))
    assert "already use the whole monthly budget of $1,000.00" in d.reason


def test_it_funds_a_raise_with_the_cuts_of_the_same_run():
    good = state(1, "500", conversions=50, clicks=1000, spend_month="0")
    poor = state(2, "500", conversions=1, clicks=1000, spend_month="400")
    raised, cut = optimizer.decide(ws("1000"), [good, poor], WINDOW)
    assert (cut.action, cut.after) == ("decrease", Decimal("400.00"))
    assert (raised.action, raised.after) == ("increase", Decimal("600.00"))
    assert "Funded by today's cuts" in raised.reason
    assert raised.after + cut.after == Decimal("1000.00")


def test_it_gives_scarce_room_to_the_best_converter_first():
    fair = state(1, "400", conversions=40, clicks=1000, spend_month="0")  # 4%
    best = state(2, "400", conversions=90, clicks=1000, spend_month="0")  # 9%
    a, b = optimizer.decide(ws("880"), [fair, best], WINDOW)
    assert (b.action, b.after) == ("increase", Decimal("480.00"))
    assert (a.action, a.after) == ("hold", Decimal("400"))


def test_it_counts_paused_campaigns_in_the_monthly_total():
    good = state(1, "500", conversions=50, clicks=1000, spend_month="0")
    d = optimizer.decide(ws("1000"), [good], WINDOW, other_budgets=Decimal("500"))[0]
    assert d.action == "hold"


def test_it_never_lets_the_total_exceed_the_monthly_budget_when_it_already_does():
    # The owner lowered the monthly budget below the campaigns' sum: no raise can happen.
    good = state(1, "800", conversions=50, clicks=1000, spend_month="0")
    d = optimizer.decide(ws("500"), [good], WINDOW)[0]
    assert d.action == "hold"


# --- through the database -------------------------------------------------------------------------


def _autopilot(org, monthly: str = "2000", **rules) -> AutopilotConfig:
    config = AutopilotConfig(
        org_id=org.id,
        status="active",
        optimizer_mode="rules",  # these tests are about the rules mode
        monthly_budget=Decimal(monthly),
        rules=rules,
        strategy={
            "channels": [
                {"channel": "meta_ads", "percent": 50},
                {"channel": "google_ads", "percent": 50},
            ]
        },
        created_at=START,
        updated_at=START,
        activated_at=START,
    )
    db.session.add(config)
    db.session.flush()
    return config


def _campaign(org, channel: str, budget: str, changed=START - timedelta(days=30)) -> Campaign:
    c = Campaign(
        org_id=org.id,
        name=f"{channel} — {org.name}",
        channel=channel,
        kind="auto",
        auto_managed=True,
        status="active",
        monthly_budget=Decimal(budget),
        budget_changed_at=changed,
        created_at=START - timedelta(days=40),
        updated_at=START,
    )
    db.session.add(c)
    db.session.flush()
    return c


def _metric(c: Campaign, day: date, *, clicks=0, conversions=0, spend="0") -> None:
    db.session.add(
        CampaignMetric(
            org_id=c.org_id,
            campaign_id=c.id,
            day=day,
            clicks=clicks,
            conversions=conversions,
            spend=Decimal(spend),
            impressions=clicks * 20,
            updated_at=START,
        )
    )


def test_it_measures_the_7_days_before_today_and_the_month_so_far(app, alice_org):
    _autopilot(alice_org)
    c = _campaign(alice_org, "meta_ads", "1000")
    _metric(c, date(2026, 11, 15), clicks=5000, conversions=0, spend="100")  # before the window
    _metric(c, date(2026, 11, 16), clicks=100, conversions=0, spend="200")  # first window day
    _metric(c, date(2026, 11, 22), clicks=100, conversions=1, spend="250")  # last window day
    _metric(c, date(2026, 11, 23), clicks=5000, conversions=0, spend="50")  # today: month only
    _metric(c, date(2026, 10, 31), clicks=0, spend="999")  # last month
    db.session.commit()
    plan = optimizer_runs.preview(db.session, alice_org, now=START)
    (d,) = plan.decisions
    assert d.details["clicks"] == 200 and d.details["conversions"] == 1
    assert d.details["spend_month"] == "600.00"
    assert (d.action, d.after) == ("decrease", Decimal("800.00"))  # 0.5%, 60% spent


def test_it_applies_a_plan_with_history_and_activity(app, alice_org):
    config = _autopilot(alice_org, "2000")
    poor = _campaign(alice_org, "meta_ads", "1000")
    good = _campaign(alice_org, "google_ads", "1000")
    _metric(poor, date(2026, 11, 20), clicks=1000, conversions=2, spend="700")
    _metric(good, date(2026, 11, 20), clicks=1000, conversions=60, spend="300")
    db.session.commit()
    plan = optimizer_runs.preview(db.session, alice_org, now=START)
    assert plan.skip_reason is None
    assert (
        db.session.scalar(select(func.count()).select_from(BudgetChange)) == 0
    )  # the preview wrote nothing
    applied = optimizer_runs.apply_plan(db.session, plan, now=START)
    db.session.commit()
    db.session.expire_all()
    assert [(d.campaign_id, d.after) for d in applied] == [
        (poor.id, Decimal("800.00")),
        (good.id, Decimal("1200.00")),
    ]
    assert (poor.monthly_budget, good.monthly_budget) == (Decimal("800.00"), Decimal("1200.00"))
    assert poor.budget_changed_at == START and config.last_optimized_at == START
    history = db.session.scalars(select(BudgetChange).order_by(BudgetChange.id)).all()
    assert [(h.rule, h.before, h.after) for h in history] == [
        ("low_performance", Decimal("1000.00"), Decimal("800.00")),
        ("high_performance", Decimal("1000.00"), Decimal("1200.00")),
    ]
    rows = db.session.scalars(
        select(ActivityLog).where(ActivityLog.type != "workspace.created").order_by(ActivityLog.id)
    ).all()
    assert [r.type for r in rows] == [
        "campaign.budget_decreased",
        "campaign.budget_increased",
        "autopilot.optimized",
    ]
    assert rows[0].details["before"] == "1000.00" and rows[0].details["after"] == "800.00"
    assert "Below 1%" in rows[0].details["reason"] and rows[0].actor_id is None
    assert rows[2].details["period"] == "2026-11-23" and "2 budget changes" in rows[2].description


def test_it_changes_nothing_on_a_second_run_the_same_day(app, alice_org, clock):
    _autopilot(alice_org, "2000")
    poor = _campaign(alice_org, "meta_ads", "1000")
    _metric(poor, date(2026, 11, 20), clicks=1000, conversions=2, spend="700")
    db.session.commit()
    optimizer_runs.apply_plan(
        db.session, optimizer_runs.preview(db.session, alice_org, now=START), now=START
    )
    db.session.commit()
    later = START + timedelta(hours=5)
    again = optimizer_runs.preview(db.session, alice_org, now=later)
    assert again.skip_reason.startswith("Already optimised today at 10:00")
    assert optimizer_runs.apply_plan(db.session, again, now=later) == []
    db.session.commit()
    types = db.session.scalars(
        select(ActivityLog.type).where(ActivityLog.type != "workspace.created")
    ).all()
    assert sorted(types) == ["autopilot.optimized", "campaign.budget_decreased"]


# --- 60 simulated days ----------------------------------------------------------------------------

# A simple market: each campaign spends its budget evenly over the month, pays its channel's
# price per click and converts its clicks at its own rate: poor 0.5%, fair 2%, great 6%.
MARKET = {
    "meta_ads": (Decimal("0.30"), 0.005),
    "google_ads": (Decimal("0.50"), 0.02),
    "email": (Decimal("0.10"), 0.06),
}


def _market_day(budget: Decimal, day: date, channel: str) -> tuple[int, int, Decimal]:
    cpc, cvr = MARKET[channel]
    spend = (budget / calendar.monthrange(day.year, day.month)[1]).quantize(Decimal("0.01"))
    clicks = int(spend / cpc)
    return clicks, round(clicks * cvr), spend


def test_it_never_exceeds_the_monthly_budget_over_60_simulated_days(app, alice_org, clock):
    """The real daily job, 60 days in a row, against the market: the guards hold every day."""
    from jobs.runner import run_job

    monthly = Decimal("3000")
    config = _autopilot(alice_org, str(monthly))
    config.strategy = {
        "channels": [
            {"channel": ch, "percent": p} for ch, p in zip(MARKET, (40, 35, 25), strict=True)
        ]
    }
    db.session.commit()
    first = date(2026, 9, 1)
    spent: dict[tuple[int, int], Decimal] = {}
    changes: dict[int, list[date]] = {}
    for n in range(60):
        today = first + timedelta(days=n)
        clock.set(
            START.replace(year=today.year, month=today.month, day=today.day, hour=2, minute=0)
        )
        assert run_job(app, "orchestrator").status == "succeeded"
        campaigns = db.session.scalars(
            select(Campaign).where(Campaign.org_id == alice_org.id)
        ).all()
        assert sum(c.monthly_budget for c in campaigns) <= monthly, today
        for c in campaigns:
            clicks, conversions, spend = _market_day(c.monthly_budget, today, c.channel)
            _metric(c, today, clicks=clicks, conversions=conversions, spend=str(spend))
            spent[(today.year, today.month)] = (
                spent.get((today.year, today.month), Decimal("0")) + spend
            )
        db.session.commit()
    assert all(total <= monthly for total in spent.values()), spent
    for change in db.session.scalars(select(BudgetChange).where(BudgetChange.rule != "initial")):
        changes.setdefault(change.campaign_id, []).append(change.created_at.date())
    assert changes, "the rules never acted in this market"
    for days in changes.values():
        assert all((b - a).days >= 7 for a, b in zip(days, days[1:], strict=False)), days
    by_channel = {c.channel: c.monthly_budget for c in db.session.scalars(select(Campaign))}
    assert by_channel["meta_ads"] < Decimal(
        "1200.00"
    )  # the poor converter was cut (40% of 3000 at first)
    assert by_channel["google_ads"] == Decimal("1050.00")  # the fair one left alone
    assert by_channel["email"] > Decimal("750.00")  # the great one raised, funded by the cuts


def test_it_shows_that_without_the_guards_the_rules_compound():
    """The seed's rules applied daily with no cooldown and no monthly cap snowball; ours do not."""

    def simulate(rules: dict, cap: str) -> Decimal:
        budgets = {ch: Decimal("1000") for ch in MARKET}
        history: list[dict] = []
        changed = dict.fromkeys(MARKET, date(2026, 8, 1))
        workspace, peak = ws(cap, **rules), Decimal("0")
        for n in range(60):
            today = date(2026, 9, 1) + timedelta(days=n)
            window = Window.ending_before(today)
            states = [
                CampaignState(
                    id=i,
                    name=ch,
                    channel=ch,
                    status="active",
                    budget=budgets[ch],
                    changed_on=changed[ch],
                    created_on=date(2026, 8, 1),
                    clicks=sum(h[ch][0] for h in history[-7:]),
                    conversions=sum(h[ch][1] for h in history[-7:]),
                    spend_month=sum(
                        (h[ch][2] for h in history if h["day"] >= window.month_start), Decimal("0")
                    ),
                )
                for i, ch in enumerate(MARKET, start=1)
            ]
            for d in optimizer.decide(workspace, states, window):
                if d.changed:
                    budgets[d.channel], changed[d.channel] = d.after, today
            peak = max(peak, sum(budgets.values(), Decimal("0")))
            history.append(
                {"day": today, **{ch: _market_day(budgets[ch], today, ch) for ch in MARKET}}
            )
        return peak

    assert simulate({}, "3000") <= Decimal("3000")
    assert simulate({"cooldown_days": 0}, "100000000") > Decimal("6000")
