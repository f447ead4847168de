"""The ads ticks: the optimiser's budget moves reach the linked Meta campaign (orchestrator →
`ads.push_budget` → the `ads_work` tick), and the daily `ads_sync` pull."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import select

from tests.ads.conftest import save_meta
from tests.autopilot.test_orchestrator import _with_results, run_job
from webapp.core.extensions import db
from webapp.models import AdPlatformLink, CampaignMetric, JobRun, QueuedJob


def _link(org, campaign, platform_id: str, now) -> None:
    db.session.add(
        AdPlatformLink(
            org_id=org.id, campaign_id=campaign.id, provider="meta_ads",
            platform_campaign_id=platform_id, platform_name="Bakery reach", platform_status="ENABLED",
            currency="USD", daily_budget_minor=5000, created_at=now, updated_at=now,
        )
    )  # fmt: skip
    db.session.commit()


def test_the_optimisers_cut_is_pushed_to_the_linked_campaign(app, alice_org, graph, clock):
    meta, _google, _email = _with_results(app, alice_org, clock)
    save_meta(alice_org, clock())
    platform_id = graph.add_campaign("Bakery reach", 5000)
    _link(alice_org, meta, platform_id, clock())
    assert run_job(app, "orchestrator").status == "succeeded"
    [job] = db.session.scalars(select(QueuedJob).where(QueuedJob.kind == "ads.push_budget")).all()
    assert job.payload == {"campaign_id": meta.id, "reason": "optimizer"}
    assert graph.posts() == []  # nothing leaves the building inside the optimiser's run
    assert run_job(app, "ads_work").status == "succeeded"
    # Cut to 320.00; 280.00 spent this month, 8 days left (23rd–30th): 5.00 a day.
    assert graph.campaigns[platform_id]["daily_budget"] == "500"
    db.session.expire_all()
    assert db.session.scalar(select(AdPlatformLink)).daily_budget_minor == 500


def test_daily_sync_pulls_and_respreads(app, alice_org, graph, clock):
    meta, _google, _email = _with_results(app, alice_org, clock)
    save_meta(alice_org, clock())
    platform_id = graph.add_campaign("Bakery reach", 5000)
    _link(alice_org, meta, platform_id, clock())
    graph.set_day(
        platform_id, "2026-11-22", spend="41.00", clicks=120, purchases=1, purchase_value="30"
    )
    outcome = run_job(app, "ads_sync")
    assert outcome.status == "succeeded", outcome.message
    metric = db.session.scalar(
        select(CampaignMetric).where(
            CampaignMetric.campaign_id == meta.id, CampaignMetric.day == date(2026, 11, 22)
        )
    )
    assert (metric.spend, metric.clicks, metric.source) == (Decimal("41.00"), 120, "meta_ads")
    # 400.00 − (6 × 40 + 41) = 119.00 over 8 days → 14.87 a day.
    assert graph.campaigns[platform_id]["daily_budget"] == "1487"
    run = db.session.scalar(select(JobRun).where(JobRun.job == "ads_sync"))
    assert run.summary["pulls_queued"] == 1 and run.summary["completed"] == 2
