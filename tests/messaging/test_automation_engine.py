"""The sequence engine: enrolment exactly once, due-time sending, each message marked on its
own, retries by error class, unsubscribes, test mode and pacing — with a real SMTP server."""

from __future__ import annotations

import smtplib
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from tests.conftest import START
from tests.fakes import smtp_server
from tests.messaging.factories import (
    ANY_TIME,
    LONG_WELCOME,
    OFFICE_HOURS,
    WELCOME,
    enrollments_of,
    job_of,
    make_contact,
    make_sequence,
    sends_of,
)
from webapp.core.extensions import db
from webapp.models import ActivityLog, Lead, LeadEvent, OutboxMessage, QueuedJob
from webapp.models.sequence import Send
from webapp.services.messaging import (
    consent,
    delivery_reports,
    job_actions,
    job_status,
    sequence_lifecycle,
    sequences,
    triggering,
)
from webapp.services.messaging.dispatch import process_due
from webapp.services.messaging.step_jobs import idempotency_key
from webapp.services.messaging.triggering import trigger_new_contacts

ONE_EMAIL = [WELCOME[0]]

smtp_sink = smtp_server.smtp_sink  # the fixture
use_smtp = smtp_server.use_smtp


def process(app, **kwargs):
    db.session.commit()
    kwargs.setdefault("now", app.config["CLOCK"]())
    return process_due(app, **kwargs)


# --- enrolment ----------------------------------------------------------------------------------


def test_it_enrols_a_new_contact_at_once_and_never_twice(app, alice_org):
    campaign = make_sequence(alice_org)
    lead = make_contact(alice_org, email="ana@example.com", name="Ana Lopez")
    [enrollment] = enrollments_of(campaign)
    assert (enrollment.lead_id, enrollment.status) == (lead.id, "active")
    [send] = sends_of(campaign)
    job = job_of(send)
    assert (job.kind, job.status, job.idempotency_key) == (
        "sequence_step",
        "pending",
        idempotency_key(enrollment.id, send.step_id),
    )

    # The job, the API and a second capture of the same person add nothing.
    assert trigger_new_contacts(db.session, org_id=alice_org.id, now=START).enrolled == 0
    make_contact(alice_org, email="ana@example.com", phone="+447911123456")
    assert triggering.enroll_lead(db.session, lead, now=START) == 0
    db.session.commit()
    assert len(enrollments_of(campaign)) == 1
    assert len(sends_of(campaign)) == 1
    assert db.session.scalar(select(func.count()).select_from(QueuedJob)) == 1


def test_it_enrols_only_contacts_added_since_activation(app, alice_org):
    before = make_contact(alice_org, email="old@example.com", now=START - timedelta(days=2))
    campaign = make_sequence(alice_org, activated=START - timedelta(days=1))
    # Contacts that arrived by a path that enrols later (the job picks them up).
    sequence_lifecycle.pause_sequence(db.session, campaign, actor_id=None, now=START)
    db.session.commit()
    late = make_contact(alice_org, email="late@example.com", now=START - timedelta(hours=2))
    unsubscribed = make_contact(alice_org, email="gone@example.com", now=START - timedelta(hours=2))
    unsubscribed.unsubscribed_at = START - timedelta(hours=1)
    no_email = make_contact(
        alice_org, email=None, phone="+447911123456", now=START - timedelta(hours=2)
    )
    campaign.status = "active"
    db.session.commit()

    result = trigger_new_contacts(db.session, org_id=alice_org.id, now=START)
    db.session.commit()
    # The phone-only contact enters at the first step it can receive, the SMS (issue 15).
    assert (result.enrolled, result.skipped) == (2, 1)
    assert sorted(e.lead_id for e in enrollments_of(campaign)) == [late.id, no_email.id]
    assert before.id not in {e.lead_id for e in enrollments_of(campaign)}
    first_sends = db.session.scalars(select(Send).where(Send.lead_id == no_email.id)).all()
    assert [s.channel for s in first_sends] == ["sms"]
    # `since` widens the net, still never twice.
    again = trigger_new_contacts(
        db.session, org_id=alice_org.id, now=START, since=START - timedelta(days=3)
    )
    assert again.enrolled == 1
    assert (
        trigger_new_contacts(
            db.session, org_id=alice_org.id, now=START, since=START - timedelta(days=3)
        ).enrolled
        == 0
    )


