"""The learning mode through the database and the pages: the daily job's move, its explanations
in the activity feed and on the campaign page, the dry run agreeing with the run, the mode
switch on the Autopilot page, and a small simulated market where it beats the static split."""

from __future__ import annotations

import math
import random
from datetime import timedelta
from decimal import Decimal

from sqlalchemy import select

from tests.autopilot.test_campaigns_pages import add_metric
from tests.autopilot.test_orchestrator import activate, activity, campaigns_of, run_job
from tests.conftest import START, csrf_from, login
from webapp.core.extensions import db
from webapp.models import BudgetChange, CampaignMetric
from webapp.services.autopilot import optimizer_runs
from webapp.services.autopilot.campaigns import create_campaigns_from_strategy
from webapp.services.reporting.ad_results import import_api_rows

TWO = {
    "channels": [
        {"channel": "email", "percent": 50, "rationale": "Regulars."},
        {"channel": "meta_ads", "percent": 50, "rationale": "Reach."},
    ]
}


def _three_weeks(org, clock, *, email_every: int = 1, meta_every: int = 0):
    """Campaigns made 22 days ago; 21 days of results, email converting, Meta not."""
    config = activate(org, "1000", TWO, mode="learning")
    made = create_campaigns_from_strategy(db.session, config, org, now=START - timedelta(days=22))
    db.session.commit()
    email, meta = made
    for back in range(1, 22):
        day = START.date() - timedelta(days=back)
        add_metric(email, day, clicks=40, spend="22", conversions=1 if back % email_every == 0 else 0,
                   revenue="60" if back % email_every == 0 else "0")  # fmt: skip
        add_metric(meta, day, clicks=40, spend="22",
                   conversions=1 if meta_every and back % meta_every == 0 else 0,
                   revenue="60" if meta_every and back % meta_every == 0 else "0")  # fmt: skip
    db.session.commit()
    clock.set(START)
    return config, email, meta


def test_the_daily_job_moves_money_to_the_better_channel_and_explains_it(
    app, alice_org, clock, client, alice
):
    _config, email, meta = _three_weeks(alice_org, clock)
    preview = optimizer_runs.preview(db.session, alice_org, now=START)
    db.session.rollback()
    outcome = run_job(app, "orchestrator")
    assert outcome.status == "succeeded", outcome.message
    email, meta = campaigns_of(alice_org)
    # The dry run saw exactly what the run applied (the seed is the workspace's and week's).
    assert {d.campaign_id: d.after for d in preview.decisions} == {
        email.id: email.monthly_budget,
        meta.id: meta.monthly_budget,
    }
    assert email.monthly_budget > Decimal("500") > meta.monthly_budget, [
        d.reason for d in preview.decisions
    ]
    assert email.monthly_budget + meta.monthly_budget <= Decimal("1000")
    (summary,) = activity(alice_org, "autopilot.optimized")
    assert summary.description.startswith("Re-split the $")
    assert "to Email — Alice Bakes from Meta ads — Alice Bakes" in summary.description
    assert "Next dollar: Email — Alice Bakes returns about $" in summary.description
    (raised,) = activity(alice_org, "campaign.budget_increased")
    assert "returns about $" in raised.description and "likely between $" in raised.description
    assert raised.details["rule"] == "learning" and raised.details["return_per_dollar"] > 0
    login(client, alice)
    page = client.get(f"/campaigns/{email.id}").get_data(as_text=True)
    assert "Weekly re-split" in page and "The whole move" in page and "likely between $" in page
    # One move a week: the next day's run leaves the budgets alone and says so in the dry run.
    clock.set(START + timedelta(days=1))
    again = optimizer_runs.preview(db.session, alice_org, now=START + timedelta(days=1))
    assert again.skip_reason and "once a week" in again.skip_reason


def test_mode_switch_on_the_autopilot_page_keeps_history(app, alice_org, clock, client, alice):
    config, email, _meta = _three_weeks(alice_org, clock)
    run_job(app, "orchestrator")
    changes = db.session.scalars(select(BudgetChange).order_by(BudgetChange.id)).all()
    login(client, alice)
    page = client.get("/autopilot/").get_data(as_text=True)
    assert "How budgets are moved" in page and "Learning (now on)" in page
    token = csrf_from(page)
    bad = client.post("/autopilot/optimizer", data={"csrf_token": token, "mode": "magic"})
    assert bad.status_code == 422 and "Not a valid choice" in bad.get_data(as_text=True)
    bad = client.post(
        "/autopilot/optimizer", data={"csrf_token": token, "mode": "rules", "lead_value": "-3"}
    )
    assert bad.status_code == 422 and "Enter an amount from $0 to $100,000." in bad.get_data(
        as_text=True
    )
    ok = client.post(
        "/autopilot/optimizer", data={"csrf_token": token, "mode": "rules", "lead_value": "$40"}
    )
    assert ok.status_code == 303
    db.session.expire_all()
    assert config.optimizer_mode == "rules" and config.lead_value == Decimal("40.00")
    (row,) = activity(alice_org, "autopilot.optimizer_changed")
    assert (
        "conversion-rate rules" in row.description and "A lead is worth $40.00" in row.description
    )
    assert row.details["mode"] == {"before": "learning", "after": "rules"}
    assert "Rules (now on)" in client.get("/autopilot/").get_data(as_text=True)
    # History and explanations stay whatever the mode.
    assert db.session.scalars(select(BudgetChange).order_by(BudgetChange.id)).all() == changes
    page = client.get(f"/campaigns/{email.id}").get_data(as_text=True)
    assert "Weekly re-split" in page and "likely between $" in page


