"""Workspace health: integrations (through the real Twilio client and the shared breaker),
setup, scheduled jobs, the queue, the issues with their fixes, and worst-first ordering."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import event

from tests.conftest import START, make_user, org_of
from tests.fakes import twilio_server
from tests.fakes.twilio_server import use_twilio
from tests.ops.factories import add_jobs, open_breaker
from webapp.core.extensions import db
from webapp.integrations.delivery import OutgoingMessage
from webapp.integrations.resilience import FIXES, CircuitOpen, ErrorClass, IntegrationError
from webapp.models import CircuitBreaker, JobRun
from webapp.models.provisioning import ProvisioningRun
from webapp.services.connections.channels import open_channel
from webapp.services.ops.workspace_health import all_workspaces_health, workspace_health

fake_twilio = twilio_server.fake_twilio  # the fixture
DANA = "+14155552671"


def health(org, clock):
    db.session.rollback()  # a fresh snapshot: breakers are written on connections of their own
    return workspace_health(db.session, org.id, now=clock())


def send_sms(org, clock):
    message = OutgoingMessage(channel="sms", to=DANA, text="Your table is ready.", org_id=org.id)
    with open_channel(org.id, "sms", engine=db.engine, clock=clock) as channel:
        return channel.send(message)


def failing_send(org, clock) -> IntegrationError:
    with pytest.raises(IntegrationError) as caught:
        send_sms(org, clock)
    return caught.value


def test_it_is_healthy_by_default(alice_org, clock):
    h = health(alice_org, clock)

    assert h.status == "healthy"
    assert h.label == "Healthy"
    assert h.issues == []
    assert h.org_name == "Alice Bakes"
    assert [(i.provider, i.configured, i.state) for i in h.integrations] == [
        ("smtp", False, "unused"),
        ("twilio", False, "unused"),
        ("openai", False, "unused"),
        ("google_ads", False, "unused"),
        ("meta_ads", False, "unused"),
    ]
    assert h.provisioning.status == "never"
    assert h.queue.pending == 0
    assert {job.name for job in h.scheduler} >= {"automation", "housekeeping", "health_alerts"}
    assert not h.overdue_jobs


def test_twilio_refusing_the_credentials_opens_the_breaker_and_health_shows_the_fix(
    app, alice_org, clock, fake_twilio
):
    use_twilio(app, fake_twilio)
    assert health(alice_org, clock).integrations[1].configured is True
    fake_twilio.fail_next(401, code=20003, message="Authenticate", times=5)

    for attempt in range(5):
        error = failing_send(alice_org, clock)
        assert error.error_class == ErrorClass.THIRD_PARTY_AUTH_FAILED
        if attempt < 4:
            h = health(alice_org, clock)
            assert h.status == "degraded", attempt
            assert h.top_issue.title == "Twilio rejected the credentials"
        clock.advance(seconds=1)

    h = health(alice_org, clock)
    assert h.status == "unhealthy"
    twilio = h.integrations[1]
    assert (twilio.source, twilio.state, twilio.consecutive_failures) == ("deployment", "open", 5)
    assert twilio.last_error_class == "THIRD_PARTY_AUTH_FAILED"
    assert "20003" in twilio.last_error
    issue = h.top_issue
    assert issue.severity == "critical"
    assert issue.title == "SMS sending is paused: Twilio rejected the credentials"
    assert issue.fix == FIXES[ErrorClass.THIRD_PARTY_AUTH_FAILED]
    assert issue.link == "/settings/integrations"
    assert "5 failures in a row" in issue.detail

    # While open, nothing reaches Twilio.
    calls = len(fake_twilio.posted())
    with pytest.raises(CircuitOpen):
        send_sms(alice_org, clock)
    assert len(fake_twilio.posted()) == calls

    # After 60 s one trial goes through; it succeeds, the breaker closes, health recovers.
    clock.advance(seconds=61)
    assert send_sms(alice_org, clock).provider == "twilio"
    h = health(alice_org, clock)
    assert h.integrations[1].state == "closed"
    assert h.integrations[1].last_success_at == clock()
    assert h.status == "healthy"
    assert h.issues == []


@pytest.mark.parametrize(
    ("status", "error_class", "title"),
    [
        (429, "RATE_LIMITED", "Twilio is rate-limiting us"),
        (500, "TRANSIENT_NETWORK", "Twilio keeps failing"),
        (503, "TRANSIENT_NETWORK", "Twilio keeps failing"),
    ],
)
def test_it_records_the_class_of_each_twilio_failure(
    app, alice_org, clock, fake_twilio, status, error_class, title
):
    use_twilio(app, fake_twilio)
    fake_twilio.fail_next(status, retry_after=5 if status == 429 else None)

    assert failing_send(alice_org, clock).error_class == error_class

    h = health(alice_org, clock)
    twilio = h.integrations[1]
    assert (twilio.state, twilio.last_error_class, twilio.consecutive_failures) == (
        "closed",
        error_class,
        1,
    )
    assert h.status == "degraded"
    assert h.top_issue.title == title
    assert h.top_issue.fix == FIXES[ErrorClass(error_class)]


def test_the_deployment_breaker_shows_when_the_workspace_has_none(alice_org, clock):
    open_breaker(0, "smtp", "INTEGRATION_OFFLINE", "SMTP server unreachable")

    h = health(alice_org, clock)

    assert h.integrations[0].state == "open"
    assert h.top_issue.title == "Email sending is paused: Your mail server cannot be reached"


def test_a_backed_up_queue_is_unhealthy_above_100_late_jobs(alice_org, clock):
    add_jobs(alice_org, 100, run_at=START - timedelta(hours=2))
    add_jobs(alice_org, 5, run_at=START + timedelta(hours=1), prefix="future")
    h = health(alice_org, clock)
    assert (h.queue.pending, h.queue.late) == (105, 100)
    assert h.queue.oldest_age(clock()) == timedelta(hours=2)
    assert h.status == "degraded"
    assert h.top_issue.title == "100 messages are late"

    add_jobs(alice_org, 1, run_at=START - timedelta(minutes=16), prefix="more")
    h = health(alice_org, clock)
    assert h.status == "unhealthy"
    assert h.top_issue.title == "The queue is backed up: 101 messages are late"
    assert h.top_issue.link == "/automation"


def test_jobs_just_due_are_not_late(alice_org, clock):
    add_jobs(alice_org, 150, run_at=START - timedelta(minutes=14))
    h = health(alice_org, clock)
    assert (h.queue.pending, h.queue.late, h.status) == (150, 0, "healthy")


def test_a_failure_rate_above_10_percent_is_an_issue(alice_org, clock):
    recent = START - timedelta(hours=3)
    add_jobs(alice_org, 18, status="completed", updated_at=recent)
    add_jobs(alice_org, 2, status="failed", updated_at=recent)
    add_jobs(alice_org, 30, status="failed", updated_at=START - timedelta(hours=25), prefix="old")
    h = health(alice_org, clock)
    assert (h.queue.finished_24h, h.queue.failed_24h) == (20, 2)
    assert h.status == "healthy"  # exactly 10 % is not above it

    add_jobs(alice_org, 1, status="failed", updated_at=recent, prefix="one-more")
    h = health(alice_org, clock)
    assert h.status == "degraded"
    assert h.top_issue.title == "14% of messages failed in the last 24 hours"


def test_a_failed_setup_is_unhealthy_with_its_fix_and_a_link_to_setup(alice_org, clock):
    db.session.add(
        ProvisioningRun(
            org_id=alice_org.id,
            trigger="wizard",
            status="failed",
            progress=40,
            current_step="phone_number",
            attempts=3,
            error="Twilio has no number available in this area.",
            fix="Pick another area code and re-run setup.",
            created_at=START,
            updated_at=START,
        )
    )
    db.session.commit()

    h = health(alice_org, clock)

    assert h.provisioning.status == "failed"
    assert h.status == "unhealthy"
    issue = h.top_issue
    assert issue.title == "Setup did not finish at “Phone number”"
    assert issue.fix == "Pick another area code and re-run setup."
    assert issue.link == "/setup"


def test_a_succeeded_setup_is_healthy(alice_org, clock):
    for status in ("failed", "succeeded"):  # the latest run counts
        db.session.add(
            ProvisioningRun(
                org_id=alice_org.id,
                trigger="rerun",
                status=status,
                progress=100,
                created_at=START,
                updated_at=START,
            )
        )
        db.session.commit()
    assert health(alice_org, clock).status == "healthy"


def add_run(job: str, started, status: str = "succeeded") -> None:
    db.session.add(
        JobRun(
            job=job,
            period=f"{started:%Y-%m-%dT%H:%M}",
            org_id=None,
            trigger="schedule",
            status=status,
            holder="t",
            started_at=started,
            heartbeat_at=started,
            summary={},
        )
    )
    db.session.commit()


def test_a_job_that_missed_its_slot_is_overdue(alice_org, clock):
    add_run("automation", START - timedelta(minutes=15))
    h = health(alice_org, clock)
    assert not h.overdue_jobs and h.status == "healthy"

    clock.advance(minutes=12)  # 10:12: the 10:00 slot is within its misfire grace (7.5 min) + 5 min
    assert health(alice_org, clock).status == "healthy"

    clock.advance(minutes=1)  # 10:13: past 10:12:30, and no run for the 10:00 slot
    h = health(alice_org, clock)
    assert [job.name for job in h.overdue_jobs] == ["automation"]
    assert h.status == "unhealthy"
    assert h.top_issue.title == "The “Sequences” job is overdue"
    assert h.top_issue.link == "/scheduler"


def test_it_sorts_every_workspace_worst_first(app, alice_org, clock):
    orgs = {
        name: org_of(make_user(f"{name.split()[0].lower()}@example.com", name, workspace=name))
        for name in ("Zed Degraded", "Beta Healthy", "Yak Unhealthy One", "Xeno Unhealthy Two")
    }
    breaker = {
        "provider": "twilio",
        "consecutive_failures": 1,
        "last_failure_at": START,
        "last_error_class": "RATE_LIMITED",
        "updated_at": START,
    }
    db.session.add(CircuitBreaker(org_id=orgs["Zed Degraded"].id, state="closed", **breaker))
    db.session.add(CircuitBreaker(org_id=orgs["Yak Unhealthy One"].id, state="open", **breaker))
    db.session.add(CircuitBreaker(org_id=orgs["Xeno Unhealthy Two"].id, state="open", **breaker))
    db.session.add(
        ProvisioningRun(
            org_id=orgs["Xeno Unhealthy Two"].id,
            trigger="wizard",
            status="failed",
            created_at=START,
            updated_at=START,
        )
    )
    db.session.commit()

    ranked = all_workspaces_health(db.session, now=clock())

    assert [(h.org_name, h.status, len(h.issues)) for h in ranked] == [
        ("Xeno Unhealthy Two", "unhealthy", 2),
        ("Yak Unhealthy One", "unhealthy", 1),
        ("Zed Degraded", "degraded", 1),
        ("Alice Bakes", "healthy", 0),
        ("Beta Healthy", "healthy", 0),
    ]


def test_every_workspace_costs_a_fixed_number_of_queries(app, alice_org, clock):
    for n in range(30):
        make_user(f"owner{n}@example.com", f"Owner {n}", workspace=f"Shop {n}")
    statements: list[str] = []

    def count(*_args) -> None:
        statements.append("x")

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        ranked = all_workspaces_health(db.session, now=clock())
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert len(ranked) == 31
    assert len(statements) <= 10


def test_one_workspace_never_sees_anothers_trouble(alice_org, charlie, clock):
    charlie_org = org_of(charlie)
    db.session.add(
        CircuitBreaker(
            org_id=alice_org.id,
            provider="twilio",
            state="open",
            consecutive_failures=5,
            last_failure_at=START,
            last_error_class="THIRD_PARTY_AUTH_FAILED",
            last_error="Twilio 401",
            updated_at=START,
        )
    )
    add_jobs(alice_org, 120, run_at=START - timedelta(hours=1))

    assert health(alice_org, clock).status == "unhealthy"
    h = health(charlie_org, clock)
    assert h.status == "healthy"
    assert h.integrations[1].state == "unused"
    assert h.queue.pending == 0


def test_credentials_the_keys_cannot_read_are_a_critical_issue(app, alice_org, clock):
    from cryptography.fernet import Fernet

    from webapp.services.connections.credentials import save_credentials

    app.config["CREDENTIALS_KEY"] = Fernet.generate_key().decode()
    save_credentials(
        db.session,
        alice_org.id,
        "smtp",
        {"host": "127.0.0.1", "port": "2525"},
        actor_id=None,
        now=clock(),
    )
    db.session.commit()
    assert health(alice_org, clock).status == "healthy"

    app.config["CREDENTIALS_KEY"] = Fernet.generate_key().decode()  # the old key is gone
    h = health(alice_org, clock)
    assert h.status == "unhealthy"
    [issue] = h.issues
    assert issue.title == "The saved mail server (SMTP) credentials cannot be read"
    assert "CREDENTIALS_KEY" in issue.fix and issue.link == "/settings/integrations"
    assert h.integrations[0].unreadable and not h.integrations[0].configured
