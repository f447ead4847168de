"""Twilio's webhooks: signed status callbacks and inbound STOP / START / HELP / replies."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from twilio.request_validator import RequestValidator

from tests.conftest import make_user, org_of
from tests.fakes import twilio_server
from tests.fakes.twilio_server import AUTH_TOKEN, use_twilio
from webapp.core.extensions import db
from webapp.models import Lead, LeadEvent, QueuedJob
from webapp.models.sequence import Send
from webapp.services.leads.capture import capture_lead
from webapp.services.messaging.sequence_lifecycle import activate_sequence
from webapp.services.messaging.sequences import add_step, create_sequence
from webapp.services.messaging.triggering import send_immediate

PUBLIC_URL = "https://autopilot.example"
DANA = "+14155552671"
ALL_WEEK = {
    "days": [0, 1, 2, 3, 4, 5, 6],
    "start": "00:00",
    "end": "23:59",
    "timezone_mode": "workspace",
}

fake_twilio = twilio_server.fake_twilio  # the fixture


@pytest.fixture
def twilio_app(app, fake_twilio):
    use_twilio(app, fake_twilio, PUBLIC_URL=PUBLIC_URL)
    return app


def signed_post(
    client, path: str, params: dict, *, token: str = AUTH_TOKEN, signed_path: str | None = None
):
    signature = RequestValidator(token).compute_signature(
        PUBLIC_URL + (signed_path or path), params
    )
    return client.post(path, data=params, headers={"X-Twilio-Signature": signature})


def opted_out(lead: Lead, channel: str) -> bool:
    """Whether the contact opted out of `channel` (a STOP by SMS opts out of SMS only)."""
    from webapp.services.messaging.consent import opted_out as check

    return check(db.session, reload(lead), channel)


def make_lead(org_id: int, clock, phone: str = DANA, name: str = "Dana Diaz") -> Lead:
    lead, _created = capture_lead(
        db.session,
        org_id,
        # Her own zone, where the tests' clock (10:00 UTC) is daytime: a +1 415 number alone
        # would put her in Los Angeles at 02:00, the quiet hours (messaging/quiet_hours.py).
        {"full_name": name, "phone": phone, "timezone": "Europe/London"},
        source="manual",
        now=clock(),
    )
    db.session.commit()
    return lead


def sms_sequence(org_id: int, clock):
    campaign = create_sequence(
        db.session, org_id, name="Welcome texts", schedule=ALL_WEEK, actor_id=None, now=clock()
    )
    for delay in (0, 2):
        add_step(
            db.session,
            campaign,
            channel="sms",
            subject="",
            body="Hi {{firstName|there}}, welcome!",
            delay_value=delay,
            delay_unit="days",
            actor_id=None,
            now=clock(),
        )
    activate_sequence(db.session, campaign, actor_id=None, now=clock())
    db.session.commit()
    return campaign


def sent_by_twilio(org_id: int, clock, phone: str = DANA) -> tuple[Lead, Send]:
    """A contact who received step 1 of an SMS sequence through (fake) Twilio; step 2 is queued."""
    lead = make_lead(org_id, clock, phone)
    campaign = sms_sequence(org_id, clock)
    result = send_immediate(db.session, campaign, [lead.id], test_mode=False, now=clock())
    assert result.sent == 1, result.details
    db.session.rollback()
    send = db.session.scalars(
        select(Send).where(Send.lead_id == lead.id, Send.status == "sent")
    ).one()
    return lead, send


def reload(obj):
    db.session.rollback()
    db.session.expire_all()
    return db.session.get(type(obj), obj.id)


# --- signatures ---------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/webhooks/twilio/status/1", "/webhooks/twilio/inbound"])
def test_it_refuses_a_request_without_a_valid_signature(twilio_app, client, path):
    params = {"MessageSid": "SM1", "MessageStatus": "delivered", "From": DANA, "Body": "STOP"}

    assert client.post(path, data=params).status_code == 403
    assert signed_post(client, path, params, token="not-the-token").status_code == 403
    tampered = RequestValidator(AUTH_TOKEN).compute_signature(
        PUBLIC_URL + path, {**params, "Body": "HELLO"}
    )
    assert (
        client.post(path, data=params, headers={"X-Twilio-Signature": tampered}).status_code == 403
    )


def test_it_refuses_everything_when_no_auth_token_is_configured(app, client):
    app.config.update(TWILIO_AUTH_TOKEN=None, PUBLIC_URL=PUBLIC_URL)
    response = signed_post(client, "/webhooks/twilio/inbound", {"From": DANA, "Body": "STOP"})
    assert response.status_code == 403


def test_a_refused_stop_changes_nothing(twilio_app, client, alice_org, clock):
    lead = make_lead(alice_org.id, clock)

    response = client.post("/webhooks/twilio/inbound", data={"From": DANA, "Body": "STOP"})

    assert response.status_code == 403
    assert not opted_out(lead, "sms")


def test_no_csrf_token_or_session_is_needed(twilio_app, client, alice_org, clock):
    twilio_app.config["WTF_CSRF_ENABLED"] = True
    make_lead(alice_org.id, clock)
    assert (
        signed_post(client, "/webhooks/twilio/inbound", {"From": DANA, "Body": "HELP"}).status_code
        == 200
    )


# --- status callbacks ----------------------------------------------------------------------------


def test_the_status_callback_marks_a_send_delivered(
    twilio_app, client, alice_org, clock, fake_twilio
):
    _lead, send = sent_by_twilio(alice_org.id, clock)
    [request] = fake_twilio.posted()
    assert request.form["StatusCallback"] == f"{PUBLIC_URL}/webhooks/twilio/status/{send.id}"
    assert send.provider == "twilio" and send.provider_message_id == fake_twilio.messages[0]["sid"]

    clock.advance(minutes=1)
    response = signed_post(
        client,
        f"/webhooks/twilio/status/{send.id}",
        {"MessageSid": send.provider_message_id, "MessageStatus": "delivered", "To": DANA},
    )

    assert response.status_code == 204
    send = reload(send)
    assert (send.status, send.delivered_at) == ("delivered", clock())


def test_an_undelivered_message_is_marked_failed_with_the_code(
    twilio_app, client, alice_org, clock
):
    _lead, send = sent_by_twilio(alice_org.id, clock)
    signed_post(
        client,
        f"/webhooks/twilio/status/{send.id}",
        {"MessageSid": send.provider_message_id, "MessageStatus": "sent"},
    )
    assert reload(send).status == "sent"

    response = signed_post(
        client,
        f"/webhooks/twilio/status/{send.id}",
        {
            "MessageSid": send.provider_message_id,
            "MessageStatus": "undelivered",
            "ErrorCode": "30003",
        },
    )

    assert response.status_code == 204
    send = reload(send)
    assert send.status == "failed"
    assert "30003" in send.error


def test_a_callback_signed_for_one_send_cannot_touch_another(
    twilio_app, client, alice_org, clock, charlie
):
    _alice_lead, alice_send = sent_by_twilio(alice_org.id, clock)
    _charlie_lead, charlie_send = sent_by_twilio(org_of(charlie).id, clock, phone="+14155550123")

    # Alice's send URL, Charlie's message: ignored.
    response = signed_post(
        client,
        f"/webhooks/twilio/status/{alice_send.id}",
        {"MessageSid": charlie_send.provider_message_id, "MessageStatus": "failed"},
    )
    assert response.status_code == 204
    # Signed for Charlie's send URL, replayed on Alice's: refused.
    replayed = signed_post(
        client,
        f"/webhooks/twilio/status/{alice_send.id}",
        {"MessageSid": charlie_send.provider_message_id, "MessageStatus": "failed"},
        signed_path=f"/webhooks/twilio/status/{charlie_send.id}",
    )
    assert replayed.status_code == 403

    assert reload(alice_send).status == "sent"
    assert reload(charlie_send).status == "sent"


def test_a_callback_for_an_unknown_send_is_404(twilio_app, client):
    response = signed_post(
        client,
        "/webhooks/twilio/status/987654",
        {"MessageSid": "SMx", "MessageStatus": "delivered"},
    )
    assert response.status_code == 404


# --- inbound messages --------------------------------------------------------------------------------


def test_stop_unsubscribes_and_cancels_pending_messages(twilio_app, client, alice_org, clock):
    lead, _send = sent_by_twilio(alice_org.id, clock)
    pending = db.session.scalars(
        select(Send).where(Send.lead_id == lead.id, Send.status == "queued")
    ).one()

    response = signed_post(
        client,
        "/webhooks/twilio/inbound",
        {"From": DANA, "To": "+15005550006", "Body": " stop ", "MessageSid": "SMin1"},
    )

    assert response.status_code == 200
    assert response.mimetype == "text/xml"
    body = response.get_data(as_text=True)
    assert "<Message>" in body and "unsubscribed" in body and "Alice Bakes" in body
    assert opted_out(lead, "sms")
    pending = reload(pending)
    assert pending.status == "cancelled"
    assert "STOP" in pending.error
    assert db.session.get(QueuedJob, pending.queued_job_id).status == "cancelled"


def test_start_subscribes_again(twilio_app, client, alice_org, clock):
    lead = make_lead(alice_org.id, clock)
    signed_post(client, "/webhooks/twilio/inbound", {"From": DANA, "Body": "UNSUBSCRIBE"})
    assert opted_out(lead, "sms")

    response = signed_post(client, "/webhooks/twilio/inbound", {"From": DANA, "Body": "Start"})

    assert "subscribed again" in response.get_data(as_text=True)
    assert not opted_out(lead, "sms")


def test_help_answers_how_to_stop(twilio_app, client, alice_org, clock):
    lead = make_lead(alice_org.id, clock)

    response = signed_post(client, "/webhooks/twilio/inbound", {"From": DANA, "Body": "help"})

    assert response.status_code == 200
    assert "Reply STOP to unsubscribe" in response.get_data(as_text=True)
    assert not opted_out(lead, "sms")


def test_a_whatsapp_stop_works_the_same(twilio_app, client, alice_org, clock):
    lead = make_lead(alice_org.id, clock)

    signed_post(client, "/webhooks/twilio/inbound", {"From": f"whatsapp:{DANA}", "Body": "STOP"})

    lead = reload(lead)
    assert opted_out(lead, "whatsapp") and not opted_out(lead, "sms")
    event = db.session.scalars(
        select(LeadEvent).where(LeadEvent.lead_id == lead.id, LeadEvent.type == "unsubscribed")
    ).one()
    assert "WhatsApp" in event.description


def test_any_other_reply_lands_on_the_contacts_timeline(twilio_app, client, alice_org, clock):
    lead = make_lead(alice_org.id, clock)

    response = signed_post(
        client,
        "/webhooks/twilio/inbound",
        {"From": DANA, "Body": "Can I book for Friday?", "MessageSid": "SMin2"},
    )

    assert response.status_code == 200
    assert "<Message>" not in response.get_data(as_text=True)
    event = db.session.scalars(
        select(LeadEvent).where(LeadEvent.lead_id == lead.id, LeadEvent.type == "inbound_message")
    ).one()
    assert "Can I book for Friday?" in event.description
    assert event.details["message_sid"] == "SMin2"
    assert not opted_out(lead, "sms")


def test_stop_from_an_unknown_number_is_answered_and_changes_nothing(
    twilio_app, client, alice_org, clock
):
    lead = make_lead(alice_org.id, clock)

    response = signed_post(
        client, "/webhooks/twilio/inbound", {"From": "+447911123456", "Body": "STOP"}
    )

    assert response.status_code == 200
    assert "unsubscribed" in response.get_data(as_text=True)
    assert not opted_out(lead, "sms")


def test_stop_to_the_shared_number_unsubscribes_the_number_in_every_workspace(
    twilio_app, client, alice_org, clock
):
    other = org_of(make_user("erin@example.com", "Erin", workspace="Erin Flowers"))
    alice_lead = make_lead(alice_org.id, clock)
    erin_lead = make_lead(other.id, clock)
    bystander = make_lead(alice_org.id, clock, phone="+14155550199", name="Bystander")

    signed_post(client, "/webhooks/twilio/inbound", {"From": DANA, "Body": "STOP"})

    assert opted_out(alice_lead, "sms")
    assert opted_out(erin_lead, "sms")
    assert not opted_out(bystander, "sms")


# --- workspaces with their own Twilio (sub)account ------------------------------------------------

SUB_TOKEN = "subaccount-token-0123456789abcdef"
SUB_NUMBER = "+15005550777"


def own_number(org_id: int, clock) -> None:
    from webapp.services.connections.credentials import save_credentials

    save_credentials(
        db.session,
        org_id,
        "twilio",
        {
            "account_sid": "AC" + "5" * 32,
            "auth_token": SUB_TOKEN,
            "from_number": SUB_NUMBER,
            "whatsapp_from": f"whatsapp:{SUB_NUMBER}",
            "subaccount": "1",
        },
        actor_id=None,
        now=clock(),
    )
    db.session.commit()


def test_a_message_to_a_workspaces_own_number_is_checked_with_its_token_and_stays_there(
    twilio_app, client, alice_org, clock
):
    other = org_of(make_user("erin@example.com", "Erin", workspace="Erin Flowers"))
    own_number(alice_org.id, clock)
    alice_lead = make_lead(alice_org.id, clock)
    erin_lead = make_lead(other.id, clock)
    params = {"From": DANA, "To": SUB_NUMBER, "Body": "STOP"}

    assert (
        signed_post(
            client, "/webhooks/twilio/inbound", params, token="someone-elses-token"
        ).status_code
        == 403
    )
    assert not opted_out(alice_lead, "sms")

    response = signed_post(client, "/webhooks/twilio/inbound", params, token=SUB_TOKEN)
    assert response.status_code == 200
    assert opted_out(alice_lead, "sms")
    assert not opted_out(erin_lead, "sms")  # the number that was texted is Alice's alone


def test_a_whatsapp_message_to_a_workspaces_number_is_recognised_too(
    twilio_app, client, alice_org, clock
):
    own_number(alice_org.id, clock)
    lead = make_lead(alice_org.id, clock)
    params = {"From": f"whatsapp:{DANA}", "To": f"whatsapp:{SUB_NUMBER}", "Body": "stop"}
    assert (
        signed_post(client, "/webhooks/twilio/inbound", params, token=SUB_TOKEN).status_code == 200
    )
    assert opted_out(lead, "whatsapp")


def test_a_status_callback_for_a_workspaces_message_is_checked_with_its_token(
    twilio_app, client, alice_org, clock
):
    _lead, send = sent_by_twilio(alice_org.id, clock)
    own_number(alice_org.id, clock)
    path = f"/webhooks/twilio/status/{send.id}"
    params = {"MessageSid": send.provider_message_id, "MessageStatus": "delivered"}
    assert signed_post(client, path, params, token="someone-elses-token").status_code == 403
    assert signed_post(client, path, params, token=SUB_TOKEN).status_code == 204
    assert reload(send).status == "delivered"


MALLORY_TOKEN = "mallory-token-0123456789abcdef00"


def claim_number(org_id: int, number: str, clock) -> None:
    """Another owner types someone else's number into Settings → Integrations."""
    from webapp.services.connections.credentials import save_credentials

    save_credentials(
        db.session,
        org_id,
        "twilio",
        {
            "account_sid": "AC" + "7" * 32,
            "auth_token": MALLORY_TOKEN,
            "from_number": number,
        },
        actor_id=None,
        now=clock(),
    )
    db.session.commit()


