"""Weekly report emails are jobs of the work engine (`reporting.email`): one per report and
owner, completed when sent, never sent twice to an owner, retried by the engine when the
mail server refuses (the report stays as it was), and sent by a later run."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from jobs.runner import run_job
from tests.conftest import add_member, make_user
from tests.fakes import smtp_server
from tests.fakes.smtp_server import use_smtp
from tests.reporting.test_reports import WEEK, add_metric, make_campaign
from tests.reporting.test_weekly_report_job import MONDAY_9, activity, autopilot, outbox
from webapp import queue
from webapp.core.extensions import db
from webapp.models import JobRun, QueuedJob, WeeklyReport
from webapp.queue import JobContext
from webapp.services.reporting.delivery import EMAIL_KIND, send_report_email

smtp_sink = smtp_server.smtp_sink  # the fixture


def email_jobs() -> list[QueuedJob]:
    db.session.commit()  # a new snapshot: the jobs ran on connections of their own
    return list(
        db.session.scalars(
            select(QueuedJob).where(QueuedJob.kind == EMAIL_KIND).order_by(QueuedJob.id)
        )
    )


def the_report(org_id: int) -> WeeklyReport:
    db.session.commit()
    return db.session.scalars(select(WeeklyReport).where(WeeklyReport.org_id == org_id)).one()


def test_each_owner_email_is_a_job_completed_by_the_run(app, alice, alice_org, bob, clock):
    olga = make_user("olga@example.com", "Olga Owner")
    add_member(olga, alice_org, "owner")
    autopilot(alice_org)
    org_id, owner_ids = alice_org.id, sorted([alice.id, olga.id])

    assert run_job(app, "weekly_report").status == "succeeded"

    report = the_report(org_id)
    jobs = email_jobs()
    assert [job.idempotency_key for job in jobs] == [
        f"report:{report.id}:owner:{owner_id}" for owner_id in owner_ids
    ]
    assert all(job.status == "completed" and job.org_id == org_id for job in jobs)
    assert sorted(job.result["to"] for job in jobs) == ["alice@example.com", "olga@example.com"]
    assert report.summary["emailed_to"] == ["alice@example.com", "olga@example.com"]
    [logged] = activity(org_id, "report.generated")
    assert logged.description.endswith("emailed to 2 owners.")
    assert logged.details["emailed_to"] == ["alice@example.com", "olga@example.com"]


def test_an_owner_gets_a_report_once_however_often_its_job_runs(app, alice, alice_org, clock):
    autopilot(alice_org)
    org_id = alice_org.id
    assert run_job(app, "weekly_report").status == "succeeded"
    [job] = email_jobs()

    # The job run again (say its worker died after sending): the report says who had it.
    ctx = JobContext(db.session, clock, "test")
    outcome = send_report_email(job, ctx)
    assert isinstance(outcome, queue.Done) and outcome.result == {"skipped": "already emailed"}
    # The weekly job run again by hand: no new job, no new email.
    run = run_job(app, "weekly_report", trigger="manual", org_id=org_id)
    assert run.status == "succeeded"

    assert [j.id for j in email_jobs()] == [job.id]
    assert [m.to for m in outbox(org_id)] == ["alice@example.com"]


def test_a_refused_email_waits_for_the_engine_to_retry_it(app, alice, alice_org, clock, smtp_sink):
    use_smtp(app, smtp_sink)
    smtp_sink.refuse()
    autopilot(alice_org)
    add_metric(make_campaign(alice_org, "meta_ads"), WEEK, spend="10.00", revenue="20.00")
    db.session.commit()
    org_id = alice_org.id
    clock.set(MONDAY_9)

    outcome = run_job(app, "weekly_report")

    assert outcome.status == "succeeded", outcome.message  # the report itself is fine
    [job] = email_jobs()
    job_id = job.id
    assert job.status == "pending" and job.attempts == 1
    assert job.error_class in queue.RETRYABLE and job.last_error
    assert job.run_at > clock()  # after the engine's backoff
    report = the_report(org_id)
    report_id = report.id
    assert report.spend == 10 and report.summary.get("emailed_to", []) == []
    [logged] = activity(org_id, "report.generated")
    assert "emailed" not in logged.description  # nobody was emailed

    # Next week's run sends the week before's email too, now the server is back.
    smtp_sink.resume()
    clock.set(MONDAY_9 + timedelta(days=7))
    db.session.remove()
    outcome = run_job(app, "weekly_report")

    assert outcome.status == "succeeded", outcome.message
    assert smtp_sink.wait_for(2)
    jobs = email_jobs()
    assert [j.status for j in jobs] == ["completed", "completed"]
    assert jobs[0].id == job_id and jobs[0].attempts == 2
    assert db.session.get(WeeklyReport, report_id).summary["emailed_to"] == ["alice@example.com"]
    run = db.session.get(JobRun, outcome.run_id)
    assert run.summary["earlier_emails_sent"] == 1
