"""The scheduled tick starts scheduled campaigns on their start date and completes active
ones after their end date, each by its workspace's own calendar, once per period."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import select

from jobs.runner import run_job
from jobs.schedule import registry
from tests.conftest import START
from tests.marketing.factories import make_campaign
from webapp.core.extensions import db
from webapp.models import ActivityLog, JobRun, MarketingCampaign
from webapp.services.marketing import change_status, run_due


def _scheduled(org, starts_on: date, ends_on: date | None = None, name="Open day"):
    campaign = make_campaign(org, name=name, starts_on=starts_on, ends_on=ends_on)
    change_status(db.session, org, campaign, "scheduled", actor_id=None, now=START)
    db.session.commit()
    return campaign


def _status(campaign_id: int) -> str:
    db.session.expire_all()
    return db.session.get(MarketingCampaign, campaign_id).status


def test_it_is_a_per_workspace_tick_every_quarter_hour():
    spec = registry()["marketing"]
    assert spec.schedule.minutes == 15 and spec.per_org


def test_a_campaign_starts_on_its_date_in_its_workspaces_zone(app, clock, alice_org, charlie):
    from tests.conftest import org_of

    alice_org.timezone = "Pacific/Auckland"  # UTC+13 in December
    charlie_org = org_of(charlie)
    charlie_org.timezone = "America/Los_Angeles"  # UTC-8
    db.session.commit()
    dec1 = date(2026, 12, 1)
    auckland = _scheduled(alice_org, dec1, name="Auckland open day")
    los_angeles = _scheduled(charlie_org, dec1, name="LA open day")

    # 30 Nov 12:00 UTC: already 1 Dec 01:00 in Auckland, still 30 Nov 04:00 in Los Angeles.
    clock.set(datetime(2026, 11, 30, 12, 0, tzinfo=UTC))
    result = run_due(db.session, now=clock())
    db.session.commit()
    assert (result.started, result.completed) == (1, 0)
    assert _status(auckland.id) == "active"
    assert _status(los_angeles.id) == "scheduled"

    clock.set(datetime(2026, 12, 1, 8, 0, tzinfo=UTC))  # 1 Dec 00:00 in Los Angeles
    assert run_due(db.session, now=clock()).started == 1
    db.session.commit()
    assert _status(los_angeles.id) == "active"
    started = db.session.get(MarketingCampaign, los_angeles.id).started_at
    assert started == datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
    feed = db.session.scalars(
        select(ActivityLog.description).where(ActivityLog.type == "marketing.campaign_active")
    ).all()
    assert "Campaign “LA open day” started on its start date." in feed


def test_a_campaign_completes_after_its_end_date(app, clock, alice_org):
    campaign = _scheduled(alice_org, date(2026, 11, 23), ends_on=date(2026, 11, 30))
    run_due(db.session, now=START)  # Monday 23 Nov: starts
    db.session.commit()
    assert _status(campaign.id) == "active"

    clock.set(datetime(2026, 11, 30, 23, 30, tzinfo=UTC))  # the last day, London: not yet
    assert run_due(db.session, now=clock()).completed == 0
    clock.set(datetime(2026, 12, 1, 0, 5, tzinfo=UTC))  # the day after it ends
    assert run_due(db.session, now=clock()).completed == 1
    db.session.commit()
    assert _status(campaign.id) == "completed"
    assert run_due(db.session, now=clock()) == run_due(db.session, now=clock())  # nothing more


def test_a_paused_campaign_completes_too(app, clock, alice_org):
    campaign = make_campaign(alice_org, ends_on=date(2026, 11, 24))
    change_status(db.session, alice_org, campaign, "active", actor_id=None, now=START)
    change_status(db.session, alice_org, campaign, "paused", actor_id=None, now=START)
    db.session.commit()
    assert run_due(db.session, now=datetime(2026, 11, 25, 9, tzinfo=UTC)).completed == 1
    db.session.commit()
    assert _status(campaign.id) == "completed"


def test_a_campaign_whose_dates_passed_unstarted_goes_back_to_draft(app, alice_org):
    campaign = _scheduled(alice_org, date(2026, 11, 24), ends_on=date(2026, 11, 25))
    result = run_due(db.session, now=datetime(2026, 11, 27, 9, tzinfo=UTC))
    db.session.commit()
    assert (result.started, result.completed) == (0, 0)
    assert _status(campaign.id) == "draft"


def test_the_job_runs_once_per_period_under_the_lock(app, clock, alice_org):
    campaign = _scheduled(alice_org, date(2026, 11, 24))
    db.session.commit()
    clock.set(datetime(2026, 11, 24, 0, 1, tzinfo=UTC))
    assert run_job(app, "marketing").status == "succeeded"
    assert _status(campaign.id) == "active"
    assert run_job(app, "marketing").status == "already_ran"
    summary = db.session.scalars(select(JobRun.summary).where(JobRun.job == "marketing")).one()
    assert summary == {"started": 1, "completed": 0}
