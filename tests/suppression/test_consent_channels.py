"""Consent per channel: an SMS STOP opts out of SMS only, the email link of email only, an
SMS START lifts the SMS opt-out only (it used to resubscribe email); a person's "unsubscribe
from everything" stays everything; provider refusals opt out or suppress."""

from __future__ import annotations

from webapp.core.extensions import db
from webapp.integrations.resilience import ErrorClass, IntegrationError
from webapp.models import Lead
from webapp.services.leads.capture import capture_lead
from webapp.services.messaging import consent
from webapp.services.messaging.inbound import handle_inbound
from webapp.services.suppression import blocked, may_send, note_send_failure

DANA = "+14155552671"


def dana(org_id, clock) -> Lead:
    lead, _ = capture_lead(
        db.session,
        org_id,
        {"full_name": "Dana Diaz", "email": "dana@example.org", "phone": DANA},
        source="manual",
        now=clock(),
    )
    db.session.commit()
    return lead


def text(body: str, clock, channel: str = "sms", org_id: int | None = None):
    phone = DANA
    result = handle_inbound(
        db.session, phone=phone, body=body, channel=channel, message_sid=None, now=clock(),
        org_id=org_id,
    )  # fmt: skip
    db.session.commit()
    return result


def allowed(lead: Lead) -> dict[str, bool]:
    db.session.refresh(lead)
    return {c: may_send(db.session, lead, c) is None for c in ("email", "sms", "whatsapp")}


def test_an_sms_start_does_not_resubscribe_email(alice_org, clock):
    lead = dana(alice_org.id, clock)
    consent.unsubscribe(db.session, lead, channel="email", reason="the link", now=clock())
    db.session.commit()
    text("STOP", clock, org_id=alice_org.id)
    assert allowed(lead) == {"email": False, "sms": False, "whatsapp": True}

    clock.advance(days=1)
    text("START", clock, org_id=alice_org.id)

    assert allowed(lead) == {"email": False, "sms": True, "whatsapp": True}
    assert blocked(db.session, alice_org.id, "email", lead.email) == "unsubscribe"


def test_start_after_unsubscribing_from_everything_brings_back_that_channel_only(
    alice, alice_org, clock
):
    lead = dana(alice_org.id, clock)
    consent.unsubscribe(db.session, lead, channel=None, reason="asked by phone", now=clock(),
                        actor_id=alice.id)  # fmt: skip
    db.session.commit()
    assert allowed(lead) == {"email": False, "sms": False, "whatsapp": False}

    text("START", clock, org_id=alice_org.id)

    assert allowed(lead) == {"email": False, "sms": True, "whatsapp": False}


def test_a_whatsapp_stop_leaves_sms_and_email_alone(alice_org, clock):
    lead = dana(alice_org.id, clock)
    answer = text("STOP", clock, channel="whatsapp", org_id=alice_org.id)
    assert "no more WhatsApp messages from Alice Bakes" in answer.reply
    assert allowed(lead) == {"email": True, "sms": True, "whatsapp": False}
    # YES is an opt-in word for whoever opted out of that channel only.
    assert text("YES", clock, channel="sms", org_id=alice_org.id).action == "message"
    assert text("YES", clock, channel="whatsapp", org_id=alice_org.id).action == "resubscribed"
    assert allowed(lead)["whatsapp"]


def test_a_person_resubscribing_everything_keeps_bounces(alice, alice_org, clock):
    lead = dana(alice_org.id, clock)
    failure = IntegrationError(
        "SMTP 550: 5.1.1 <dana@example.org>: Recipient address rejected: User unknown",
        ErrorClass.INVALID_RECIPIENT,
        provider_code="550",
    )
    verdict = note_send_failure(db.session, org_id=alice_org.id, lead_id=lead.id,
                                channel="email", error=failure, now=clock())  # fmt: skip
    db.session.commit()
    assert verdict.action == "suppress"
    assert blocked(db.session, alice_org.id, "email", lead.email) == "hard_bounce"
    consent.unsubscribe(db.session, lead, channel=None, reason="x", now=clock())
    consent.resubscribe(db.session, lead, channel=None, reason="y", now=clock(), actor_id=alice.id)
    db.session.commit()
    assert allowed(lead) == {"email": False, "sms": True, "whatsapp": True}


def test_a_relay_refusal_suppresses_nobody(alice_org, clock):
    lead = dana(alice_org.id, clock)
    failure = IntegrationError(
        "SMTP 535: 5.7.8 Error: authentication failed: authentication failure",
        ErrorClass.THIRD_PARTY_AUTH_FAILED,
        provider_code="535",
    )
    verdict = note_send_failure(db.session, org_id=alice_org.id, lead_id=lead.id,
                                channel="email", error=failure, now=clock())  # fmt: skip
    assert verdict.action == "hold"
    assert allowed(lead)["email"]


def test_twilio_21610_opts_the_contact_out_of_sms(alice_org, clock):
    lead = dana(alice_org.id, clock)
    failure = IntegrationError(
        "Twilio 400: Attempt to send to unsubscribed recipient",
        ErrorClass.INVALID_RECIPIENT,
        provider_code="21610",
    )
    note_send_failure(db.session, org_id=alice_org.id, lead_id=lead.id, channel="sms",
                      error=failure, now=clock())  # fmt: skip
    db.session.commit()
    assert allowed(lead) == {"email": True, "sms": False, "whatsapp": True}
    assert blocked(db.session, alice_org.id, "sms", DANA) == "unsubscribe"
