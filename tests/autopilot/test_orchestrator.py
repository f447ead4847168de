"""The daily autopilot job through the real runner: set-up, optimisation, lead sync, scope."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from jobs import runner
from tests.conftest import START, make_user, org_of
from webapp.core.extensions import db
from webapp.models import (
    ActivityLog,
    AutopilotConfig,
    BudgetChange,
    Campaign,
    CampaignMetric,
    CampaignTask,
    JobRun,
    Lead,
)
from webapp.services.autopilot import optimizer_runs
from webapp.services.autopilot.campaigns import allocate_budgets

STRATEGY = {
    "channels": [
        {"channel": "meta_ads", "percent": 40, "rationale": "Local reach for a bakery."},
        {"channel": "google_ads", "percent": 35, "rationale": "People searching for cakes."},
        {"channel": "email", "percent": 25, "rationale": "Bring regulars back."},
    ],
    "messaging": {
        "value_proposition": "Fresh every morning",
        "tone": "warm",
        "key_messages": ["Order by 10"],
    },
}


def activate(
    org,
    monthly: str = "1000",
    strategy: dict | None = None,
    status: str = "active",
    mode: str = "rules",
) -> AutopilotConfig:
    config = AutopilotConfig(
        org_id=org.id,
        status=status,
        optimizer_mode=mode,
        monthly_budget=Decimal(monthly),
        strategy=strategy or STRATEGY,
        created_at=START,
        updated_at=START,
        activated_at=START,
    )
    db.session.add(config)
    db.session.commit()
    return config


def run_job(app, name: str = "orchestrator", **kwargs) -> runner.RunOutcome:
    """Run the job as the scheduler would, ending the test's read snapshot before and after."""
    db.session.commit()
    outcome = runner.run_job(app, name, **kwargs)
    db.session.commit()
    return outcome


def campaigns_of(org) -> list[Campaign]:
    db.session.expire_all()
    return list(
        db.session.scalars(select(Campaign).where(Campaign.org_id == org.id).order_by(Campaign.id))
    )


def activity(org, type_: str) -> list[ActivityLog]:
    return list(
        db.session.scalars(
            select(ActivityLog)
            .where(ActivityLog.org_id == org.id, ActivityLog.type == type_)
            .order_by(ActivityLog.id)
        )
    )


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


# --- set-up from the strategy -------------------------------------------------------------------


def test_it_creates_one_campaign_per_channel_with_budgets_and_tasks(app, alice_org):
    activate(alice_org, "1000")
    outcome = run_job(app, "orchestrator")
    assert outcome.status == "succeeded", outcome.message
    made = campaigns_of(alice_org)
    assert [(c.name, c.channel, c.monthly_budget) for c in made] == [
        ("Meta ads — Alice Bakes", "meta_ads", Decimal("400.00")),
        ("Google ads — Alice Bakes", "google_ads", Decimal("350.00")),
        ("Email — Alice Bakes", "email", Decimal("250.00")),
    ]
    assert all(c.auto_managed and c.status == "active" and c.kind == "auto" for c in made)
    for c in made:
        assert 3 <= len(c.tasks) <= 5 and all(t.done_at is None for t in c.tasks)
    rows = activity(alice_org, "campaign.created")
    assert len(rows) == 3 and rows[0].actor_id is None
    assert rows[0].details["before"] == "0.00" and rows[0].details["after"] == "400.00"
    assert "40% of the monthly budget of $1,000.00" in rows[0].details["reason"]
    assert "Local reach for a bakery." in rows[0].description
    history = db.session.scalars(select(BudgetChange).order_by(BudgetChange.id)).all()
    assert [h.rule for h in history] == ["initial"] * 3
    run = db.session.scalars(select(JobRun)).one()
    assert run.summary["campaigns_created"] == 3 and run.period == "2026-11-23"


@pytest.mark.parametrize(
    ("monthly", "percents", "expected"),
    [
        (
            "100",
            [Decimal("33.33"), Decimal("33.33"), Decimal("33.34")],
            ["33.33", "33.33", "33.34"],
        ),
        ("100", [Decimal(1), Decimal(1), Decimal(1)], ["1.00", "1.00", "1.00"]),
        ("10", [Decimal(100) / 3] * 3, ["3.34", "3.33", "3.33"]),
        ("999.99", [Decimal(50), Decimal(50)], ["500.00", "499.99"]),
        ("100", [Decimal(80), Decimal(70)], ["53.33", "46.67"]),  # more than 100%: scaled down
        (
            "100",
            [Decimal(50), Decimal(20)],
            ["50.00", "20.00"],
        ),  # less than 100%: the rest kept back
        ("0", [Decimal(100)], ["0.00"]),
    ],
)
def test_it_never_allocates_more_than_the_monthly_budget(monthly, percents, expected):
    shares = allocate_budgets(Decimal(monthly), percents)
    assert [str(s) for s in shares] == expected
    assert sum(shares) <= Decimal(monthly)