def test_it_enrols_in_bulk_with_one_queue_row_per_contact(app, alice_org):
    campaign = make_sequence(alice_org, active=False)
    rows = [{"email": f"bulk{i}@example.com", "name": f"Bulk {i}"} for i in range(1200)]
    from webapp.services.leads.capture import capture_leads

    capture_leads(
        db.session, alice_org.id, rows, source="csv", now=START - timedelta(minutes=30), log=False
    )
    sequence_lifecycle.activate_sequence(
        db.session, campaign, actor_id=None, now=START - timedelta(hours=1)
    )
    db.session.commit()
    result = trigger_new_contacts(db.session, org_id=alice_org.id, now=START)
    db.session.commit()
    assert result.enrolled == 1200
    keys = db.session.scalars(select(QueuedJob.idempotency_key)).all()
    assert len(keys) == len(set(keys)) == 1200


def test_a_test_trigger_enrols_separately_and_works_on_a_draft(app, alice_org):
    campaign = make_sequence(alice_org, active=False)
    make_contact(alice_org, email="ana@example.com")  # draft: not enrolled for real
    assert enrollments_of(campaign) == []
    assert (
        trigger_new_contacts(
            db.session, org_id=alice_org.id, campaign_id=campaign.id, now=START
        ).enrolled
        == 0
    )
    result = trigger_new_contacts(
        db.session, org_id=alice_org.id, campaign_id=campaign.id, test_mode=True, now=START
    )
    db.session.commit()
    assert result.enrolled == 1
    [enrollment] = enrollments_of(campaign)
    assert enrollment.test_mode is True
    assert job_of(sends_of(campaign)[0]).test_mode is True


# --- sending when due -----------------------------------------------------------------------------


