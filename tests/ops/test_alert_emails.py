"""Health alert emails are jobs of the work engine (`ops.alert_email`): one per alert and
owner, queued once per alert, completed when sent (the last one sets `notified_at`),
retried by the engine when the mail server refuses, and skipped when the alert resolved
before its email could go out."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update

from jobs.runner import run_job
from tests.conftest import START, add_member, make_user
from tests.fakes import smtp_server
from tests.fakes.smtp_server import use_smtp
from tests.ops import factories as health_factories
from webapp import queue
from webapp.core.extensions import db
from webapp.models import HealthAlert, JobRun, OutboxMessage, QueuedJob
from webapp.services.ops.alert_emails import (
    ALERT_EMAIL_KIND,
    queue_alert_emails,
    send_alert_emails,
)
from webapp.services.ops.alerts import evaluate_alerts

smtp_sink = smtp_server.smtp_sink  # the fixture


def late_jobs(org, n: int = 101) -> None:
    """Enough late queue jobs to open the queue_backed_up alert."""
    at = START - timedelta(hours=1)
    health_factories.add_jobs(org, n, run_at=at, created_at=at, updated_at=at)


def email_jobs() -> list[QueuedJob]:
    db.session.commit()  # a new snapshot: the jobs ran on connections of their own
    return list(
        db.session.scalars(
            select(QueuedJob).where(QueuedJob.kind == ALERT_EMAIL_KIND).order_by(QueuedJob.id)
        )
    )


def the_alert() -> HealthAlert:
    db.session.commit()
    return db.session.scalars(select(HealthAlert)).one()


def test_each_owner_email_is_a_job_and_an_alert_is_queued_once(app, alice, alice_org, clock):
    ada = make_user("ada@example.com", "Ada Owner")
    add_member(ada, alice_org, "owner")
    late_jobs(alice_org)
    org_id, owner_ids = alice_org.id, sorted([alice.id, ada.id])
    db.session.remove()

    run = run_job(app, "health_alerts")

    assert run.status == "succeeded", run.message
    alert = the_alert()
    jobs = email_jobs()
    assert [job.idempotency_key for job in jobs] == [
        f"alert:{alert.id}:owner:{owner_id}" for owner_id in owner_ids
    ]
    assert [job.status for job in jobs] == ["completed", "completed"]
    assert alert.notified_at == clock()
    assert db.session.get(JobRun, run.run_id).summary["emailed"] == 2

    # Evaluated again, and queued again by hand: nothing new.
    clock.advance(minutes=15)
    assert run_job(app, "health_alerts").status == "succeeded"
    assert queue_alert_emails(db.session, org_id, now=clock()) == []
    db.session.commit()
    assert len(email_jobs()) == 2
    emails = db.session.scalars(select(OutboxMessage).where(OutboxMessage.org_id == org_id))
    assert sorted(m.to for m in emails) == ["ada@example.com", "alice@example.com"]


def test_a_refused_email_is_retried_by_the_engine_then_sent(
    app, alice, alice_org, clock, smtp_sink
):
    use_smtp(app, smtp_sink)
    smtp_sink.refuse()
    late_jobs(alice_org)
    db.session.remove()

    assert run_job(app, "health_alerts").status == "succeeded"

    [job] = email_jobs()
    job_id = job.id
    assert job.status == "pending" and job.attempts == 1
    assert job.error_class in queue.RETRYABLE and job.last_error
    assert job.run_at > clock()  # after the engine's backoff, not "on the next run"
    alert = the_alert()
    assert alert.status == "open" and alert.notified_at is None

    smtp_sink.resume()
    clock.set(job.run_at + timedelta(seconds=1))
    worked = send_alert_emails(db.engine, owner="test", clock=clock)

    assert worked.completed == 1
    assert smtp_sink.wait_for(1)
    [job] = email_jobs()
    assert job.id == job_id and job.status == "completed" and job.attempts == 2
    assert the_alert().notified_at == clock()


def test_an_alert_resolved_before_its_email_went_out_is_not_announced(app, alice, alice_org, clock):
    late_jobs(alice_org)
    org_id = alice_org.id
    evaluate_alerts(db.session, org_id, now=clock())  # queued, not run yet
    db.session.commit()
    db.session.execute(update(QueuedJob).where(QueuedJob.kind == "send").values(status="completed"))
    evaluate_alerts(db.session, org_id, now=clock())  # the queue drained: resolved
    db.session.commit()

    worked = send_alert_emails(db.engine, owner="test", clock=clock, org_id=org_id)

    assert worked.completed == 1
    [job] = email_jobs()
    assert job.result == {"skipped": "resolved before it was emailed"}
    alert = the_alert()
    assert alert.status == "resolved" and alert.notified_at is None
    assert db.session.scalars(select(OutboxMessage)).all() == []
