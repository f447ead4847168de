"""The WhatsApp coach with real parts: scheduling by frequency and window in the workspace's
zone, process_due through the outbox with the built-in writer, opted-out contacts skipped,
the local fake Twilio (WhatsApp addresses, 429, 401, open circuit), auto-reply through the
signed inbound webhook with the conversation given to the (fake) OpenAI server, and two
worker processes never writing to one conversation at the same time.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select, update
from twilio.request_validator import RequestValidator

from jobs.runner import run_job
from tests.fakes import twilio_server
from tests.fakes.openai_server import FakeOpenAI, reply_json
from tests.fakes.twilio_server import AUTH_TOKEN, FROM_NUMBER, use_twilio
from webapp import queue
from webapp.core.extensions import db
from webapp.models import (
    ActivityLog,
    AiCall,
    CoachFollowup,
    CoachSettings,
    Conversation,
    ConversationMessage,
    Lead,
    Organization,
    OutboxMessage,
)
from webapp.models.queue import QueuedJob
from webapp.services.coach import audience as coach
from webapp.services.coach.inbound import record_inbound
from webapp.services.coach.schedule import first_due, next_due
from webapp.services.coach.writer import Brief, Turn, builtin_message
from webapp.services.leads.capture import capture_lead
from webapp.services.messaging.consent import unsubscribe

fake_twilio = twilio_server.fake_twilio  # the fixture
PUBLIC_URL = "https://autopilot.example"
DANA = "+14155552671"
ERIN = "+14155552672"
FINN = "+14155552673"
REPO = Path(__file__).resolve().parents[2]


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def settings_of(
    frequency: str = "weekly", start: str = "09:00", end: str = "18:00"
) -> CoachSettings:
    return CoachSettings(frequency=frequency, window_start=start, window_end=end)


def switch_on(org_id: int, clock, **changes) -> CoachSettings:
    values = {**coach.DEFAULTS, "goal": "Book a first tasting visit", "enabled": True, **changes}
    settings = coach.save_settings(db.session, org_id, values, actor_id=None, now=clock())
    db.session.commit()
    return settings


def contact(
    org_id: int,
    clock,
    name: str,
    phone: str | None,
    *,
    status: str = "new",
    timezone: str = "Europe/London",
) -> Lead:
    """A contact who agreed to WhatsApp messages and lives in `timezone` (London)."""
    lead, _created = capture_lead(
        db.session,
        org_id,
        # Her own zone, London, where the tests' clock is daytime: a +1 415 number alone puts
        # her in Los Angeles, where 10:00 UTC is 02:00, the quiet hours for texts.
        {
            "full_name": name,
            "phone": phone,
            "email": f"{name.split()[0].lower()}@example.com",
            "timezone": timezone,
            "whatsapp_consent": "yes",
        },
        source="manual",
        now=clock(),
    )
    lead.status = status
    db.session.commit()
    return lead


def process(app, clock, **kwargs):
    db.session.commit()
    return coach.process_due(
        app, now=clock(), owner="test", deadline=time.monotonic() + 60, **kwargs
    )


def followups(lead_id: int) -> list[CoachFollowup]:
    db.session.rollback()
    return list(
        db.session.scalars(
            select(CoachFollowup).where(CoachFollowup.lead_id == lead_id).order_by(CoachFollowup.id)
        )
    )


def job_of(followup: CoachFollowup) -> QueuedJob:
    """The follow-up's job in the work engine (its lease is the engine's)."""
    db.session.rollback()
    key = f"coach:{followup.kind}:{followup.id}"
    return db.session.scalars(select(QueuedJob).where(QueuedJob.idempotency_key == key)).one()


def conversation_lease(conversation_id: int) -> str | None:
    """Who holds the conversation (its lock key) now: the worker leasing one of its jobs."""
    return db.session.scalar(
        select(QueuedJob.lease_owner).where(
            QueuedJob.lock_key == f"conversation:{conversation_id}",
            QueuedJob.status == "processing",
        )
    )


# --- settings -----------------------------------------------------------------------------------


def test_default_settings_are_off_and_idempotent(app, alice_org, clock):
    first = coach.ensure_default_settings(db.session, alice_org.id, now=clock())
    again = coach.ensure_default_settings(db.session, alice_org.id, now=clock())
    db.session.commit()
    assert first.id == again.id
    assert (
        first.enabled,
        first.auto_reply,
        first.window_start,
        first.window_end,
        first.language,
    ) == (False, False, "09:00", "18:00", "en")
    assert first.goal and first.tone
    assert db.session.scalar(select(func.count(CoachSettings.id))) == 1


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"window_start": "18:00", "window_end": "09:00"}, "window_end"),
        ({"window_start": "9am"}, "window_start"),
        ({"frequency": "hourly"}, "frequency"),
        ({"audience": "everyone"}, "audience"),
        ({"language": "xx"}, "language"),
        ({"goal": ""}, "goal"),
        ({"tone": ""}, "tone"),
    ],
)
def test_settings_are_validated_field_by_field(app, alice_org, clock, changes, field):
    with pytest.raises(coach.SettingsInvalid) as caught:
        coach.save_settings(
            db.session, alice_org.id, {**coach.DEFAULTS, **changes}, actor_id=None, now=clock()
        )
    assert list(caught.value.errors) == [field]


def test_saving_settings_writes_an_activity_row(app, alice_org, clock):
    switch_on(alice_org.id, clock)
    row = db.session.scalars(
        select(ActivityLog).where(ActivityLog.type == "coach.settings_saved")
    ).one()
    assert "coach on" in row.description


# --- scheduling ---------------------------------------------------------------------------------


def test_first_due_waits_for_the_window_and_the_allowed_days():
    monday_10 = utc(2026, 11, 23, 10, 0)  # 10:00 in London
    assert first_due(settings_of("daily"), monday_10, "Europe/London") == monday_10
    assert first_due(settings_of("daily"), utc(2026, 11, 23, 19, 0), "Europe/London") == utc(
        2026, 11, 24, 9, 0
    )
    tuesday_10 = utc(2026, 11, 24, 10, 0)
    assert first_due(settings_of("three_per_week"), tuesday_10, "Europe/London") == utc(
        2026, 11, 25, 9, 0
    )


@pytest.mark.parametrize(
    ("frequency", "expected"),
    [
        ("daily", utc(2026, 11, 24, 10, 30)),  # Tuesday, same time of day
        ("three_per_week", utc(2026, 11, 25, 10, 30)),  # Monday -> Wednesday
        ("weekly", utc(2026, 11, 30, 10, 30)),  # next Monday
    ],
)
def test_next_due_by_frequency(frequency, expected):
    assert next_due(settings_of(frequency), utc(2026, 11, 23, 10, 30), "Europe/London") == expected


def test_three_a_week_goes_from_friday_to_monday_and_wednesday_to_friday():
    s = settings_of("three_per_week")
    assert next_due(s, utc(2026, 11, 27, 12, 0), "Europe/London") == utc(2026, 11, 30, 12, 0)
    assert next_due(s, utc(2026, 11, 25, 12, 0), "Europe/London") == utc(2026, 11, 27, 12, 0)


def test_next_due_moves_into_the_window():
    s = settings_of("daily", "09:00", "12:00")
    # Sent at 17:00 (by hand, outside the window): the next one is the next day's opening.
    assert next_due(s, utc(2026, 11, 23, 17, 0), "Europe/London") == utc(2026, 11, 24, 9, 0)


def test_the_window_is_read_in_the_workspace_time_zone():
    s = settings_of("daily")
    # 10:00 UTC is 05:00 in New York: the first follow-up waits for 09:00 there (14:00 UTC).
    assert first_due(s, utc(2026, 11, 23, 10, 0), "America/New_York") == utc(2026, 11, 23, 14, 0)
    # 15:00 in New York (20:00 UTC) daily -> the next day 15:00 there.
    assert next_due(s, utc(2026, 11, 23, 20, 0), "America/New_York") == utc(2026, 11, 24, 20, 0)
    # Tokyo: 10:00 UTC is 19:00, after the window; the next opening is 09:00 Tuesday (00:00 UTC).
    assert first_due(s, utc(2026, 11, 23, 10, 0), "Asia/Tokyo") == utc(2026, 11, 24, 0, 0)


def test_the_same_local_time_across_a_dst_change():
    # London leaves summer time on Sunday 25 October 2026: 10:00 BST is 09:00 UTC, 10:00 GMT is 10:00 UTC.
    assert next_due(settings_of("daily"), utc(2026, 10, 24, 9, 0), "Europe/London") == utc(
        2026, 10, 25, 10, 0
    )


def test_schedule_followups_enrols_the_audience_once(app, alice_org, clock):
    dana = contact(alice_org.id, clock, "Dana Diaz", DANA)
    erin = contact(alice_org.id, clock, "Erin Ek", ERIN, status="qualified")
    contact(alice_org.id, clock, "No Phone", None)
    gone = contact(alice_org.id, clock, "Finn Gone", FINN)
    unsubscribe(db.session, gone, channel="whatsapp", reason="replied STOP", now=clock())
    db.session.commit()

    assert coach.schedule_followups(db.session, alice_org.id, now=clock()) == 0  # the coach is off
    switch_on(alice_org.id, clock, audience="new_leads")
    assert coach.schedule_followups(db.session, alice_org.id, now=clock()) == 1
    db.session.commit()
    assert [f.lead_id for f in db.session.scalars(select(CoachFollowup))] == [dana.id]
    assert coach.schedule_followups(db.session, alice_org.id, now=clock()) == 0  # never twice

    switch_on(alice_org.id, clock, audience="qualified")
    assert coach.schedule_followups(db.session, alice_org.id, now=clock()) == 1
    switch_on(alice_org.id, clock, audience="all_contacts")
    assert (
        coach.schedule_followups(db.session, alice_org.id, now=clock()) == 0
    )  # Dana and Erin have one
    db.session.commit()
    assert db.session.scalar(select(func.count(Conversation.id))) == 2
    pending = db.session.scalars(
        select(CoachFollowup).where(CoachFollowup.lead_id == erin.id)
    ).one()
    assert (
        pending.status == "pending" and pending.due_at == clock()
    )  # Monday 10:00 London is in the window


# --- process_due --------------------------------------------------------------------------------


def test_process_due_sends_through_the_outbox_with_the_builtin_writer(app, alice_org, clock):
    dana = contact(alice_org.id, clock, "Dana Diaz", DANA)
    switch_on(alice_org.id, clock, frequency="daily")
    coach.schedule_followups(db.session, alice_org.id, now=clock())

    result = process(app, clock)

    assert (result.sent, result.failed, result.skipped) == (1, 0, 0)
    outbox = db.session.scalars(select(OutboxMessage)).one()
    assert (outbox.channel, outbox.to, outbox.purpose) == ("whatsapp", DANA, "coach")
    assert "Dana" in outbox.body_text and "Alice Bakes" in outbox.body_text
    assert "book a first tasting visit" in outbox.body_text.lower()
    message = db.session.scalars(select(ConversationMessage)).one()
    assert (message.direction, message.status, message.ai_provider, message.body) == (
        "out",
        "sent",
        "builtin",
        outbox.body_text,
    )
    assert message.provider == "outbox" and message.provider_sid == str(outbox.id)
    done, following = followups(dana.id)
    assert (done.status, done.sent_at, done.open_key, done.message_id) == (
        "sent",
        clock(),
        None,
        message.id,
    )
    assert (following.status, following.due_at) == ("pending", clock() + timedelta(days=1))
    conversation = db.session.get(Conversation, message.conversation_id)
    assert (
        conversation.last_outbound_at,
        conversation.message_count,
        conversation_lease(conversation.id),
    ) == (clock(), 1, None)
    assert db.session.scalar(select(AiCall.purpose)) == "coach_followup"
    summary = db.session.scalars(select(ActivityLog).where(ActivityLog.type == "coach.run")).one()
    assert summary.org_id == alice_org.id and summary.description.startswith(
        "WhatsApp coach: 1 follow-up sent"
    )

    # Nothing more is due today; tomorrow's follow-up builds on the first (another variant).
    assert process(app, clock).sent == 0
    clock.advance(days=1)
    assert process(app, clock).sent == 1
    bodies = [
        m.body
        for m in db.session.scalars(select(ConversationMessage).order_by(ConversationMessage.id))
    ]
    assert len(bodies) == 2 and bodies[0] != bodies[1]


def test_many_workspaces_get_one_summary_row_each(app, alice_org, charlie, clock):
    charlie_org = db.session.scalars(
        select(Organization).where(Organization.name == "Charlie Cuts")
    ).one()
    for org, phones in ((alice_org, (DANA, ERIN)), (charlie_org, (FINN,))):
        for n, phone in enumerate(phones):
            contact(org.id, clock, f"Person{n} {org.id}", phone)
        switch_on(org.id, clock)
    coach.schedule_followups(db.session, None, now=clock())
    result = process(app, clock)
    assert result.sent == 3
    rows = db.session.scalars(
        select(ActivityLog).where(ActivityLog.type == "coach.run").order_by(ActivityLog.org_id)
    )
    assert [(r.org_id, r.details["sent"]) for r in rows] == [(alice_org.id, 2), (charlie_org.id, 1)]


def test_an_opted_out_contact_is_skipped_with_the_reason(app, alice_org, clock):
    dana = contact(alice_org.id, clock, "Dana Diaz", DANA)
    switch_on(alice_org.id, clock)
    coach.schedule_followups(db.session, alice_org.id, now=clock())
    unsubscribe(
        db.session,
        db.session.get(Lead, dana.id),
        channel="whatsapp",
        reason="replied STOP",
        now=clock(),
    )
    db.session.commit()

    result = process(app, clock)

    assert (result.sent, result.skipped) == (0, 1)
    assert db.session.scalar(select(func.count(OutboxMessage.id))) == 0
    [skipped] = followups(dana.id)  # and no next one
    assert skipped.status == "skipped" and "opted out" in skipped.last_error
    conversation = db.session.scalars(select(Conversation)).one()
    assert conversation.status == "opted_out" and conversation_lease(conversation.id) is None
    assert coach.schedule_followups(db.session, alice_org.id, now=clock()) == 0


def test_a_contact_who_left_the_audience_is_skipped(app, alice_org, clock):
    dana = contact(alice_org.id, clock, "Dana Diaz", DANA)
    switch_on(alice_org.id, clock, audience="new_leads")
    coach.schedule_followups(db.session, alice_org.id, now=clock())
    db.session.get(Lead, dana.id).status = "won"
    result = process(app, clock)
    assert (
        result.skipped == 1
        and "no longer in the coach's audience" in followups(dana.id)[0].last_error
    )


def test_a_followup_found_outside_the_window_waits_for_it(app, alice_org, clock):
    dana = contact(alice_org.id, clock, "Dana Diaz", DANA)
    switch_on(alice_org.id, clock, frequency="daily")
    coach.schedule_followups(db.session, alice_org.id, now=clock())
    clock.set(utc(2026, 11, 23, 19, 30))  # the tick came late: 19:30 in London
    result = process(app, clock)
    assert (result.sent, result.deferred) == (0, 1)
    [waiting] = followups(dana.id)
    assert (waiting.status, waiting.attempts, waiting.due_at) == (
        "pending",
        0,
        utc(2026, 11, 24, 9, 0),
    )


def test_a_switched_off_coach_sends_nothing(app, alice_org, clock):
    contact(alice_org.id, clock, "Dana Diaz", DANA)
    switch_on(alice_org.id, clock)
    coach.schedule_followups(db.session, alice_org.id, now=clock())
    switch_on(alice_org.id, clock, enabled=False)
    assert process(app, clock).sent == 0
    assert db.session.scalar(select(func.count(OutboxMessage.id))) == 0


def test_the_coach_job_enrols_and_sends(app, alice_org, clock):
    contact(alice_org.id, clock, "Dana Diaz", DANA)
    switch_on(alice_org.id, clock)
    db.session.commit()
    outcome = run_job(app, "coach", trigger="manual", org_id=alice_org.id)
    assert outcome.status == "succeeded", outcome.message
    db.session.rollback()
    assert db.session.scalar(select(func.count(OutboxMessage.id))) == 1


def test_the_builtin_writer_is_personal_and_answers_questions():
    brief = Brief(
        "Alice Bakes", "Dana", "Book a first tasting visit", "motivating", "de", "followup"
    )
    text = builtin_message(brief)["message"]
    assert "Dana" in text and "Alice Bakes" in text and "Einen schönen Tag noch!" in text
    reply = builtin_message(
        Brief(
            "Alice Bakes",
            "Dana",
            "Book a visit",
            "friendly",
            "en",
            "reply",
            (Turn("out", "Hi"), Turn("in", "Do you open on Sundays?")),
        )
    )["message"]
    assert "Do you open on Sundays?" in reply


# --- Twilio (the local fake) --------------------------------------------------------------------


def test_a_claim_takes_no_more_than_the_batch(app, alice_org, clock):
    """Each claim leases at most its batch, so other workers find work too (PostgreSQL once
    leased the whole backlog to the first worker)."""
    for n in range(5):
        contact(alice_org.id, clock, f"Person{n} Batch", f"+1415555{4000 + n}")
    switch_on(alice_org.id, clock, window_start="00:00", window_end="23:59")
    coach.schedule_followups(db.session, alice_org.id, now=clock())
    app.config["COACH_BATCH_SIZE"] = 2
    first = process(app, clock, limit=3)
    assert (first.sent, first.batches) == (3, 2)
    db.session.rollback()
    assert db.session.scalar(select(func.count()).where(QueuedJob.status == "processing")) == 0
    assert process(app, clock).sent == 2


def test_whatsapp_goes_to_whatsapp_addresses_through_twilio(app, alice_org, clock, fake_twilio):
    use_twilio(app, fake_twilio)
    contact(alice_org.id, clock, "Dana Diaz", DANA)
    switch_on(alice_org.id, clock)
    coach.schedule_followups(db.session, alice_org.id, now=clock())

    assert process(app, clock).sent == 1

    [post] = fake_twilio.posted()
    assert post.form["To"] == f"whatsapp:{DANA}" and post.form["From"] == f"whatsapp:{FROM_NUMBER}"
    assert "Dana" in post.form["Body"]
    message = db.session.scalars(select(ConversationMessage)).one()
    assert message.provider == "twilio" and message.provider_sid == fake_twilio.messages[0]["sid"]
    assert db.session.scalar(select(func.count(OutboxMessage.id))) == 0


def test_a_rate_limit_is_retried_later_and_auth_failure_fails(app, alice_org, clock, fake_twilio):
    use_twilio(app, fake_twilio)
    dana = contact(alice_org.id, clock, "Dana Diaz", DANA)
    erin = contact(alice_org.id, clock, "Erin Ek", ERIN)
    switch_on(alice_org.id, clock)
    coach.schedule_followups(db.session, alice_org.id, now=clock())
    fake_twilio.fail_next(429, retry_after=120)
    fake_twilio.fail_next(401, code=20003)

    result = process(app, clock)

    assert (result.sent, result.retried, result.failed) == (0, 1, 1)
    [retry] = followups(dana.id)
    assert (retry.status, retry.attempts, retry.error_class) == ("pending", 1, "RATE_LIMITED")
    assert retry.due_at == clock() + timedelta(seconds=120)
    failed, following = followups(erin.id)
    assert (failed.status, failed.error_class, failed.open_key) == (
        "failed",
        "THIRD_PARTY_AUTH_FAILED",
        None,
    )
    assert (
        following.status == "pending" and following.due_at > clock()
    )  # the coach tries again next week
    alert = db.session.scalars(select(ActivityLog).where(ActivityLog.type == "coach.failed")).one()
    assert "Settings → Integrations" in alert.description
    failed_message = db.session.scalars(
        select(ConversationMessage).where(ConversationMessage.status == "failed")
    ).one()
    assert failed_message.followup_id == failed.id

    clock.advance(minutes=3)
    assert process(app, clock).sent == 1
    assert followups(dana.id)[0].status == "sent"


def test_retryable_failures_stop_after_three_attempts(app, alice_org, clock, fake_twilio):
    use_twilio(app, fake_twilio)
    dana = contact(alice_org.id, clock, "Dana Diaz", DANA)
    switch_on(alice_org.id, clock)
    coach.schedule_followups(db.session, alice_org.id, now=clock())
    fake_twilio.fail_next(500, times=3)
    for _ in range(3):
        process(app, clock)
        clock.advance(minutes=10)
    first = followups(dana.id)[0]
    assert (first.status, first.attempts, first.error_class) == ("failed", 3, "TRANSIENT_NETWORK")


def test_an_open_circuit_puts_followups_back_without_an_attempt(app, alice_org, clock, fake_twilio):
    use_twilio(app, fake_twilio)
    phones = [f"+1415555{2680 + n}" for n in range(6)]
    leads = [
        contact(alice_org.id, clock, f"Person{n} Test", phone) for n, phone in enumerate(phones)
    ]
    switch_on(alice_org.id, clock)
    coach.schedule_followups(db.session, alice_org.id, now=clock())
    fake_twilio.fail_next(503, times=5)

    result = process(app, clock)

    assert (result.retried, result.deferred, result.sent) == (5, 1, 0)
    last = followups(leads[-1].id)[0]
    assert (last.status, last.attempts) == ("pending", 0)
    assert last.due_at == clock() + timedelta(seconds=60)  # the breaker's retry time
    assert len(fake_twilio.posted()) == 5


def test_twilio_reports_a_coach_messages_delivery(app, client, alice_org, clock, fake_twilio):
    use_twilio(app, fake_twilio, PUBLIC_URL=PUBLIC_URL)
    contact(alice_org.id, clock, "Dana Diaz", DANA)
    switch_on(alice_org.id, clock)
    coach.schedule_followups(db.session, alice_org.id, now=clock())
    assert process(app, clock).sent == 1
    [post] = fake_twilio.posted()
    message = db.session.scalars(select(ConversationMessage)).one()
    path = f"/webhooks/twilio/coach-status/{message.followup_id}"
    assert post.form["StatusCallback"] == PUBLIC_URL + path

    def report(params: dict, token: str = AUTH_TOKEN):
        signature = RequestValidator(token).compute_signature(PUBLIC_URL + path, params)
        return client.post(path, data=params, headers={"X-Twilio-Signature": signature})

    assert (
        report(
            {"MessageSid": message.provider_sid, "MessageStatus": "delivered"}, "wrong"
        ).status_code
        == 403
    )
    assert (
        report({"MessageSid": "SM" + "0" * 32, "MessageStatus": "failed"}).status_code == 204
    )  # not its SID
    db.session.expire_all()
    assert db.session.get(ConversationMessage, message.id).status == "sent"
    assert (
        report({"MessageSid": message.provider_sid, "MessageStatus": "delivered"}).status_code
        == 204
    )
    db.session.expire_all()
    assert db.session.get(ConversationMessage, message.id).status == "delivered"
    assert (
        client.post("/webhooks/twilio/coach-status/999999", data={}).status_code == 403
    )  # unsigned


# --- auto-reply through the signed webhook --------------------------------------------------------


def signed_post(client, params: dict):
    path = "/webhooks/twilio/inbound"
    signature = RequestValidator(AUTH_TOKEN).compute_signature(PUBLIC_URL + path, params)
    return client.post(path, data=params, headers={"X-Twilio-Signature": signature})


@pytest.fixture
def openai_fake():
    server = FakeOpenAI().start()
    yield server
    server.stop()


def test_auto_reply_answers_with_the_conversation_as_context(
    app, client, alice_org, clock, fake_twilio, openai_fake
):
    use_twilio(app, fake_twilio, PUBLIC_URL=PUBLIC_URL)
    dana = contact(alice_org.id, clock, "Dana Diaz", DANA)
    switch_on(alice_org.id, clock, auto_reply=True)
    coach.schedule_followups(db.session, alice_org.id, now=clock())
    assert process(app, clock).sent == 1  # the built-in writer's first follow-up
    first = db.session.scalars(select(ConversationMessage)).one().body

    app.config.update(OPENAI_API_KEY="sk-test", OPENAI_BASE_URL=f"{openai_fake.base_url}/v1")
    openai_fake.script(
        reply_json({"message": "Yes, we open at 10 on Sundays, Dana. See you there?"})
    )
    clock.advance(minutes=5)
    db.session.commit()
    response = signed_post(
        client,
        {
            "From": f"whatsapp:{DANA}",
            "To": f"whatsapp:{FROM_NUMBER}",
            "Body": "Are you open on Sundays?",
            "MessageSid": "SMinbound1",
        },
    )
    assert response.status_code == 200 and "<Message>" not in response.get_data(as_text=True)
    response.close()  # the server closes the response: the reply goes out now

    [call] = openai_fake.posts
    prompt = "\n".join(m["content"] for m in call.body["messages"])
    assert (
        first in prompt
        and "Are you open on Sundays?" in prompt
        and "Book a first tasting visit" in prompt
    )
    db.session.rollback()
    messages = db.session.scalars(
        select(ConversationMessage).order_by(ConversationMessage.id)
    ).all()
    assert [(m.direction, m.kind, m.ai_provider) for m in messages] == [
        ("out", "followup", "builtin"),
        ("in", None, None),
        ("out", "reply", "openai"),
    ]
    assert messages[2].body == "Yes, we open at 10 on Sundays, Dana. See you there?"
    reply_post = fake_twilio.posted()[-1]
    assert (
        reply_post.form["To"] == f"whatsapp:{DANA}" and reply_post.form["Body"] == messages[2].body
    )
    reply = db.session.scalars(select(CoachFollowup).where(CoachFollowup.kind == "reply")).one()
    assert reply.status == "sent" and reply.lead_id == dana.id

    # Twilio delivering the same webhook again keeps nothing twice and answers nothing twice.
    signed_post(
        client,
        {
            "From": f"whatsapp:{DANA}",
            "To": f"whatsapp:{FROM_NUMBER}",
            "Body": "Are you open on Sundays?",
            "MessageSid": "SMinbound1",
        },
    ).close()
    db.session.rollback()
    assert db.session.scalar(select(func.count(ConversationMessage.id))) == 3


def test_no_reply_to_an_opted_out_contact_or_with_auto_reply_off(
    app, client, alice_org, clock, fake_twilio
):
    use_twilio(app, fake_twilio, PUBLIC_URL=PUBLIC_URL)
    dana = contact(alice_org.id, clock, "Dana Diaz", DANA)
    erin = contact(alice_org.id, clock, "Erin Ek", ERIN)
    switch_on(alice_org.id, clock, auto_reply=True)
    unsubscribe(
        db.session,
        db.session.get(Lead, dana.id),
        channel="whatsapp",
        reason="replied STOP",
        now=clock(),
    )
    db.session.commit()
    signed_post(
        client, {"From": f"whatsapp:{DANA}", "Body": "hello again", "MessageSid": "SMd1"}
    ).close()
    switch_on(alice_org.id, clock, auto_reply=False)
    signed_post(client, {"From": f"whatsapp:{ERIN}", "Body": "hello", "MessageSid": "SMe1"}).close()

    db.session.rollback()
    assert fake_twilio.posted() == []
    assert (
        db.session.scalar(select(func.count(CoachFollowup.id)).where(CoachFollowup.kind == "reply"))
        == 0
    )
    kept = db.session.scalars(select(ConversationMessage).order_by(ConversationMessage.id)).all()
    assert [(m.direction, m.body) for m in kept] == [("in", "hello again"), ("in", "hello")]
    assert {c.lead_id for c in db.session.scalars(select(Conversation))} == {dana.id, erin.id}


def test_a_queued_reply_is_sent_by_the_job_when_the_request_hook_did_not(app, alice_org, clock):
    dana = contact(alice_org.id, clock, "Dana Diaz", DANA)
    switch_on(alice_org.id, clock, auto_reply=True)
    record = record_inbound(
        db.session, alice_org.id, db.session.get(Lead, dana.id), "Thanks!", "SMx", clock()
    )
    db.session.commit()
    assert record.reply_followup_id is not None
    result = process(app, clock, only=[record.reply_followup_id])
    assert result.replies == 1
    reply = db.session.scalars(select(OutboxMessage)).one()
    assert reply.purpose == "auto_reply" and "Thanks for your message, Dana" in reply.body_text


# --- robustness ---------------------------------------------------------------------------------


def test_a_worker_that_lost_its_lease_records_and_sends_nothing(app, alice_org, clock, monkeypatch):
    """Outbox: the message, its outbox row and the follow-up's end are one transaction; when the
    follow-up was taken over meanwhile (our lease expired), that transaction is dropped, so the
    new holder's send is the only one."""
    from webapp.services.coach import process as coach_process

    dana = contact(alice_org.id, clock, "Dana Diaz", DANA)
    switch_on(alice_org.id, clock, frequency="daily")
    coach.schedule_followups(db.session, alice_org.id, now=clock())
    db.session.commit()
    real_write = coach_process.write_message

    def slow_write(session, org_id, brief, *, now):
        with db.engine.begin() as conn:  # meanwhile another worker took the follow-up over
            conn.execute(update(QueuedJob).values(lease_owner="other-worker"))
        return real_write(session, org_id, brief, now=now)

    monkeypatch.setattr(coach_process, "write_message", slow_write)
    result = process(app, clock)

    assert result.sent == 0
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 0
    assert db.session.scalar(select(func.count()).select_from(ConversationMessage)) == 0
    [followup] = followups(dana.id)
    job = job_of(followup)
    assert (followup.status, job.status, job.lease_owner) == (
        "pending",
        "processing",
        "other-worker",
    )