def test_it_keeps_the_created_budgets_within_an_odd_monthly_budget(app, alice_org):
    strategy = {
        "channels": [{"channel": ch, "percent": 100 / 3} for ch in ("seo", "sms", "whatsapp")]
    }
    activate(alice_org, "1000.01", strategy)
    run_job(app, "orchestrator")
    budgets = [c.monthly_budget for c in campaigns_of(alice_org)]
    assert len(budgets) == 3 and sum(budgets) == Decimal("1000.01")


def test_it_ignores_paused_and_draft_autopilots(app, alice_org, charlie):
    activate(alice_org, status="paused")
    activate(org_of(charlie), status="draft")
    assert run_job(app, "orchestrator").status == "succeeded"
    assert count(Campaign) == 0


def test_it_skips_a_workspace_whose_strategy_has_no_channels(app, alice_org, charlie):
    activate(alice_org, strategy={"channels": []})
    activate(org_of(charlie))
    outcome = run_job(app, "orchestrator")
    assert outcome.status == "succeeded"
    assert campaigns_of(alice_org) == [] and len(campaigns_of(org_of(charlie))) == 3
    run = db.session.scalars(select(JobRun)).one()
    assert run.summary["workspaces_without_strategy"] == 1


# --- optimisation and idempotency ------------------------------------------------------------------


def _with_results(app, org, clock) -> list[Campaign]:
    """Set up the campaigns a week ago, then give them a week of telling results."""
    activate(org, "1000")
    clock.set(START - timedelta(days=8))
    run_job(app, "orchestrator", trigger="manual")
    clock.set(START)
    meta, google, email = campaigns_of(org)
    for day in range(16, 23):
        for c, clicks, conv, spend in (
            (meta, 100, 0, "40"),
            (google, 100, 2, "10"),
            (email, 100, 6, "5"),
        ):
            db.session.add(
                CampaignMetric(
                    org_id=org.id,
                    campaign_id=c.id,
                    day=date(2026, 11, day),
                    clicks=clicks,
                    conversions=conv,
                    spend=Decimal(spend),
                    updated_at=START,
                )
            )
    db.session.commit()
    return [meta, google, email]


def test_it_optimises_and_explains_each_change(app, alice_org, clock):
    meta, google, email = _with_results(app, alice_org, clock)
    assert run_job(app, "orchestrator").status == "succeeded"
    meta, google, email = campaigns_of(alice_org)
    # meta: 0% with 280/400 = 70% spent → cut; email: 6% with 35/250 spent → raise, funded by the cut
    assert meta.monthly_budget == Decimal("320.00")
    assert google.monthly_budget == Decimal("350.00")
    assert email.monthly_budget == Decimal("300.00")
    cut = activity(alice_org, "campaign.budget_decreased")[0]
    assert (cut.details["before"], cut.details["after"]) == ("400.00", "320.00")
    assert cut.entity_type == "campaign" and cut.entity_id == str(meta.id)
    assert "Conversion rate 0% (0 of 700 clicks, 16 Nov–22 Nov)" in cut.details["reason"]
    raised = activity(alice_org, "campaign.budget_increased")[0]
    assert (raised.details["before"], raised.details["after"]) == ("250.00", "300.00")
    summary = activity(alice_org, "autopilot.optimized")[0]
    assert "2 budget changes" in summary.description and summary.details["period"] == "2026-11-23"
    assert sum(c.monthly_budget for c in campaigns_of(alice_org)) <= Decimal("1000")


def test_it_changes_nothing_when_run_twice_the_same_day(app, alice_org, clock):
    _with_results(app, alice_org, clock)
    assert run_job(app, "orchestrator").status == "succeeded"
    before = (
        [c.monthly_budget for c in campaigns_of(alice_org)],
        count(BudgetChange),
        count(ActivityLog),
    )
    clock.advance(hours=3)
    assert run_job(app, "orchestrator").status == "already_ran"  # the scheduler's slot
    outcome = run_job(
        app, "orchestrator", trigger="manual", org_id=alice_org.id
    )  # a person's "Run now"
    assert outcome.status == "succeeded"
    after = (
        [c.monthly_budget for c in campaigns_of(alice_org)],
        count(BudgetChange),
        count(ActivityLog),
    )
    assert after == before
    run = db.session.get(JobRun, outcome.run_id)
    assert run.summary["workspaces_skipped"] == 1 and "budget_changes" not in run.summary


