"""The weekly report job, run through the real runner (lock, period row, commit per workspace)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from sqlalchemy import select

from jobs.runner import run_job
from tests.conftest import START, add_member, make_user, org_of
from tests.reporting.test_reports import WEEK, add_leads, add_metric, make_campaign, noon
from webapp.core.extensions import db
from webapp.models import (
    ActivityLog,
    AutopilotConfig,
    JobRun,
    Organization,
    OutboxMessage,
    WeeklyReport,
)
from webapp.services.reporting import reports

MONDAY_9 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def autopilot(org: Organization, status: str = "active") -> AutopilotConfig:
    config = AutopilotConfig(
        org_id=org.id,
        status=status,
        monthly_budget=Decimal("1000"),
        created_at=START,
        updated_at=START,
    )
    db.session.add(config)
    db.session.commit()
    return config


def reports_of(org_id: int) -> list[WeeklyReport]:
    db.session.commit()  # a new snapshot: the job wrote on its own connection
    return list(db.session.scalars(select(WeeklyReport).where(WeeklyReport.org_id == org_id)))


def outbox(org_id: int) -> list[OutboxMessage]:
    db.session.commit()  # a new snapshot: the job wrote on its own connection
    return list(
        db.session.scalars(
            select(OutboxMessage).where(OutboxMessage.org_id == org_id).order_by(OutboxMessage.to)
        )
    )


def activity(org_id: int, type_: str) -> list[ActivityLog]:
    db.session.commit()  # a new snapshot: the job wrote on its own connection
    return list(
        db.session.scalars(
            select(ActivityLog)
            .where(ActivityLog.org_id == org_id, ActivityLog.type == type_)
            .order_by(ActivityLog.id)
        )
    )


def test_it_is_registered_for_mondays_at_nine_utc(app):
    spec = app.extensions["jobs"].specs["weekly_report"]
    assert spec.title == "Weekly report" and spec.per_org
    assert spec.schedule.describe() == "Mondays at 09:00 UTC"


def test_it_reports_every_workspace_with_an_autopilot(app, alice_org, charlie, clock):
    charlie_org = org_of(charlie)
    draft = Organization(name="Draft Only", timezone="UTC", created_at=START)
    db.session.add(draft)
    db.session.commit()
    autopilot(alice_org, "active")
    autopilot(charlie_org, "paused")
    autopilot(draft, "draft")
    meta = make_campaign(alice_org, "meta_ads")
    add_metric(meta, WEEK, spend="40.00", revenue="120.00")
    add_leads(alice_org, noon(WEEK), 5, campaign=meta)
    db.session.commit()

    outcome = run_job(app, "weekly_report")
    assert outcome.status == "succeeded", outcome.message
    [alice_report] = reports_of(alice_org.id)
    assert (
        alice_report.week_start == WEEK
        and alice_report.leads == 5
        and alice_report.top_channel == "meta_ads"
    )
    assert len(reports_of(charlie_org.id)) == 1
    assert reports_of(draft.id) == []

    [logged] = activity(alice_org.id, "report.generated")
    assert logged.actor_id is None  # automated
    assert logged.description.startswith(
        "Weekly report for 16–22 Nov 2026: 5 leads, $40.00 spent, $120.00 revenue, ROI 3.00×"
    )
    assert logged.details["leads"] == 5 and logged.details["roi"] == "3.0000"
    assert logged.entity_type == "weekly_report" and logged.entity_id == str(alice_report.id)


def test_it_runs_once_per_iso_week(app, alice_org, clock):
    autopilot(alice_org)
    clock.set(MONDAY_9)
    assert run_job(app, "weekly_report").status == "succeeded"
    clock.advance(hours=3)
    assert run_job(app, "weekly_report").status == "already_ran"
    clock.set(MONDAY_9 + timedelta(days=7))
    assert run_job(app, "weekly_report").status == "succeeded"
    periods = [
        run.period
        for run in db.session.scalars(select(JobRun).where(JobRun.job == "weekly_report"))
    ]
    assert periods == ["2026-W48", "2026-W49"]
    assert [r.week_start for r in reports_of(alice_org.id)] == [WEEK, WEEK + timedelta(days=7)]


def test_it_reports_one_workspace_when_run_by_hand(app, alice, alice_org, charlie, clock):
    autopilot(org_of(charlie))  # has an autopilot, but was not asked for
    outcome = run_job(
        app, "weekly_report", trigger="manual", org_id=alice_org.id, actor_id=alice.id
    )
    assert outcome.status == "succeeded"
    [report] = reports_of(alice_org.id)  # no autopilot needed when a person asks
    assert reports_of(org_of(charlie).id) == []
    run = db.session.get(JobRun, outcome.run_id)
    assert run.org_id == alice_org.id and run.summary["report_ids"] == [report.id]
    [logged] = activity(alice_org.id, "report.generated")
    assert logged.actor_id == alice.id


def test_it_emails_the_owners_but_not_the_staff(app, alice, alice_org, bob, clock):
    second_owner = make_user("olga@example.com", "Olga Owner")
    add_member(second_owner, alice_org, "owner")
    autopilot(alice_org)

    assert run_job(app, "weekly_report").status == "succeeded"
    mails = outbox(alice_org.id)
    assert [m.to for m in mails] == ["alice@example.com", "olga@example.com"]
    assert all(m.subject == "Your weekly marketing report: 16–22 Nov 2026" for m in mails)
    assert bob.email not in [m.to for m in mails]
    [logged] = activity(alice_org.id, "report.generated")
    assert logged.description.endswith("emailed to 2 owners.")

    # Generated again by hand for the same week: updated, not emailed twice.
    assert (
        run_job(app, "weekly_report", trigger="manual", org_id=alice_org.id).status == "succeeded"
    )
    assert len(outbox(alice_org.id)) == 2
    assert len(reports_of(alice_org.id)) == 1
    assert "emailed" not in activity(alice_org.id, "report.generated")[-1].description


def test_one_workspace_failing_does_not_stop_the_others(
    app, alice_org, charlie, clock, monkeypatch
):
    charlie_org = org_of(charlie)
    autopilot(alice_org)
    autopilot(charlie_org)
    real = reports.gather_facts

    def flaky(session, org, week_start, now):
        if org.id == alice_org.id:
            raise RuntimeError("metrics table unavailable")
        return real(session, org, week_start, now)

    monkeypatch.setattr(reports, "gather_facts", flaky)
    outcome = run_job(app, "weekly_report")
    assert outcome.status == "failed"
    assert "1 of 2 reports failed" in outcome.message
    assert reports_of(alice_org.id) == []
    assert len(reports_of(charlie_org.id)) == 1
    [failure] = activity(alice_org.id, "report.failed")
    assert "metrics table unavailable" in failure.description
