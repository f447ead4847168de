"""A weekly report or a health alert email leaves through the same door as every batch:
over real SMTP (aiosmtpd on 127.0.0.1) under the workspace's circuit breaker, so while the
breaker is open it is refused at once, with no connection made. Each email is a job of the
work engine: refused by the breaker, it waits (pending, no attempt spent) until the breaker
lets calls through."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from sqlalchemy import select

from jobs.runner import run_job
from tests.fakes import smtp_server
from tests.fakes.smtp_server import use_smtp
from tests.ops import factories as health_factories
from tests.reporting.test_reports import WEEK, add_metric, build, make_campaign
from tests.reporting.test_weekly_report_job import autopilot
from webapp.core.extensions import db
from webapp.integrations.resilience import Breaker, ErrorClass, IntegrationError
from webapp.models import CircuitBreaker, HealthAlert, OutboxMessage, QueuedJob, WeeklyReport
from webapp.services.reporting.delivery import queue_report_emails, send_report_emails

pytestmark = pytest.mark.filterwarnings(
    "ignore:Session.login_data is deprecated:DeprecationWarning"
)

smtp_sink = smtp_server.smtp_sink  # the fixture

QUICKLY = 1.0  # seconds: refused from the breaker's row, not after a connection timeout


def open_breaker(org_id: int, clock) -> None:
    breaker = Breaker(db.engine, org_id, "smtp")
    down = IntegrationError("SMTP server unreachable", ErrorClass.INTEGRATION_OFFLINE)
    for _ in range(5):
        breaker.record_failure(clock(), down, 5)
    db.session.commit()  # a fresh snapshot: the breaker wrote on a connection of its own
    row = db.session.scalars(
        select(CircuitBreaker).where(
            CircuitBreaker.org_id == org_id, CircuitBreaker.provider == "smtp"
        )
    ).one()
    assert row.state == "open"


def test_a_report_email_is_refused_at_once_while_the_breaker_is_open(
    app, alice, alice_org, clock, smtp_sink
):
    use_smtp(app, smtp_sink)
    add_metric(make_campaign(alice_org, "meta_ads"), WEEK, spend="10.00", revenue="20.00")
    report = build(alice_org, clock)
    open_breaker(alice_org.id, clock)

    waiting = queue_report_emails(
        db.session, alice_org, report, now=clock(), public_url="http://reports.test"
    )
    db.session.commit()

    started = time.monotonic()
    sent = send_report_emails(db.engine, owner="test", clock=clock, job_ids=waiting)

    assert time.monotonic() - started < QUICKLY
    assert sent.to == [] and sent.worked.deferred == 1
    db.session.commit()
    job = db.session.get(QueuedJob, waiting[0])
    assert job.status == "pending" and job.attempts == 0  # deferred, not failed
    assert job.last_error.startswith(f"{ErrorClass.INTEGRATION_OFFLINE}: ")
    assert job.run_at > clock()  # when the breaker lets a call through
    assert smtp_sink.connections == 0 and smtp_sink.messages == []
    assert db.session.scalars(select(OutboxMessage)).all() == []
    assert db.session.get(WeeklyReport, report.id).summary.get("emailed_to", []) == []

    # Once the breaker lets a call through again, the same job sends it.
    clock.set(job.run_at + timedelta(seconds=1))
    sent = send_report_emails(db.engine, owner="test", clock=clock, job_ids=waiting)
    assert sent.to == ["alice@example.com"]
    assert smtp_sink.wait_for(1)
    db.session.commit()
    assert db.session.get(QueuedJob, waiting[0]).status == "completed"


def test_an_alert_email_is_refused_at_once_while_the_breaker_is_open(
    app, alice, alice_org, clock, smtp_sink
):
    use_smtp(app, smtp_sink)
    at = clock() - timedelta(hours=1)
    health_factories.add_jobs(alice_org, 101, run_at=at, created_at=at, updated_at=at)
    open_breaker(alice_org.id, clock)
    db.session.remove()

    started = time.monotonic()
    assert run_job(app, "health_alerts").status == "succeeded"

    assert time.monotonic() - started < QUICKLY + 2  # the job's own work included
    alert = db.session.scalars(select(HealthAlert)).one()
    assert alert.status == "open" and alert.notified_at is None
    job = db.session.scalars(select(QueuedJob).where(QueuedJob.kind == "ops.alert_email")).one()
    assert job.status == "pending" and job.attempts == 0  # waits for the breaker
    assert job.last_error.startswith(f"{ErrorClass.INTEGRATION_OFFLINE}: ")
    assert smtp_sink.connections == 0 and smtp_sink.messages == []


def test_the_weekly_report_job_emails_the_owners_over_smtp(app, alice, alice_org, clock, smtp_sink):
    """The job commits the report before the mail server is called, so the breaker's own
    short transactions never wait for the job's (on SQLite they would, for the busy timeout)."""
    use_smtp(app, smtp_sink)
    autopilot(alice_org)
    add_metric(make_campaign(alice_org, "meta_ads"), WEEK, spend="10.00", revenue="20.00")
    db.session.commit()

    started = time.monotonic()
    outcome = run_job(app, "weekly_report")

    assert outcome.status == "succeeded", outcome.message
    assert time.monotonic() - started < 10
    assert smtp_sink.wait_for(1)
    assert [m.message["To"] for m in smtp_sink.messages] == [alice.email]
    db.session.commit()
    row = db.session.scalars(
        select(CircuitBreaker).where(
            CircuitBreaker.org_id == alice_org.id, CircuitBreaker.provider == "smtp"
        )
    ).one()
    assert row.state == "closed" and row.last_success_at is not None