def test_a_followup_whose_worker_died_on_its_last_attempt_ends_failed(app, alice_org, clock):
    """Three workers died holding its job; housekeeping fails the job and, through the
    kind's on_failed, the follow-up with the reason, scheduling the next one (as a failed
    send would)."""
    dana = contact(alice_org.id, clock, "Dana Diaz", DANA)
    switch_on(alice_org.id, clock, frequency="daily")
    coach.schedule_followups(db.session, alice_org.id, now=clock())
    db.session.commit()
    for n in range(3):
        [job] = queue.claim(db.session, f"dead{n}", now=clock(), lease_seconds=60)
        db.session.commit()
        clock.advance(minutes=2)
    assert queue.recover_stale(db.session, now=clock()) == 1
    db.session.commit()

    failed, following = followups(dana.id)
    assert (failed.status, failed.error_class, failed.attempts) == ("failed", "LEASE_EXPIRED", 3)
    assert "last attempt" in failed.last_error and failed.open_key is None
    assert following.status == "pending" and job_of(following).status == "pending"
    assert process(app, clock).failed == 0  # settled once


def test_an_unexpected_error_fails_that_followup_and_the_rest_go_out(
    app, alice_org, charlie, clock, monkeypatch
):
    from webapp.services.coach import process as coach_process

    charlie_org = db.session.scalars(
        select(Organization).where(Organization.name == "Charlie Cuts")
    ).one()
    dana = contact(alice_org.id, clock, "Dana Diaz", DANA)
    finn = contact(charlie_org.id, clock, "Finn Fox", FINN)
    switch_on(alice_org.id, clock)
    switch_on(charlie_org.id, clock)
    coach.schedule_followups(db.session, None, now=clock())
    db.session.commit()
    real_write = coach_process.write_message

    def broken_for_alice(session, org_id, brief, *, now):
        if org_id == alice_org.id:
            raise KeyError("a bug in one workspace's data")
        return real_write(session, org_id, brief, now=now)

    monkeypatch.setattr(coach_process, "write_message", broken_for_alice)
    result = process(app, clock)

    assert (result.sent, result.failed) == (1, 1)
    assert followups(finn.id)[0].status == "sent"
    failed = followups(dana.id)[0]
    assert (
        failed.status == "failed"
        and "KeyError" in failed.last_error
        and job_of(failed).lease_owner is None
    )
    conversation = db.session.scalars(
        select(Conversation).where(Conversation.lead_id == dana.id)
    ).one()
    assert conversation_lease(conversation.id) is None