def test_it_sends_each_step_when_due_over_real_smtp(app, alice_org, smtp_sink, clock):
    use_smtp(app, smtp_sink)
    campaign = make_sequence(alice_org, steps=LONG_WELCOME[:2])  # long enough for the pixel
    make_contact(alice_org, email="ana@example.com", name="Ana Lopez")
    result = process(app)
    assert (result.sent, result.failed) == (1, 0)
    assert smtp_sink.wait_for(1)
    email = smtp_sink.messages[0].message
    assert email["Subject"] == "Welcome, Ana!"
    assert email["To"] == "ana@example.com"
    assert email["List-Unsubscribe"].startswith("<http") and "/u/" in email["List-Unsubscribe"]
    assert email["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    html = email.get_body(("html",)).get_content()
    assert (
        "/o/" in html
        and "/c/" in html
        and "https://alicebakes.example/menu" not in html.split("/c/")[0][-40:]
    )
    assert "Thanks for joining Alice Bakes" in email.get_body(("plain",)).get_content()

    first, second = sends_of(campaign)
    assert (first.status, first.provider, first.message_id) == (
        "sent",
        "smtp",
        smtp_sink.messages[0].message_id,
    )
    assert first.sent_at == START
    assert job_of(first).status == "completed"
    assert second.status == "queued" and second.due_at == START + timedelta(days=3)

    clock.advance(days=2)
    assert process(app).sent == 0
    clock.advance(days=1)
    assert process(app).sent == 1
    assert [e.status for e in enrollments_of(campaign)] == ["completed"]
    assert (
        db.session.scalar(
            select(func.count()).select_from(LeadEvent).where(LeadEvent.type == "message_sent")
        )
        == 2
    )
    assert (
        db.session.scalar(
            select(func.count())
            .select_from(ActivityLog)
            .where(ActivityLog.type == "sequence.processed")
        )
        == 2
    )


def test_it_waits_for_the_send_window_in_the_contacts_zone(app, alice_org, clock):
    schedule = {**OFFICE_HOURS, "timezone_mode": "contact"}
    campaign = make_sequence(alice_org, steps=ONE_EMAIL, schedule=schedule)
    clock.set(
        datetime(2026, 11, 27, 17, 59, tzinfo=UTC)
    )  # Friday 17:59 in London, 09:59 in Los Angeles
    make_contact(alice_org, email="london@example.com", now=clock())
    make_contact(alice_org, email="la@example.com", timezone="America/Los_Angeles", now=clock())
    make_contact(
        alice_org, email="tokyo@example.com", timezone="Asia/Tokyo", now=clock()
    )  # Sat 02:59
    due = {s.to: s.due_at for s in sends_of(campaign)}
    assert due["london@example.com"] == clock()
    assert due["la@example.com"] == clock()
    assert due["tokyo@example.com"] == datetime(
        2026, 11, 30, 0, 0, tzinfo=UTC
    )  # Monday 09:00 in Tokyo
    assert process(app).sent == 2
    clock.set(datetime(2026, 11, 30, 0, 0, tzinfo=UTC))
    assert process(app).sent == 1


def test_a_step_due_outside_the_window_is_held_until_it_opens(app, alice_org, clock):
    follow_up = {**WELCOME[1], "delay_value": 2, "delay_unit": "minutes"}
    campaign = make_sequence(
        alice_org, steps=[WELCOME[0], follow_up, follow_up], schedule=OFFICE_HOURS
    )
    clock.set(datetime(2026, 11, 27, 17, 55, tzinfo=UTC))  # Friday, London (GMT)
    make_contact(alice_org, email="ana@example.com", now=clock())
    assert process(app).sent == 1
    assert sends_of(campaign)[1].due_at == datetime(
        2026, 11, 27, 17, 57, tzinfo=UTC
    )  # still inside
    clock.set(datetime(2026, 11, 27, 17, 59, tzinfo=UTC))  # the worker got to it at 17:59
    assert process(app).sent == 1
    # 17:59 + 2 minutes is after 18:00: Monday 09:00.
    assert sends_of(campaign)[2].due_at == datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
    clock.set(datetime(2026, 11, 28, 12, 0, tzinfo=UTC))
    assert process(app).sent == 0
    clock.set(datetime(2026, 11, 30, 9, 0, tzinfo=UTC))
    assert process(app).sent == 1


def test_it_marks_each_message_on_its_own_as_it_goes(app, alice_org, smtp_sink, monkeypatch):
    use_smtp(app, smtp_sink)
    campaign = make_sequence(alice_org, steps=ONE_EMAIL)
    for i in range(4):
        make_contact(alice_org, email=f"c{i}@example.com")
    seen: list[list[str]] = []
    real_data = smtplib.SMTP.data

    def spy(smtp, mail):
        # As a message goes out (its DATA), no transaction is open and every earlier one is
        # recorded (the one before it while the server answered this one's MAIL FROM).
        with db.engine.connect() as conn:
            seen.append(list(conn.scalars(select(QueuedJob.status).order_by(QueuedJob.id))))
        return real_data(smtp, mail)

    monkeypatch.setattr(smtplib.SMTP, "data", spy)
    assert process(app).sent == 4
    assert seen == [
        ["processing"] * 4,
        ["completed"] + ["processing"] * 3,
        ["completed"] * 2 + ["processing"] * 2,
        ["completed"] * 3 + ["processing"],
    ]
    assert smtp_sink.connections == 1  # one connection for the batch
    assert len(sends_of(campaign)) == 4


def test_it_claims_in_batches_of_the_configured_size(app, alice_org):
    app.config["AUTOMATION_BATCH_SIZE"] = 3
    make_sequence(alice_org, steps=ONE_EMAIL)
    for i in range(7):
        make_contact(alice_org, email=f"b{i}@example.com")
    result = process(app)
    assert (result.sent, result.batches) == (7, 3)
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 7


# --- failures ----------------------------------------------------------------------------------


def test_it_retries_a_transient_failure_with_backoff(app, alice_org, smtp_sink, clock):
    use_smtp(app, smtp_sink)
    campaign = make_sequence(alice_org, steps=ONE_EMAIL)
    make_contact(alice_org, email="ana@example.com")
    smtp_sink.answer_mail = "421 4.7.0 Try again later"
    result = process(app)
    assert (result.sent, result.retried, result.failed) == (0, 1, 0)
    [send] = sends_of(campaign)
    job = job_of(send)
    assert (job.status, job.attempts, job.error_class) == ("pending", 1, "RATE_LIMITED")
    assert (
        START + timedelta(seconds=30) <= job.run_at <= START + timedelta(seconds=60)
    )  # RATE_LIMITED: base 60 s, jittered
    assert (send.status, send.error_class) == ("queued", "RATE_LIMITED")
    assert "Try again later" in send.error

    smtp_sink.answer_mail = None
    assert process(app).sent == 0  # not due yet
    clock.advance(minutes=2)
    assert process(app).sent == 1
    [send] = sends_of(campaign)
    assert (send.status, send.error) == ("sent", None)


def test_it_fails_at_once_for_a_bad_address_and_stops_the_sequence(app, alice_org, smtp_sink):
    use_smtp(app, smtp_sink)
    campaign = make_sequence(alice_org, steps=WELCOME[:2])
    make_contact(alice_org, email="refused@example.com")
    smtp_sink.reject_recipients.add("refused@example.com")
    result = process(app)
    assert (result.failed, result.retried) == (1, 0)
    [send] = sends_of(campaign)
    assert (send.status, send.error_class) == ("failed", "INVALID_RECIPIENT")
    assert (job_of(send).status, job_of(send).attempts) == ("failed", 1)
    [enrollment] = enrollments_of(campaign)
    assert enrollment.status == "stopped" and "could not be sent" in enrollment.stopped_reason


def test_an_invalid_address_never_reaches_the_provider(app, alice_org, smtp_sink):
    use_smtp(app, smtp_sink)
    campaign = make_sequence(alice_org, steps=ONE_EMAIL)
    lead = make_contact(alice_org, email="ana@example.com")
    lead.email = "not an address"
    db.session.commit()
    assert process(app).failed == 1
    assert smtp_sink.connections == 0
    assert sends_of(campaign)[0].error_class == "INVALID_RECIPIENT"


def test_an_open_circuit_puts_the_batch_back_without_spending_attempts(
    app, alice_org, smtp_sink, clock
):
    use_smtp(app, smtp_sink)
    campaign = make_sequence(alice_org, steps=ONE_EMAIL)
    for i in range(8):
        make_contact(alice_org, email=f"c{i}@example.com")
    smtp_sink.refuse()
    result = process(app)
    # Five failures open the breaker; the other three are put back until it half-opens.
    assert (result.retried, result.deferred, result.failed, result.sent) == (5, 3, 0, 0)
    jobs = [job_of(s) for s in sends_of(campaign)]
    assert all(job.status == "pending" for job in jobs)
    assert sorted(job.attempts for job in jobs) == [0, 0, 0, 1, 1, 1, 1, 1]
    smtp_sink.resume()
    clock.advance(minutes=5)
    assert process(app).sent == 8
    assert smtp_sink.wait_for(8)


# --- consent, test mode, pacing, pausing --------------------------------------------------------------


def test_unsubscribing_cancels_pending_jobs_with_the_reason(app, alice_org):
    campaign = make_sequence(alice_org)
    lead = make_contact(alice_org, email="ana@example.com")
    process(app)
    consent.unsubscribe(db.session, lead, channel="email", reason="Clicked unsubscribe.", now=START)
    db.session.commit()
    first, second = sends_of(campaign)
    assert first.status == "sent"
    assert (second.status, second.error) == ("cancelled", "Clicked unsubscribe.")
    job = job_of(second)
    assert (job.status, job.last_error) == ("cancelled", "Clicked unsubscribe.")
    assert enrollments_of(campaign)[0].status == "stopped"
    rows, _more = job_status.recent_jobs(db.session, campaign)
    assert rows[0].status == "cancelled" and rows[0].error == "Clicked unsubscribe."


def test_a_contact_unsubscribed_while_its_job_is_claimed_gets_nothing(app, alice_org, smtp_sink):
    use_smtp(app, smtp_sink)
    campaign = make_sequence(alice_org, steps=ONE_EMAIL)
    lead = make_contact(alice_org, email="ana@example.com")
    # Unsubscribed behind the queue's back (for example by an import): the dispatcher checks.
    db.session.execute(
        Lead.__table__.update().where(Lead.id == lead.id).values(unsubscribed_at=START)
    )
    db.session.commit()
    result = process(app)
    assert (result.cancelled, result.sent) == (1, 0)
    assert smtp_sink.connections == 0
    [send] = sends_of(campaign)
    assert send.status == "cancelled" and "unsubscribed" in send.error


def test_test_mode_runs_the_flow_and_sends_nothing(app, alice_org, smtp_sink):
    use_smtp(app, smtp_sink)
    campaign = make_sequence(alice_org, active=False)
    make_contact(alice_org, email="ana@example.com", name="Ana")
    trigger_new_contacts(
        db.session, org_id=alice_org.id, campaign_id=campaign.id, test_mode=True, now=START
    )
    assert process(app, test_mode=False).sent == 0  # real processing leaves test jobs alone
    result = process(app, campaign_id=campaign.id, test_mode=True)
    assert result.sent == 1
    assert smtp_sink.connections == 0 and smtp_sink.messages == []
    [outbox] = db.session.scalars(select(OutboxMessage)).all()
    assert (outbox.test_mode, outbox.to, outbox.subject) == (
        True,
        "ana@example.com",
        "Welcome, Ana!",
    )
    first, second = sends_of(campaign)
    assert (first.test_mode, first.status, first.provider) == (True, "sent", "outbox")
    assert second.test_mode is True and job_of(second).test_mode is True
    assert job_status.automation_status(db.session, campaign, now=START).test == 2


def test_pacing_leaves_the_rest_pending_without_spending_attempts(app, alice_org, smtp_sink, clock):
    use_smtp(app, smtp_sink, EMAIL_PER_MINUTE=2)
    campaign = make_sequence(alice_org, steps=ONE_EMAIL)
    for i in range(5):
        make_contact(alice_org, email=f"p{i}@example.com")
    result = process(app)
    assert (result.sent, result.deferred, result.failed) == (2, 3, 0)
    pending = [job_of(s) for s in sends_of(campaign) if s.status == "queued"]
    assert len(pending) == 3
    assert all(
        job.status == "pending" and job.attempts == 0 and job.run_at > START for job in pending
    )
    status = job_status.automation_status(db.session, campaign, now=START)
    assert (status.completed, status.pending, status.per_minute) == (2, 3, 2.0)
    clock.advance(seconds=30)
    assert process(app).sent == 1
    clock.advance(minutes=2)
    assert process(app).sent == 2
    assert smtp_sink.wait_for(5)


def test_a_paused_sequence_holds_its_messages(app, alice_org, clock):
    campaign = make_sequence(alice_org, steps=ONE_EMAIL)
    make_contact(alice_org, email="ana@example.com")
    sequence_lifecycle.pause_sequence(db.session, campaign, actor_id=None, now=START)
    result = process(app)
    assert (result.sent, result.deferred) == (0, 1)
    job = job_of(sends_of(campaign)[0])
    assert (job.status, job.attempts) == ("pending", 0)
    sequence_lifecycle.activate_sequence(db.session, campaign, actor_id=None, now=START)
    clock.advance(minutes=16)
    assert process(app).sent == 1


def test_send_immediate_skips_the_window_for_the_first_step(app, alice_org, clock):
    campaign = make_sequence(alice_org, active=False, schedule=OFFICE_HOURS)
    clock.set(datetime(2026, 11, 28, 22, 0, tzinfo=UTC))  # Saturday night
    lead = make_contact(alice_org, email="ana@example.com", now=clock())
    sequence_lifecycle.activate_sequence(db.session, campaign, actor_id=None, now=clock())
    db.session.commit()
    result = triggering.send_immediate(
        db.session, campaign, [lead.id], test_mode=False, now=clock()
    )
    assert result.sent == 1
    first, second = sends_of(campaign)
    assert first.sent_at == clock()
    assert second.due_at == datetime(
        2026, 12, 2, 9, 0, tzinfo=UTC
    )  # + 3 days = Tuesday night → Wednesday 09:00
    again = triggering.send_immediate(db.session, campaign, [lead.id], test_mode=False, now=clock())
    assert again.sent == 0 and "already enrolled" in again.details[0]


def test_deleting_a_step_cancels_its_queued_messages(app, alice_org):
    campaign = make_sequence(alice_org, steps=ONE_EMAIL)
    make_contact(alice_org, email="ana@example.com")
    [step] = sequences.steps_of(db.session, campaign)
    [send] = sends_of(campaign)
    job_id = send.queued_job_id
    sequences.delete_step(db.session, step, actor_id=None, now=START)
    db.session.commit()
    assert db.session.get(QueuedJob, job_id).status == "cancelled"
    assert process(app).sent == 0


# --- the automation tab's numbers and actions --------------------------------------------------


def test_it_reports_status_and_recent_jobs_and_retries_and_cancels(app, alice_org, smtp_sink):
    use_smtp(app, smtp_sink)
    campaign = make_sequence(alice_org, steps=WELCOME[:2])
    make_contact(alice_org, email="ok@example.com", name="Olga Ok")
    make_contact(alice_org, email="bad@example.com", name="Bert Bad")
    smtp_sink.reject_recipients.add("bad@example.com")
    process(app)
    status = job_status.automation_status(db.session, campaign, now=START)
    assert (status.total, status.completed, status.failed, status.pending) == (3, 1, 1, 1)
    assert status.success_rate == 0.5
    rows, more = job_status.recent_jobs(db.session, campaign)
    assert not more
    failed = next(r for r in rows if r.status == "failed")
    assert (failed.contact_name, failed.step_position, failed.error_class) == (
        "Bert Bad",
        1,
        "INVALID_RECIPIENT",
    )
    assert [
        r.contact_name for r in job_status.recent_jobs(db.session, campaign, status="failed")[0]
    ] == ["Bert Bad"]

    smtp_sink.reject_recipients.clear()
    # The 550 5.1.1 put the address on the suppression list (a hard bounce); a retry would be
    # cancelled for it, so the owner takes it off the list first.
    from webapp.models import Suppression
    from webapp.services.suppression import lift

    bounced = db.session.scalars(select(Suppression)).one()
    assert (bounced.address, bounced.reason) == ("bad@example.com", "hard_bounce")
    lift(db.session, campaign.org_id, bounced.id, actor_id=None, now=START)
    db.session.commit()
    assert (
        job_actions.retry_job(db.session, campaign, failed.job_id, now=START, actor_id=None) is True
    )
    assert (
        job_actions.retry_job(db.session, campaign, failed.job_id, now=START, actor_id=None)
        is False
    )
    waiting = next(
        r for r in job_status.recent_jobs(db.session, campaign)[0] if r.job_id == failed.job_id
    )
    assert (waiting.status, waiting.error, waiting.error_class) == ("pending", None, None)
    from webapp.models import ActivityLog

    retried = db.session.scalars(
        select(ActivityLog).where(ActivityLog.type == "sequence.job_retried")
    ).one()  # named as the builder numbers messages, not by a row id
    assert (
        retried.description.startswith("Message 1 of “")
        and "bad@example.com" in retried.description
    )
    assert process(app).sent == 1
    pending = next(
        r for r in job_status.recent_jobs(db.session, campaign)[0] if r.status == "pending"
    )
    assert (
        job_actions.cancel_job(
            db.session, campaign, pending.job_id, now=START, actor_id=None, reason="Not now"
        )
        is True
    )
    db.session.commit()
    status = job_status.automation_status(db.session, campaign, now=START)
    assert (status.completed, status.failed, status.cancelled, status.pending) == (2, 0, 1, 1)
    assert sequence_lifecycle.has_remaining_jobs(db.session, campaign)


def test_the_15_minute_job_enrols_and_sends(app, alice_org):
    from jobs.runner import run_job

    campaign = make_sequence(alice_org, steps=ONE_EMAIL, active=False)
    make_contact(alice_org, email="ana@example.com")
    campaign.status = "active"  # activated behind the capture's back: the job enrols it
    campaign.settings = {
        **campaign.settings,
        "activated_at": (START - timedelta(hours=1)).isoformat(),
    }
    db.session.commit()
    spec = app.extensions["jobs"].specs["automation"]
    assert (spec.title, spec.per_org, spec.schedule.describe()) == (
        "Sequences",
        True,
        "Every 15 minutes",
    )
    outcome = run_job(app, "automation", trigger="manual")
    assert outcome.status == "succeeded", outcome.message
    from webapp.models import JobRun

    run = db.session.get(JobRun, outcome.run_id)
    assert (
        run.summary["enrolled"] == 1 and run.summary["sent"] == 1 and run.summary["due_left"] == 0
    )
    assert sends_of(campaign)[0].status == "sent"


def test_conversions_and_opens_feed_the_campaign_metrics(app, alice_org, clock):
    from webapp.models import CampaignMetric
    from webapp.services.leads.capture import change_status
    from webapp.services.messaging import tracking

    campaign = make_sequence(alice_org, steps=ONE_EMAIL)
    lead = make_contact(alice_org, email="ana@example.com")
    process(app)
    [send] = sends_of(campaign)
    tracking.record_open(db.session, send, now=START)
    change_status(db.session, lead, "won", now=START, actor_id=None)
    assert tracking.record_conversions(db.session, org_id=alice_org.id, now=START) == 1
    assert tracking.record_conversions(db.session, org_id=alice_org.id, now=START) == 0
    db.session.commit()
    metric = db.session.scalars(
        select(CampaignMetric).where(CampaignMetric.campaign_id == campaign.id)
    ).one()
    assert (metric.impressions, metric.conversions, metric.source) == (1, 1, "tracked")


@pytest.mark.parametrize("channel", ["sms", "whatsapp"])
def test_text_messages_go_to_the_outbox_without_twilio(app, alice_org, channel):
    step = {
        "channel": channel,
        "subject": "",
        "body": "Hi {{firstName|there}}",
        "delay_value": 0,
        "delay_unit": "minutes",
    }
    campaign = make_sequence(alice_org, steps=[step], schedule=ANY_TIME)
    make_contact(alice_org, email=None, phone="+44 7911 123456", name="Ana")
    assert process(app).sent == 1
    [row] = db.session.scalars(select(OutboxMessage)).all()
    # The contact's first text ends with the opt-out footer (issue 14, item 11).
    assert (row.channel, row.to, row.body_text) == (
        channel,
        "+447911123456",
        "Hi Ana\n\nReply STOP to opt out",
    )
    assert sends_of(campaign)[0].provider == "outbox"


def test_a_finishing_sequence_completes_only_when_no_message_is_left(app, alice_org, clock):
    campaign = make_sequence(alice_org, steps=WELCOME[:2])
    make_contact(alice_org, email="ana@example.com")
    assert (
        sequence_lifecycle.finish_sequence(db.session, campaign, actor_id=None, now=START) is False
    )
    db.session.commit()
    assert campaign.status == "active"
    make_contact(alice_org, email="late@example.com")  # no new enrolments once finishing
    assert len(enrollments_of(campaign)) == 1
    process(app)
    assert (
        sequence_lifecycle.complete_finished(db.session, org_id=alice_org.id, now=START) == 0
    )  # step 2 still queued
    clock.advance(days=3)
    assert process(app).sent == 1
    assert sequence_lifecycle.complete_finished(db.session, org_id=alice_org.id, now=clock()) == 1
    db.session.commit()
    assert campaign.status == "completed"
    empty = make_sequence(alice_org, name="Empty")
    assert sequence_lifecycle.finish_sequence(db.session, empty, actor_id=None, now=clock()) is True


def test_a_step_without_an_address_is_skipped_and_the_sequence_goes_on(app, alice_org, clock):
    sms_first = {
        "channel": "sms",
        "subject": "",
        "body": "Hi {{firstName|there}}",
        "delay_value": 0,
        "delay_unit": "minutes",
    }
    campaign = make_sequence(
        alice_org,
        steps=[WELCOME[0], sms_first | {"delay_value": 1, "delay_unit": "days"}, WELCOME[1]],
        schedule=ANY_TIME,
    )
    make_contact(alice_org, email="ana@example.com", name="Ana")  # no phone
    assert process(app).sent == 1
    clock.advance(days=1, minutes=1)
    result = process(app)
    # The SMS step is skipped, never queued, for a contact without a phone (issue 15).
    assert (result.sent, result.failed, result.cancelled) == (0, 0, 0)
    assert not [s for s in sends_of(campaign) if s.channel == "sms"]
    clock.advance(days=3)
    assert process(app).sent == 1  # the third step still goes out
    [enrollment] = enrollments_of(campaign)
    assert enrollment.status == "completed"
    assert [s.status for s in sorted(sends_of(campaign), key=lambda s: s.step_id)] == [
        "sent",
        "sent",
    ]


def test_a_delivery_report_before_the_acknowledgement_is_kept(app, alice_org, monkeypatch):
    """Twilio may call back between the send and the worker's acknowledgement: the report wins."""
    from sqlalchemy.orm import Session

    from tests.fakes.twilio_server import FakeTwilio, use_twilio
    from webapp.integrations.twilio.messaging import TwilioSender

    real_send = TwilioSender.send

    def send_then_report(self, to, body, **kwargs):
        receipt = real_send(self, to, body, **kwargs)
        send_id = (
            int(kwargs["status_callback"].rsplit("/", 1)[-1].split("?")[0])
            if "/" in (kwargs.get("status_callback") or "")
            else None
        )
        with Session(db.engine) as session:  # the webhook's own request and transaction
            [send] = session.scalars(select(Send).where(Send.provider_message_id.is_(None))).all()
            assert send_id in (None, send.id)
            delivery_reports.record_delivery_status(
                session,
                send.id,
                "delivered",
                None,
                START,
                provider_message_id=receipt.provider_message_id,
            )
            session.commit()
        return receipt

    monkeypatch.setattr(TwilioSender, "send", send_then_report)
    server = FakeTwilio().start()
    try:
        use_twilio(app, server)
        step = {
            "channel": "sms",
            "subject": "",
            "body": "Hi",
            "delay_value": 0,
            "delay_unit": "minutes",
        }
        campaign = make_sequence(alice_org, steps=[step], schedule=ANY_TIME)
        make_contact(alice_org, email=None, phone="+447911123456", name="Ana")
        assert process(app).sent == 1
        [send] = sends_of(campaign)
        assert (send.status, send.provider) == ("delivered", "twilio")
        assert send.delivered_at is not None and send.sent_at is not None
        assert job_of(send).status == "completed"
    finally:
        server.stop()


def test_a_rate_limited_message_waits_at_least_as_long_as_the_provider_asked(app, alice_org, clock):
    from tests.fakes.twilio_server import FakeTwilio, use_twilio

    server = FakeTwilio().start()
    try:
        use_twilio(app, server)
        app.config["SMS_PER_MINUTE"] = 0
        step = {
            "channel": "sms",
            "subject": "",
            "body": "Hi",
            "delay_value": 0,
            "delay_unit": "minutes",
        }
        campaign = make_sequence(alice_org, steps=[step], schedule=ANY_TIME)
        make_contact(alice_org, email=None, phone="+447911123456", name="Ana")
        server.fail_next(429, code=20429, retry_after=600)
        assert process(app).retried == 1
        job = job_of(sends_of(campaign)[0])
        assert (job.status, job.error_class) == ("pending", "RATE_LIMITED")
        assert job.run_at >= clock() + timedelta(seconds=600)  # the backoff alone would be seconds
    finally:
        server.stop()
