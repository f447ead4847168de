"""Health alerts: each kind opens at its threshold and not just below it, is announced once
(one activity row, one email per owner) however often it is re-evaluated, and resolves when
its condition clears. The 15-minute job emails the owners over real SMTP."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select, update

from jobs.runner import run_job
from tests.conftest import START, add_member, make_user
from tests.fakes import smtp_server
from tests.fakes.smtp_server import use_smtp
from tests.messaging.factories import make_contact, make_sequence
from tests.ops import factories as health_factories
from webapp.core.extensions import db
from webapp.models import ActivityLog, AiCall, HealthAlert, OutboxMessage, QueuedJob
from webapp.models.sequence import Enrollment, Send, SequenceStep
from webapp.services.ops.alert_emails import send_alert_emails
from webapp.services.ops.alerts import evaluate_alerts

smtp_sink = smtp_server.smtp_sink  # the fixture


def evaluate(org, clock) -> dict[str, HealthAlert]:
    """Evaluate, commit, then run the alert emails it queued (as the 15-minute job does)."""
    org_id = org.id
    alerts = evaluate_alerts(db.session, org_id, now=clock())
    db.session.commit()
    send_alert_emails(db.engine, owner="test", clock=clock, org_id=org_id)
    db.session.commit()  # a new snapshot: the jobs wrote on connections of their own
    return {alert.kind: alert for alert in alerts}


def activity(org, type_: str) -> list[ActivityLog]:
    org_id = org if isinstance(org, int) else org.id
    return list(
        db.session.scalars(
            select(ActivityLog).where(ActivityLog.org_id == org_id, ActivityLog.type == type_)
        )
    )


def alert_emails(org) -> list[OutboxMessage]:
    return list(
        db.session.scalars(
            select(OutboxMessage).where(
                OutboxMessage.org_id == org.id, OutboxMessage.purpose == "health_alert"
            )
        )
    )


def add_jobs(
    org, n: int, *, status: str = "pending", at=START - timedelta(hours=1), prefix: str = "j"
) -> None:
    """Jobs due, created and last touched an hour ago (so late, and inside the last 24 h)."""
    health_factories.add_jobs(
        org, n, status=status, run_at=at, created_at=at, updated_at=at, prefix=prefix
    )


def add_ai_cost(org, usd: str, at) -> None:
    db.session.add(
        AiCall(
            org_id=org.id,
            purpose="coach_message",
            provider="openai",
            model="gpt-4o-mini",
            cost_usd=Decimal(usd),
            created_at=at,
        )
    )
    db.session.commit()


def add_sends(org, statuses: list[str]) -> None:
    steps = [
        {
            "channel": "email",
            "subject": f"S{n}",
            "body": "Hi",
            "delay_value": n,
            "delay_unit": "minutes",
        }
        for n in range(len(statuses))
    ]
    campaign = make_sequence(org, steps=steps, active=False, name=f"Delivery {len(statuses)}")
    lead = make_contact(org, email=f"dana{len(statuses)}@example.com")
    enrollment = Enrollment(
        org_id=org.id, campaign_id=campaign.id, lead_id=lead.id, status="active", enrolled_at=START
    )
    db.session.add(enrollment)
    db.session.flush()
    step_ids = db.session.scalars(
        select(SequenceStep.id)
        .where(SequenceStep.campaign_id == campaign.id)
        .order_by(SequenceStep.position)
    ).all()
    for step_id, status in zip(step_ids, statuses, strict=True):
        db.session.add(
            Send(
                org_id=org.id,
                campaign_id=campaign.id,
                enrollment_id=enrollment.id,
                step_id=step_id,
                lead_id=lead.id,
                channel="email",
                to=lead.email,
                status=status,
                due_at=START - timedelta(hours=2),
                created_at=START - timedelta(hours=2),
            )
        )
    db.session.commit()


def test_queue_backed_up_opens_above_100_late_jobs_once_and_resolves(alice_org, clock):
    add_jobs(alice_org, 100)
    assert evaluate(alice_org, clock) == {}

    add_jobs(alice_org, 1, prefix="more")
    opened = evaluate(alice_org, clock)["queue_backed_up"]
    assert opened.status == "open"
    assert opened.detail["late"] == 101
    assert opened.notified_at == clock()
    [row] = activity(alice_org, "health.alert_opened")
    assert "The queue is backed up: 101 messages are late" in row.description
    [email] = alert_emails(alice_org)
    assert email.to == "alice@example.com"
    assert email.subject == "[Alice Bakes] Alert: The queue is backed up: 101 messages are late"
    assert "What to do:" in email.body_text

    for _ in range(3):  # still backed up: refreshed, never re-announced
        clock.advance(minutes=15)
        again = evaluate(alice_org, clock)["queue_backed_up"]
        assert again.id == opened.id
        assert again.last_seen_at == clock()
        assert again.first_seen_at == START
    assert len(activity(alice_org, "health.alert_opened")) == 1
    assert len(alert_emails(alice_org)) == 1

    db.session.execute(update(QueuedJob).values(status="completed", updated_at=clock()))
    db.session.commit()
    assert evaluate(alice_org, clock) == {}
    db.session.refresh(opened)
    assert (opened.status, opened.resolved_at, opened.open_kind) == ("resolved", clock(), None)
    [resolved] = activity(alice_org, "health.alert_resolved")
    assert resolved.description.startswith("Resolved: The queue is backed up")

    # A new episode is a new alert, announced again.
    add_jobs(alice_org, 101, prefix="again", at=clock() - timedelta(hours=1))
    assert evaluate(alice_org, clock)["queue_backed_up"].id != opened.id
    assert len(alert_emails(alice_org)) == 2


def test_failure_rate_opens_above_10_percent_with_enough_messages(alice_org, clock):
    add_jobs(alice_org, 14, status="completed")
    add_jobs(alice_org, 5, status="failed")
    assert evaluate(alice_org, clock) == {}  # 26 % but only 19 finished

    add_jobs(alice_org, 31, status="completed", prefix="more")
    assert evaluate(alice_org, clock) == {}  # 5 of 50: exactly 10 %

    add_jobs(alice_org, 1, status="failed", prefix="one")
    alert = evaluate(alice_org, clock)["failure_rate"]
    assert (alert.detail["failed"], alert.detail["finished"]) == (6, 51)
    assert len(alert_emails(alice_org)) == 1

    clock.advance(hours=24)  # those failures are older than 24 hours now
    assert evaluate(alice_org, clock) == {}
    assert len(activity(alice_org, "health.alert_resolved")) == 1


def test_ai_cost_spike_opens_above_3_times_the_daily_average(alice_org, clock):
    for days in range(1, 8):
        add_ai_cost(alice_org, "1.00", START - timedelta(days=days))
    add_ai_cost(alice_org, "9.00", START - timedelta(days=9))  # older than the week: not counted
    add_ai_cost(alice_org, "3.00", START - timedelta(hours=1))
    assert evaluate(alice_org, clock) == {}  # exactly 3× the $1.00 average

    add_ai_cost(alice_org, "0.01", START - timedelta(minutes=5))
    alert = evaluate(alice_org, clock)["ai_cost_spike"]
    assert alert.detail["today_usd"] == "3.01"
    assert alert.detail["daily_average_usd"] == "1.00"
    assert alert.detail["title"] == "AI spending jumped: $3.01 today"

    clock.set(START.replace(hour=0) + timedelta(days=1, minutes=1))  # a new day, nothing spent yet
    assert evaluate(alice_org, clock) == {}


def test_ai_cost_spike_needs_more_than_a_dollar(alice_org, clock):
    add_ai_cost(alice_org, "1.00", START - timedelta(hours=1))
    assert evaluate(alice_org, clock) == {}
    add_ai_cost(alice_org, "0.01", START - timedelta(hours=1))
    assert "ai_cost_spike" in evaluate(alice_org, clock)


def test_delivery_rate_opens_under_95_percent(alice_org, clock):
    add_sends(alice_org, ["sent"] * 18 + ["failed"] * 1)
    assert evaluate(alice_org, clock) == {}  # 19 attempted: too few to judge

    add_sends(alice_org, ["delivered"])
    assert evaluate(alice_org, clock) == {}  # 19 of 20: exactly 95 %

    add_sends(
        alice_org, ["failed", "queued", "cancelled"]
    )  # queued and cancelled were not attempted
    alert = evaluate(alice_org, clock)["delivery_rate"]
    assert (alert.detail["delivered"], alert.detail["attempted"]) == (19, 21)
    assert alert.detail["title"] == "Only 90% of messages were delivered in the last 24 hours"


def test_the_health_page_lists_open_alerts_and_their_issues(client, alice, alice_org, clock):
    from tests.conftest import login

    add_sends(alice_org, ["sent"] * 10 + ["failed"] * 10)
    evaluate(alice_org, clock)
    login(client, alice)

    html = client.get("/health").get_data(as_text=True)

    assert 'id="alert-delivery_rate"' in html
    assert "Only 50% of messages were delivered in the last 24 hours" in html
    assert "owners emailed" in html
    assert "Degraded" in html


def test_the_job_emails_every_owner_over_smtp_once(app, alice, alice_org, bob, clock, smtp_sink):
    second_owner = make_user("ada@example.com", "Ada Owner")
    add_member(second_owner, alice_org, "owner")
    use_smtp(app, smtp_sink)
    add_jobs(alice_org, 101)
    org_id = alice_org.id
    db.session.remove()

    outcome = run_job(app, "health_alerts")

    assert outcome.status == "succeeded", outcome.message
    assert smtp_sink.wait_for(2)
    assert sorted(m.message["To"] for m in smtp_sink.messages) == [
        "ada@example.com",
        "alice@example.com",
    ]
    assert (
        smtp_sink.messages[0]
        .message["Subject"]
        .startswith("[Alice Bakes] Alert: The queue is backed up")
    )
    alert = db.session.scalars(select(HealthAlert)).one()
    assert alert.notified_at == clock()

    clock.advance(minutes=15)
    db.session.remove()
    assert run_job(app, "health_alerts").status == "succeeded"
    assert len(smtp_sink.messages) == 2  # deduplicated: nobody is emailed twice
    assert len(activity(org_id, "health.alert_opened")) == 1


def test_the_job_retries_the_email_when_the_mail_server_is_down(
    app, alice, alice_org, clock, smtp_sink
):
    use_smtp(app, smtp_sink)
    smtp_sink.refuse()
    add_jobs(alice_org, 101)
    db.session.remove()

    assert run_job(app, "health_alerts").status == "succeeded"
    alert = db.session.scalars(select(HealthAlert)).one()
    assert alert.status == "open" and alert.notified_at is None

    smtp_sink.resume()
    clock.advance(minutes=15)
    db.session.remove()
    assert run_job(app, "health_alerts").status == "succeeded"
    assert smtp_sink.wait_for(1)
    assert [m.message["To"] for m in smtp_sink.messages] == ["alice@example.com"]


def test_the_job_emails_nothing_more_once_its_time_is_up(app, alice, alice_org, clock, smtp_sink):
    """A slow or hanging mail server must not keep the 15-minute job going past its budget:
    alerts are still evaluated, the emails wait for the next run."""
    use_smtp(app, smtp_sink)
    app.config["HEALTH_ALERTS_TICK_SECONDS"] = 0
    add_jobs(alice_org, 101)
    db.session.remove()

    outcome = run_job(app, "health_alerts")

    assert outcome.status == "succeeded", outcome.message
    alert = db.session.scalars(select(HealthAlert)).one()
    assert alert.status == "open" and alert.notified_at is None
    assert smtp_sink.messages == []

    app.config["HEALTH_ALERTS_TICK_SECONDS"] = 600
    clock.advance(minutes=15)
    db.session.remove()
    assert run_job(app, "health_alerts").status == "succeeded"
    assert smtp_sink.wait_for(1)


def test_a_lost_lease_stops_the_job_instead_of_failing_each_workspace(
    app, alice_org, charlie, clock
):
    import threading

    from jobs import health_alerts
    from jobs.runner import JobContext, LeaseLost

    add_jobs(alice_org, 101)
    lost = threading.Event()
    ctx = JobContext(app, clock(), "p", "manual", run_id=0, lost=lost)
    seen: list[int] = []
    real = health_alerts.alerts.open_alert_ids

    def counting(session, org_id):
        seen.append(org_id)
        lost.set()  # the heartbeat found the lock taken over while this workspace ran
        return real(session, org_id)

    health_alerts.alerts.open_alert_ids = counting
    try:
        with pytest.raises(LeaseLost):
            health_alerts.run(ctx)
    finally:
        health_alerts.alerts.open_alert_ids = real
    assert len(seen) == 1  # the second workspace was not started
    db.session.rollback()  # what the runner does with a failed job
    assert db.session.scalars(select(HealthAlert)).all() == []  # nothing of the first was kept