def test_a_workspace_claiming_the_shared_number_does_not_take_its_messages(
    twilio_app, client, alice_org, clock
):
    mallory = org_of(make_user("mallory@example.com", "Mallory", workspace="Mallory Ltd"))
    claim_number(mallory.id, twilio_server.FROM_NUMBER, clock)
    alice_lead = make_lead(alice_org.id, clock)
    mallory_lead = make_lead(mallory.id, clock)

    params = {"From": DANA, "To": twilio_server.FROM_NUMBER, "Body": "STOP"}
    assert signed_post(client, "/webhooks/twilio/inbound", params).status_code == 200

    assert opted_out(alice_lead, "sms")  # the shared number: every workspace
    assert opted_out(mallory_lead, "sms")


def test_a_workspace_claiming_anothers_own_number_does_not_take_its_messages(
    twilio_app, client, clock
):
    mallory = org_of(
        make_user("mallory@example.com", "Mallory", workspace="Mallory Ltd")
    )  # the lower id
    erin = org_of(make_user("erin@example.com", "Erin", workspace="Erin Flowers"))
    claim_number(mallory.id, SUB_NUMBER, clock)
    own_number(erin.id, clock)
    erin_lead = make_lead(erin.id, clock)
    mallory_lead = make_lead(mallory.id, clock)
    params = {"From": DANA, "To": SUB_NUMBER, "Body": "STOP"}

    assert (
        signed_post(client, "/webhooks/twilio/inbound", params, token=SUB_TOKEN).status_code == 200
    )
    assert opted_out(erin_lead, "sms")
    assert not opted_out(mallory_lead, "sms")

    # Mallory signing with her own token reaches only her own contacts.
    assert (
        signed_post(
            client, "/webhooks/twilio/inbound", {**params, "Body": "START"}, token=MALLORY_TOKEN
        ).status_code
        == 200
    )
    assert opted_out(erin_lead, "sms")


