"""Every send path asks the suppression list (the dispatcher in one query per batch), a
relay's 550 suppresses the address and its 535 suppresses nobody, Twilio's 21610 opts the
contact out of SMS, and each email's envelope sender is its VERP address."""

from __future__ import annotations

from sqlalchemy import event

from tests.conftest import START
from tests.fakes import smtp_server, twilio_server
from tests.fakes.smtp_server import use_smtp
from tests.fakes.twilio_server import use_twilio
from tests.messaging.factories import WELCOME, make_contact, make_sequence, sends_of
from webapp.core.extensions import db
from webapp.models import Lead
from webapp.services.connections import save_credentials
from webapp.services.messaging.dispatch import process_due
from webapp.services.suppression import blocked, may_send, parse_verp, suppress

smtp_sink = smtp_server.smtp_sink  # the fixtures
fake_twilio = twilio_server.fake_twilio
FIRST = WELCOME[:1]
SMS = [dict(WELCOME[2], delay_value=0)]


def test_the_dispatcher_skips_suppressed_addresses_with_one_query_per_batch(app, alice_org):
    campaign = make_sequence(alice_org, steps=FIRST)
    leads = [make_contact(alice_org, email=f"c{n}@example.org", name=f"C{n}") for n in range(6)]
    suppress(db.session, alice_org.id, "email", "c1@example.org", reason="hard_bounce", now=START)
    suppress(db.session, alice_org.id, "email", "c4@example.org", reason="complaint", now=START)
    db.session.commit()
    statements = []
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        result = process_due(app, now=START)
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    assert (result.sent, result.cancelled) == (4, 2)
    by_lead = {s.lead_id: s for s in sends_of(campaign)}
    assert by_lead[leads[1].id].status == "cancelled" and "bounced" in by_lead[leads[1].id].error
    assert "spam" in by_lead[leads[4].id].error
    assert len([s for s in statements if "FROM suppressions" in s]) == 1


def test_a_550_from_the_relay_suppresses_and_a_535_suppresses_nobody(app, alice_org, smtp_sink):
    use_smtp(app, smtp_sink)
    save_credentials(db.session, alice_org.id, "bounces",
                     {"host": "pop.example", "port": "995", "username": "b", "password": "p",
                      "address": "bounces@alicebakes.example"}, actor_id=None, now=START)  # fmt: skip
    make_sequence(alice_org, steps=FIRST)
    make_contact(alice_org, email="ok@example.org", name="Ok")
    make_contact(alice_org, email="gone@example.org", name="Gone")
    smtp_sink.reject_recipients.add("gone@example.org")
    db.session.commit()

    result = process_due(app, now=START)

    assert (result.sent, result.failed) == (1, 1)
    assert blocked(db.session, alice_org.id, "email", "gone@example.org") == "hard_bounce"
    [received] = smtp_sink.messages
    assert parse_verp(received.mail_from) is not None  # the VERP return path on the wire


def test_an_auth_failure_fails_no_contact_onto_the_list(app, alice_org, smtp_sink):
    use_smtp(app, smtp_sink, SMTP_USERNAME="shop", SMTP_PASSWORD="wrong",
             SMTP_ALLOW_PLAIN_LOGIN=True)  # fmt: skip
    smtp_sink.require_auth("shop", "right")
    make_sequence(alice_org, steps=FIRST)
    make_contact(alice_org, email="dana@example.org", name="Dana")
    db.session.commit()
    process_due(app, now=START)
    assert blocked(db.session, alice_org.id, "email", "dana@example.org") is None


def test_twilio_21610_opts_the_contact_out_of_sms_only(app, alice_org, fake_twilio):
    use_twilio(app, fake_twilio)
    make_sequence(alice_org, steps=SMS)
    lead = make_contact(  # her own zone: 10:00 UTC is daytime there, not 02:00 as in LA
        alice_org,
        email="dana@example.org",
        phone="+14155552671",
        name="Dana",
        timezone="Europe/London",
    )
    fake_twilio.unsubscribed.add("+14155552671")
    db.session.commit()

    process_due(app, now=START)

    lead = db.session.get(Lead, lead.id)
    assert blocked(db.session, alice_org.id, "sms", "+14155552671") == "unsubscribe"
    assert may_send(db.session, lead, "email") is None
    assert lead.unsubscribed_at is None


def test_a_workflow_send_step_and_the_job_api_ask_the_list(app, alice_org):
    from webapp.services.api_jobs.email_send import why_not

    lead = make_contact(alice_org, email="dana@example.org", name="Dana")
    assert why_not(lead) is None
    suppress(db.session, alice_org.id, "email", "dana@example.org", reason="manual", now=START)
    db.session.commit()
    assert "suppressed" in why_not(db.session.get(Lead, lead.id))


def test_a_workflow_send_step_is_not_queued_to_a_suppressed_address(app, alice_org):
    from types import SimpleNamespace

    from webapp.services.workflows.sending import queue_send

    lead = make_contact(alice_org, email="dana@example.org", phone="+14155552671", name="Dana")
    suppress(db.session, alice_org.id, "sms", "+14155552671", reason="unsubscribe", now=START)
    db.session.commit()
    run = SimpleNamespace(lead_id=lead.id, test_mode=True)
    reason = queue_send(db.session, None, run, SimpleNamespace(channel="sms"), START)
    assert "SMS address is suppressed" in reason