def test_it_waits_a_day_after_creating_campaigns(app, alice_org, clock):
    activate(alice_org)
    run_job(app, "orchestrator")
    clock.advance(hours=2)
    run_job(app, "orchestrator", trigger="manual")
    assert activity(alice_org, "autopilot.optimized") == []
    clock.advance(days=1)
    run_job(app, "orchestrator")
    (summary,) = activity(alice_org, "autopilot.optimized")
    assert "no budget changes" in summary.description
    assert all(d["action"] == "skip" for d in summary.details["decisions"])  # no clicks yet


def test_the_dry_run_changes_nothing(app, alice_org, clock):
    _with_results(app, alice_org, clock)
    counts = (count(BudgetChange), count(ActivityLog))
    plan = optimizer_runs.preview(db.session, alice_org, now=START)
    db.session.commit()
    assert [d.action for d in plan.decisions] == ["decrease", "hold", "increase"]
    assert (count(BudgetChange), count(ActivityLog)) == counts
    assert [c.monthly_budget for c in campaigns_of(alice_org)] == [
        Decimal("400.00"),
        Decimal("350.00"),
        Decimal("250.00"),
    ]


# --- a new plan ------------------------------------------------------------------------------------


def test_it_follows_a_new_plan_when_the_wizard_is_re_run(app, alice_org, clock):
    config = activate(alice_org, "1000")
    run_job(app)
    clock.advance(days=3)
    config = db.session.get(AutopilotConfig, config.id)
    config.strategy = {
        "channels": [{"channel": "meta_ads", "percent": 50}, {"channel": "seo", "percent": 50}]
    }
    config.monthly_budget = Decimal("2000")
    config.activated_at = clock()
    db.session.commit()
    outcome = run_job(app, trigger="manual")
    assert outcome.status == "succeeded"
    by_channel = {c.channel: c for c in campaigns_of(alice_org)}
    assert {ch: (c.status, c.monthly_budget) for ch, c in by_channel.items()} == {
        "meta_ads": ("active", Decimal("1000.00")),
        "google_ads": ("paused", Decimal("0.00")),
        "email": ("paused", Decimal("0.00")),
        "seo": ("active", Decimal("1000.00")),
    }
    assert sum(c.monthly_budget for c in by_channel.values()) <= Decimal("2000")
    (replanned,) = activity(alice_org, "campaign.replanned")
    assert (replanned.details["before"], replanned.details["after"]) == ("400.00", "1000.00")
    assert "New plan: 50% of the monthly budget of $2,000.00." in replanned.description
    assert len(activity(alice_org, "campaign.paused")) == 2
    assert db.session.get(JobRun, outcome.run_id).summary["workspaces_replanned"] == 1
    counts = (count(BudgetChange), count(ActivityLog))
    clock.advance(hours=1)
    run_job(app, trigger="manual")
    assert (count(BudgetChange), count(ActivityLog)) == counts
    clock.advance(days=1)
    run_job(app)
    assert len(activity(alice_org, "campaign.replanned")) == 1
    assert (
        len(activity(alice_org, "autopilot.optimized")) == 1
    )  # back to optimising (nothing to judge yet)


# --- leads -------------------------------------------------------------------------------------------


def _lead(
    org, source: str, *, days_ago: float = 1, campaign_id: int | None = None, n: int = 0
) -> Lead:
    at = START - timedelta(days=days_ago)
    lead = Lead(
        org_id=org.id,
        full_name=f"Lead {source} {n}",
        email=f"{source}{n}@example.com",
        source=source,
        campaign_id=campaign_id,
        created_at=at,
        updated_at=at,
        search_text=f"lead {source}",
    )
    db.session.add(lead)
    db.session.commit()
    return lead