@pytest.mark.parametrize(
    "body",
    ["REVOKE", "optout", "Opt out", "opt-out!", "STOP ALL", "STOP please", "Stop.",
     "STOP\n--\nJo Baker\nSent from my phone", "unsubscribe me", "Quit", "cancel please"],
)  # fmt: skip
def test_every_opt_out_form_unsubscribes(twilio_app, client, alice_org, clock, body):
    lead = make_lead(alice_org.id, clock)
    response = signed_post(client, "/webhooks/twilio/inbound", {"From": DANA, "Body": body})
    assert "unsubscribed" in response.get_data(as_text=True)
    assert opted_out(lead, "sms")


@pytest.mark.parametrize(
    "body", ["End of season sale?", "Can you stop by on Friday?", "yes", "Help me choose a cake"]
)
def test_ordinary_messages_are_not_keywords(twilio_app, client, alice_org, clock, body):
    lead = make_lead(alice_org.id, clock)
    response = signed_post(client, "/webhooks/twilio/inbound", {"From": DANA, "Body": body})
    assert "<Message>" not in response.get_data(as_text=True)
    assert not opted_out(lead, "sms")


def test_yes_subscribes_again_only_a_contact_who_opted_out(twilio_app, client, alice_org, clock):
    lead = make_lead(alice_org.id, clock)
    signed_post(client, "/webhooks/twilio/inbound", {"From": DANA, "Body": "STOP"})
    response = signed_post(client, "/webhooks/twilio/inbound", {"From": DANA, "Body": "Yes!"})
    assert "subscribed again" in response.get_data(as_text=True)
    assert not opted_out(lead, "sms")


def test_help_names_the_business_and_how_to_reach_it(twilio_app, client, alice_org, clock):
    from webapp.models import BrandProfile

    make_lead(alice_org.id, clock)
    db.session.add(
        BrandProfile(
            org_id=alice_org.id,
            phone="+44 20 7946 0018",
            website="https://alicebakes.example",
            updated_at=clock(),
        )
    )
    db.session.commit()
    response = signed_post(client, "/webhooks/twilio/inbound", {"From": DANA, "Body": "HELP"})
    text = response.get_data(as_text=True)
    assert "Alice Bakes: automated messages." in text
    assert "Questions? +44 20 7946 0018 or https://alicebakes.example." in text
    assert "Reply STOP to unsubscribe" in text
