"""Meta ads end to end: the real `facebook-business` SDK against a local Graph API server,
through the ads services and the work engine (Test connection, linking, the daily pull with
late conversions, budget pushes read back, a refusal, a rate limit, an expired token, and
the month cap)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import select

from tests.ads.conftest import jobs_of, run_jobs, save_meta
from tests.fakes.meta_graph import graph_error
from webapp.core.extensions import db
from webapp.models import ActivityLog, AdPlatformLink, BudgetChange, CampaignMetric, CircuitBreaker
from webapp.services.ads import (
    link_campaign,
    platform_campaigns,
    queue_budget_pushes,
    queue_pulls,
)
from webapp.services.connections import checks as connection_checks
from webapp.services.ops.workspace_health import workspace_health
from webapp.services.reporting.ad_results import import_api_rows


def try_connection(session, org_id: int, provider: str, *, now):
    session.commit()  # no transaction may span the provider call
    return connection_checks.test_connection(session, org_id, provider, now=now)


def _link(org, campaign, graph, clock, *, budget: int = 1500) -> str:
    cid = graph.add_campaign("Winter sale", budget)
    org_id = org.id
    db.session.commit()  # the platform is called with no transaction of ours open
    [platform] = platform_campaigns(db.engine, org_id, "meta_ads", clock=clock)
    link_campaign(db.session, org, campaign, platform, created=False, actor_id=None, now=clock())
    run_jobs(clock)  # the push a new link queues
    return cid


def _metric(campaign, day: date) -> CampaignMetric:
    return db.session.scalar(
        select(CampaignMetric).where(
            CampaignMetric.campaign_id == campaign.id, CampaignMetric.day == day
        )
    )


def test_connection_names_what_worked(alice_org, meta_campaign, graph, clock):
    graph.add_campaign("Winter sale", 1500)
    result = try_connection(db.session, alice_org.id, "meta_ads", now=clock())
    assert result.ok, result.summary
    assert "Sign in with the access token" in result.summary
    assert "act_1234567890" in result.summary and "USD" in result.summary
    assert "read campaigns (1 campaign)" in result.summary


def test_connection_with_a_wrong_account_says_what_worked_and_the_fix(
    alice_org, meta_campaign, clock
):
    save_credentials_with_account(alice_org, clock, "act_999")
    db.session.commit()
    result = try_connection(db.session, alice_org.id, "meta_ads", now=clock())
    assert not result.ok
    assert result.error_class == "CONFIGURATION_ERROR"
    assert result.summary.startswith("Sign in with the access token")
    assert "failed while open ad account act_999" in result.summary
    assert "ad account id" in result.summary


def save_credentials_with_account(org, clock, account: str) -> None:
    from webapp.services.connections import save_credentials

    save_credentials(
        db.session, org.id, "meta_ads", {"ad_account_id": account, "app_id": "4242",
        "app_secret": "", "access_token": ""}, actor_id=None, now=clock(),
    )  # fmt: skip


def test_linking_pushes_the_daily_budget_and_reads_it_back(alice_org, meta_campaign, graph, clock):
    cid = _link(alice_org, meta_campaign, graph, clock)
    # 310.00 over the 16 days left of December (16th to 31st): 19.375 → 1937 cents, rounded down.
    assert graph.campaigns[cid]["daily_budget"] == "1937"
    link = db.session.scalar(select(AdPlatformLink))
    assert (link.daily_budget_minor, link.last_error) == (1937, None)
    calls = [(m, p.strip("/").split("/")[-1]) for m, p, _ in graph.requests]
    set_at = calls.index(("POST", cid))
    assert ("GET", cid) in calls[set_at + 1 :], "the budget is read back after it is set"
    assert jobs_of("ads.push_budget")[0].status == "completed"


def test_pull_writes_results_and_a_later_pull_corrects_late_conversions(
    alice_org, meta_campaign, graph, clock
):
    cid = _link(alice_org, meta_campaign, graph, clock)
    graph.set_day(cid, "2026-12-15", spend="20.50", impressions=2000, clicks=50, purchases=1,
                  purchase_value="40.00")  # fmt: skip
    assert queue_pulls(db.session, now=clock()) == 1
    run_jobs(clock)
    first = _metric(meta_campaign, date(2026, 12, 15))
    assert (first.spend, first.clicks, first.impressions) == (Decimal("20.50"), 50, 2000)
    assert (first.conversions, first.revenue, first.source) == (1, Decimal("40.00"), "meta_ads")
    [insights] = [p for m, path, p in graph.requests if path.strip("/").endswith("insights")]
    assert (
        '"since": "2026-12-08"' in insights["time_range"] or "2026-12-08" in insights["time_range"]
    )

    # Next day: two more purchases were attributed to the 15th (late conversions).
    clock.advance(days=1)
    graph.set_day(cid, "2026-12-15", spend="20.50", impressions=2000, clicks=50, purchases=3,
                  purchase_value="120.00")  # fmt: skip
    graph.set_day(cid, "2026-12-16", spend="18.00", impressions=1500, clicks=30)
    queue_pulls(db.session, now=clock())
    run_jobs(clock)
    corrected = _metric(meta_campaign, date(2026, 12, 15))
    assert corrected.id == first.id  # the same day's row, overwritten
    assert (corrected.conversions, corrected.revenue) == (3, Decimal("120.00"))
    assert _metric(meta_campaign, date(2026, 12, 16)).spend == Decimal("18.00")
    assert db.session.query(CampaignMetric).count() == 2
    pulled = db.session.scalars(
        select(ActivityLog).where(ActivityLog.type == "ads.results_pulled").order_by(ActivityLog.id)
    ).all()
    assert "1 new day, 1 updated" in pulled[-1].description


def test_refused_push_keeps_our_budget_equal_to_the_platforms(
    alice_org, meta_campaign, graph, clock
):
    cid = _link(alice_org, meta_campaign, graph, clock)
    meta_campaign.monthly_budget = Decimal("150.00")  # the optimiser cut it
    queue_budget_pushes(
        db.session, alice_org.id, [meta_campaign.id], now=clock(), reason="optimizer"
    )
    graph.fail_next(
        "POST",
        graph_error(368, "The action attempted has been deemed abusive or is otherwise disallowed"),
    )
    run_jobs(clock)
    [_, refused] = jobs_of("ads.push_budget")
    assert refused.status == "failed" and refused.attempts == 1  # never retried
    assert graph.campaigns[cid]["daily_budget"] == "1937"
    db.session.refresh(meta_campaign)
    # What 19.37 a day for the 16 days left amounts to: our budget matches the platform's.
    assert meta_campaign.monthly_budget == Decimal("309.92")
    change = db.session.scalar(select(BudgetChange).where(BudgetChange.rule == "platform_refused"))
    assert (change.before, change.after) == (Decimal("150.00"), Decimal("309.92"))
    assert "deemed abusive" in change.reason
    link = db.session.scalar(select(AdPlatformLink))
    assert "deemed abusive" in link.last_error and link.daily_budget_minor == 1937


def test_rate_limited_push_is_retried_later_as_a_queue_job(alice_org, meta_campaign, graph, clock):
    cid = _link(alice_org, meta_campaign, graph, clock)
    meta_campaign.monthly_budget = Decimal("160.00")
    queue_budget_pushes(
        db.session, alice_org.id, [meta_campaign.id], now=clock(), reason="optimizer"
    )
    usage = '{"1234567890":[{"type":"ads_management","call_count":100,"estimated_time_to_regain_access":5}]}'
    graph.fail_next("POST", graph_error(80004, "There have been too many calls to this ad-account."),
                    400, {"X-Business-Use-Case-Usage": usage})  # fmt: skip
    run_jobs(clock)
    job = jobs_of("ads.push_budget")[-1]
    assert job.status == "pending" and job.error_class == "RATE_LIMITED"
    assert job.run_at >= clock() + timedelta(minutes=5)  # never before Meta lets us back in
    assert graph.campaigns[cid]["daily_budget"] == "1937"
    run_jobs(clock)  # not due yet: nothing is sent
    assert graph.campaigns[cid]["daily_budget"] == "1937"
    clock.advance(minutes=30)
    run_jobs(clock)
    assert jobs_of("ads.push_budget")[-1].status == "completed"
    assert graph.campaigns[cid]["daily_budget"] == "1000"  # 160.00 / 16


def test_expired_token_fails_the_push_and_raises_a_health_issue_with_the_fix(
    alice_org, meta_campaign, graph, clock
):
    _link(alice_org, meta_campaign, graph, clock)
    clock.advance(hours=2)
    graph.token_valid = False
    queue_budget_pushes(
        db.session, alice_org.id, [meta_campaign.id], now=clock(), reason="optimizer"
    )
    run_jobs(clock)
    job = jobs_of("ads.push_budget")[-1]
    assert job.status == "failed" and job.error_class == "THIRD_PARTY_AUTH_FAILED"
    breaker = db.session.scalar(select(CircuitBreaker).where(CircuitBreaker.provider == "meta_ads"))
    assert breaker.last_error_class == "THIRD_PARTY_AUTH_FAILED"
    health = workspace_health(db.session, alice_org.id, now=clock())
    [issue] = [i for i in health.issues if i.key == "integration:meta_ads"]
    assert issue.title == "Meta rejected the credentials"
    assert "system-user token" in issue.fix and issue.link == "/settings/integrations"
    assert "Session has expired" in issue.detail
    # Saving a fresh token and testing the connection clears it.
    graph.token_valid = True
    clock.advance(minutes=5)
    save_meta(alice_org, clock())
    db.session.commit()
    assert try_connection(db.session, alice_org.id, "meta_ads", now=clock()).ok
    db.session.commit()
    health = workspace_health(db.session, alice_org.id, now=clock())
    assert not [i for i in health.issues if i.key == "integration:meta_ads"]


def test_month_cap_reached_mid_month_pauses_the_campaign(alice_org, meta_campaign, graph, clock):
    cid = _link(alice_org, meta_campaign, graph, clock)
    # Days 1–7 came from an upload (before the link), days 8–15 from the platform.
    rows = [{"campaign_id": meta_campaign.id, "date": f"2026-12-{d:02d}", "spend": "20.00"}
            for d in range(1, 8)]  # fmt: skip
    report, _ = import_api_rows(db.session, alice_org.id, rows, now=clock())
    assert not report.errors
    for d in range(8, 16):
        graph.set_day(cid, f"2026-12-{d:02d}", spend="22.00", clicks=10)
    queue_pulls(db.session, now=clock())
    run_jobs(clock)  # the pull, then the push it queues: 140 + 176 = 316 ≥ 310
    assert graph.campaigns[cid]["status"] == "PAUSED"
    link = db.session.scalar(select(AdPlatformLink))
    assert (link.paused_month, link.platform_status) == ("2026-12", "PAUSED")
    paused = db.session.scalar(select(ActivityLog).where(ActivityLog.type == "ads.paused_for_cap"))
    assert "316.00" in paused.description and "310.00" in paused.description
    posts = len(graph.posts())
    queue_budget_pushes(
        db.session, alice_org.id, [meta_campaign.id], now=clock(), reason="optimizer"
    )
    run_jobs(clock)
    assert len(graph.posts()) == posts  # paused once for the month, not again


def test_on_the_months_last_day_a_generous_day_cannot_pass_the_budget(
    alice_org, meta_campaign, graph, clock
):
    """Meta may spend 75 % over a daily budget: with 40.00 left on the last day, the daily
    budget is 22.85 (40 ÷ 1.75), not 40.00 (which could spend 70.00)."""
    from datetime import UTC, datetime

    cid = _link(alice_org, meta_campaign, graph, clock)
    clock.set(datetime(2026, 12, 31, 10, 0, tzinfo=UTC))
    rows = [{"campaign_id": meta_campaign.id, "date": f"2026-12-{d:02d}", "spend": "9.00"}
            for d in range(1, 31)]  # fmt: skip
    report, _ = import_api_rows(db.session, alice_org.id, rows, now=clock())
    assert not report.errors  # 270.00 spent of 310.00: 40.00 left
    queue_budget_pushes(
        db.session, alice_org.id, [meta_campaign.id], now=clock(), reason="optimizer"
    )
    run_jobs(clock)
    assert graph.campaigns[cid]["daily_budget"] == "2285"  # 40.00 ÷ 1.75, rounded down
    assert Decimal("22.85") * Decimal("1.75") <= Decimal("40.00")


def test_pausing_a_marketing_campaign_pauses_its_lines_and_the_ad(
    alice_org, meta_campaign, graph, clock
):
    """The paid-media lines follow their campaign: paused with it (and the linked Meta
    campaign paused by the push), resumed with it — only the lines its pause paused."""
    from tests.marketing.factories import make_campaign
    from webapp.services.marketing import change_status
    from webapp.services.marketing.paid_media import link_line

    cid = _link(alice_org, meta_campaign, graph, clock)
    assert graph.campaigns[cid]["status"] != "PAUSED"
    spring = make_campaign(alice_org, now=clock(), status="active")
    link_line(db.session, alice_org, spring, meta_campaign.id, actor_id=None, now=clock())
    change_status(db.session, alice_org, spring, "paused", actor_id=None, now=clock())
    assert meta_campaign.status == "paused"
    run_jobs(clock)
    assert graph.campaigns[cid]["status"] == "PAUSED"
    said = db.session.scalar(select(ActivityLog).where(ActivityLog.type == "ads.paused_with_line"))
    assert "turn the ad back on" in said.description

    change_status(db.session, alice_org, spring, "active", actor_id=None, now=clock())
    db.session.refresh(meta_campaign)
    assert meta_campaign.status == "active" and "paused_with_campaign" not in meta_campaign.settings


def test_without_credentials_nothing_is_pulled_or_pushed(alice_org, app, clock):
    from tests.ads.conftest import add_campaign

    campaign = add_campaign(alice_org, "meta_ads", "100.00", clock())
    db.session.add(
        AdPlatformLink(org_id=alice_org.id, campaign_id=campaign.id, provider="meta_ads",
                       platform_campaign_id="1", platform_name="x", platform_status="ENABLED",
                       currency="USD", daily_budget_minor=0, created_at=clock(), updated_at=clock())
    )  # fmt: skip
    db.session.commit()
    assert queue_pulls(db.session, now=clock()) == 0
    queue_budget_pushes(db.session, alice_org.id, [campaign.id], now=clock(), reason="optimizer")
    run_jobs(clock)
    assert jobs_of("ads.push_budget")[0].result == {"skipped": "no credentials"}


def test_next_month_the_budget_is_set_again_and_the_owner_told_it_is_still_paused(
    alice_org, meta_campaign, graph, clock
):
    from datetime import UTC, datetime

    cid = _link(alice_org, meta_campaign, graph, clock)
    rows = [{"campaign_id": meta_campaign.id, "date": "2026-12-10", "spend": "320.00"}]
    import_api_rows(db.session, alice_org.id, rows, now=clock())
    queue_budget_pushes(
        db.session, alice_org.id, [meta_campaign.id], now=clock(), reason="optimizer"
    )
    run_jobs(clock)
    assert graph.campaigns[cid]["status"] == "PAUSED"
    clock.set(datetime(2027, 1, 1, 9, 0, tzinfo=UTC))
    queue_budget_pushes(db.session, alice_org.id, [meta_campaign.id], now=clock(), reason="daily")
    run_jobs(clock)
    assert graph.campaigns[cid]["daily_budget"] == "1000"  # 310.00 over January's 31 days
    assert graph.campaigns[cid]["status"] == "PAUSED"  # never switched on by us
    link = db.session.scalar(select(AdPlatformLink))
    assert link.paused_month is None
    note = db.session.scalar(select(ActivityLog).where(ActivityLog.type == "ads.still_paused"))
    assert "turn it on in Meta ads" in note.description