# --- a small simulated market: the real daily job against the static split ---------------------

CHANNELS = {"email": (0.5, 0.06, 30.0), "meta_ads": (1.0, 0.01, 200.0)}  # cpc, rate, daily cap


def _day_of(channel: str, spend: float, rng: random.Random) -> tuple[int, int]:
    cpc, rate, cap = CHANNELS[channel]
    mean = cap * (1 - math.exp(-spend / (cpc * cap)))
    clicks = sum(1 for _ in range(int(mean * 2)) if rng.random() < 0.5)
    return clicks, sum(1 for _ in range(clicks) if rng.random() < rate)


def _simulate(app, org, clock, *, learning: bool, seed: int) -> float:
    """Five weeks of a two-channel market; returns the revenue earned ($70 an order)."""
    rng, revenue = random.Random(seed), 0.0
    if learning:
        activate(org, "900", TWO, mode="learning")
    start = START.replace(day=1) + timedelta(days=30)  # 1 Dec 2026
    for day in range(35):
        now = start + timedelta(days=day)
        clock.set(now)
        if learning:
            run_job(app, "orchestrator", trigger="manual", org_id=org.id)
            campaigns = campaigns_of(org)
        budgets = {c.channel: float(c.monthly_budget) for c in campaigns} if learning else {
            "email": 450.0, "meta_ads": 450.0}  # fmt: skip
        month_start = now.date().replace(day=1)
        days_left = (month_start.replace(month=month_start.month % 12 + 1, year=month_start.year + (month_start.month == 12)) - now.date()).days  # fmt: skip
        rows = []
        for channel, budget in budgets.items():
            spent = 0.0
            if learning:
                spent = float(sum(m.spend for m in db.session.scalars(select(CampaignMetric).where(
                    CampaignMetric.campaign_id == next(c.id for c in campaigns if c.channel == channel),
                    CampaignMetric.day >= month_start))))  # fmt: skip
            spend = max(budget - spent, 0) / days_left if learning else budget / 31
            clicks, conv = _day_of(channel, spend, rng)
            revenue += conv * 70.0
            if learning:
                cid = next(c.id for c in campaigns if c.channel == channel)
                rows.append({"campaign_id": cid, "date": now.date().isoformat(), "spend": f"{spend:.2f}",
                             "clicks": clicks, "conversions": conv, "revenue": f"{conv * 70.0:.2f}"})  # fmt: skip
        if learning:
            report, _ = import_api_rows(db.session, org.id, rows, now=now)
            assert not report.errors
            db.session.commit()
    return revenue


def test_on_a_small_simulated_market_the_learning_mode_beats_the_static_split(
    app, alice_org, clock
):
    learned = _simulate(app, alice_org, clock, learning=True, seed=11)
    static = _simulate(app, alice_org, clock, learning=False, seed=11)
    assert learned > 1.1 * static, (learned, static)
    months = {}
    for m in db.session.scalars(select(CampaignMetric)):
        months[m.day.month] = months.get(m.day.month, 0) + m.spend
    assert all(total <= Decimal("900.00") for total in months.values()), months


def test_the_latest_move_can_be_undone_once_and_the_history_stays(
    app, alice_org, clock, client, alice
):
    _three_weeks(alice_org, clock)
    run_job(app, "orchestrator")
    email, meta = campaigns_of(alice_org)
    assert email.monthly_budget != Decimal("500.00")
    move = db.session.scalars(select(BudgetChange).where(BudgetChange.rule == "learning")).all()
    login(client, alice)
    page = client.get(f"/campaigns/{email.id}").get_data(as_text=True)
    assert "Undo this move" in page
    token = csrf_from(page)
    response = client.post(f"/campaigns/moves/{move[0].id}/undo", data={"csrf_token": token})
    assert response.status_code in (302, 303)
    email, meta = campaigns_of(alice_org)
    assert (email.monthly_budget, meta.monthly_budget) == (Decimal("500.00"), Decimal("500.00"))
    undos = db.session.scalars(select(BudgetChange).where(BudgetChange.rule == "undo")).all()
    assert sorted(u.details["undoes"] for u in undos) == sorted(c.id for c in move)
    (row,) = activity(alice_org, "autopilot.move_undone")
    assert "back to $500.00" in row.description and row.actor_id == alice.id
    # The move and its explanations stay; a second undo is refused (it is no longer the latest).
    assert db.session.scalars(select(BudgetChange).where(BudgetChange.rule == "learning")).all()
    page = client.get(f"/campaigns/{email.id}").get_data(as_text=True)
    assert "Undo this move" not in page and "Undone by hand" in page
    client.post(f"/campaigns/moves/{move[0].id}/undo", data={"csrf_token": token})
    assert len(activity(alice_org, "autopilot.move_undone")) == 1
    # The optimiser then waits a week before it moves money again.
    plan = optimizer_runs.preview(db.session, alice_org, now=START + timedelta(days=1))
    assert plan.skip_reason and "once a week" in plan.skip_reason