def test_it_links_the_last_7_days_of_leads_to_their_campaigns_once(app, alice_org, clock):
    activate(alice_org)
    clock.set(START - timedelta(days=1))
    run_job(app, "orchestrator", trigger="manual")
    clock.set(START)
    meta, google, email = campaigns_of(alice_org)
    fresh_meta = _lead(alice_org, "meta_ads", n=1)
    fresh_google = _lead(alice_org, "google_ads", n=2)
    fresh_email = _lead(alice_org, "email", n=3)
    from_form = _lead(alice_org, "form", n=4)
    no_campaign = _lead(alice_org, "sms", n=5)  # no SMS campaign in this strategy
    old = _lead(alice_org, "meta_ads", days_ago=8, n=6)
    already = _lead(alice_org, "meta_ads", campaign_id=google.id, n=7)

    outcome = run_job(app, "orchestrator")
    assert outcome.status == "succeeded"
    db.session.expire_all()
    assert fresh_meta.campaign_id == meta.id and fresh_google.campaign_id == google.id
    assert fresh_email.campaign_id == email.id
    assert (
        from_form.campaign_id is None
        and no_campaign.campaign_id is None
        and old.campaign_id is None
    )
    assert already.campaign_id == google.id
    (row,) = activity(alice_org, "leads.attributed")
    assert row.details["linked"] == 3 and "Linked 3 leads" in row.description
    assert db.session.get(JobRun, outcome.run_id).summary["leads_linked"] == 3

    clock.advance(hours=1)
    again = run_job(app, "orchestrator", trigger="manual")
    assert db.session.get(JobRun, again.run_id).summary.get("leads_linked", 0) == 0
    assert len(activity(alice_org, "leads.attributed")) == 1


def test_it_links_leads_on_the_day_it_creates_the_campaigns(app, alice_org):
    activate(alice_org)
    lead = _lead(alice_org, "google_ads")
    run_job(app, "orchestrator")
    db.session.expire_all()
    google = next(c for c in campaigns_of(alice_org) if c.channel == "google_ads")
    assert lead.campaign_id == google.id


# --- scope --------------------------------------------------------------------------------------------


def test_a_manual_run_for_one_workspace_touches_only_that_workspace(app, alice, alice_org, charlie):
    charlie_org = org_of(charlie)
    activate(alice_org)
    activate(charlie_org)
    dana = make_user("dana@example.com", "Dana", workspace="Dana Designs")
    activate(org_of(dana))
    outcome = run_job(app, "orchestrator", trigger="manual", org_id=alice_org.id, actor_id=alice.id)
    assert outcome.status == "succeeded"
    assert len(campaigns_of(alice_org)) == 3
    assert campaigns_of(charlie_org) == [] and campaigns_of(org_of(dana)) == []
    assert count(CampaignTask) == sum(len(c.tasks) for c in campaigns_of(alice_org))
    run = db.session.get(JobRun, outcome.run_id)
    assert (run.org_id, run.started_by_id, run.summary["workspaces"]) == (alice_org.id, alice.id, 1)


def test_a_manual_run_for_a_workspace_without_an_active_autopilot_says_so(app, alice_org):
    outcome = run_job(app, "orchestrator", trigger="manual", org_id=alice_org.id)
    assert outcome.status == "succeeded"
    assert db.session.get(JobRun, outcome.run_id).summary == {"not_active": 1}


def test_it_processes_many_workspaces_in_batches(app, monkeypatch):
    from jobs import orchestrator

    monkeypatch.setattr(orchestrator, "BATCH", 2)
    orgs = [
        org_of(make_user(f"owner{i}@example.com", f"Owner {i}", workspace=f"Shop {i}"))
        for i in range(5)
    ]
    for org in orgs:
        activate(org)
    outcome = run_job(app, "orchestrator")
    assert outcome.status == "succeeded"
    assert all(len(campaigns_of(org)) == 3 for org in orgs)
    assert db.session.get(JobRun, outcome.run_id).summary["workspaces"] == 5


def test_one_failing_workspace_does_not_stop_or_undo_the_others(app, monkeypatch):
    from jobs import orchestrator
    from webapp.services.autopilot import campaigns as campaign_service

    orgs = [
        org_of(make_user(f"shop{i}@example.com", f"Shop {i}", workspace=f"Shop {i}"))
        for i in range(4)
    ]
    for org in orgs:
        activate(org)
    broken = orgs[2].id
    real = campaign_service.create_campaigns_from_strategy

    def create(session, config, org, *, now):
        made = real(session, config, org, now=now)
        if org.id == broken:
            raise RuntimeError("the disk is on fire")
        return made

    monkeypatch.setattr(campaign_service, "create_campaigns_from_strategy", create)
    monkeypatch.setattr(
        orchestrator, "GROUP_SIZE", 10
    )  # all four in one group: the group is redone
    outcome = run_job(app)
    assert outcome.status == "failed" and "1 workspace(s) failed" in outcome.message
    assert "the disk is on fire" in outcome.message
    assert [len(campaigns_of(org)) for org in orgs] == [3, 3, 0, 3]
    assert len(activity(orgs[0], "campaign.created")) == 3  # redone once, not twice
