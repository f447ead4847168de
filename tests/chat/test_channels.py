"""The chatbot on WhatsApp (through the signed Twilio webhook, in the coach's conversation,
a staff reply out through Twilio) and the widget's public endpoints (CORS, rate limits, one
workspace's token never opening another's conversation)."""

from __future__ import annotations

from sqlalchemy import select
from twilio.request_validator import RequestValidator

from tests.chat.helpers import HOURS, chat_on
from tests.conftest import csrf_token, login, org_of
from tests.fakes import twilio_server
from tests.fakes.twilio_server import AUTH_TOKEN, use_twilio
from webapp.core.extensions import db
from webapp.models import Conversation, ConversationMessage, Lead
from webapp.services.coach import audience as coach
from webapp.services.coach.inbound import record_inbound
from webapp.services.leads.capture import capture_lead

fake_twilio = twilio_server.fake_twilio  # the fixture
PUBLIC_URL = "https://autopilot.example"
DANA = "+14155552671"


def signed_post(client, params: dict):
    path = "/webhooks/twilio/inbound"
    signature = RequestValidator(AUTH_TOKEN).compute_signature(PUBLIC_URL + path, params)
    return client.post(path, data=params, headers={"X-Twilio-Signature": signature})


def whatsapp(client, body: str, sid: str):
    return signed_post(
        client, {"From": f"whatsapp:{DANA}", "To": "whatsapp:+15005550006", "Body": body,
                 "MessageSid": sid},
    )  # fmt: skip


def test_staff_reply_to_an_escalated_whatsapp_chat_goes_out_through_twilio(
    app, client, alice, alice_org, clock, fake_twilio
):
    use_twilio(app, fake_twilio, PUBLIC_URL=PUBLIC_URL)
    dana, _ = capture_lead(
        db.session, alice_org.id, {"full_name": "Dana", "phone": DANA}, source="manual", now=clock()
    )
    # The coach already talks to Dana on WhatsApp: the chatbot joins that same conversation.
    coach.save_settings(
        db.session, alice_org.id, {**coach.DEFAULTS, "goal": "Book a first visit", "enabled": True},
        actor_id=None, now=clock(),
    )  # fmt: skip
    coached = record_inbound(db.session, alice_org.id, dana, "hi coach", "SMcoach1", clock())
    chat_on(alice_org.id, clock(), whatsapp=True)

    answer = whatsapp(client, "when are you open on saturday?", "SMchat1")
    assert answer.status_code == 200 and HOURS in answer.get_data(as_text=True)
    complaint = whatsapp(client, "my order arrived damaged, this is unacceptable", "SMchat2")
    assert "passing this to a person" in complaint.get_data(as_text=True)
    again = whatsapp(client, "my order arrived damaged, this is unacceptable", "SMchat2")
    assert "<Message>" not in again.get_data(as_text=True)  # a repeated delivery: kept once

    db.session.expire_all()
    conversation = db.session.scalars(
        select(Conversation).where(Conversation.lead_id == dana.id)
    ).one()
    assert conversation.id == coached.conversation_id and conversation.channel == "whatsapp"
    assert conversation.chat_state == "escalated"
    assert conversation.escalation_reason == "complaint"

    login(client, alice)
    page = f"/chat/conversations/{conversation.id}"
    sent = client.post(
        f"{page}/reply",
        data={"body": "So sorry Dana, a new one is on its way.", "csrf_token": csrf_token(client, page)},
    )  # fmt: skip
    assert sent.status_code == 302
    out = [m for m in fake_twilio.messages if m["body"].startswith("So sorry Dana")]
    assert [m["to"] for m in out] == [f"whatsapp:{DANA}"]
    db.session.expire_all()
    staff = db.session.scalars(
        select(ConversationMessage).where(ConversationMessage.kind == "staff")
    ).one()
    assert staff.provider == "twilio" and staff.provider_sid == out[0]["sid"]
    assert staff.actor_id == alice.id
    transcript = client.get(page).get_data(as_text=True)
    assert "So sorry Dana, a new one is on its way." in transcript
    assert "hi coach" in transcript  # one thread: the coach's message too


def widget_post(client, key: str, text: str, token: str | None = None, ip: str = "203.0.113.9"):
    headers = {"Origin": "https://shop.example"}
    if token:
        headers["X-Chat-Token"] = token
    return client.post(
        f"/chat-widget/{key}/messages",
        json={"text": text},
        headers=headers,
        environ_base={"REMOTE_ADDR": ip},
    )


def test_widget_endpoints_answer_any_site_and_keep_workspaces_apart(
    app, client, alice_org, charlie, clock
):
    alice = chat_on(alice_org.id, clock())
    charlie_chat = chat_on(org_of(charlie).id, clock())
    preflight = client.options(f"/chat-widget/{alice.widget_key}/messages")
    assert preflight.status_code == 204
    assert preflight.headers["Access-Control-Allow-Origin"] == "*"
    assert "X-Chat-Token" in preflight.headers["Access-Control-Allow-Headers"]

    first = widget_post(client, alice.widget_key, "opening hours?")
    assert first.status_code == 200 and first.headers["Access-Control-Allow-Origin"] == "*"
    data = first.get_json()
    assert [m["from"] for m in data["messages"]] == ["visitor", "bot"]
    token = data["token"]
    polled = client.get(
        f"/chat-widget/{alice.widget_key}/messages?after=0", headers={"X-Chat-Token": token}
    )
    assert [m["text"] for m in polled.get_json()["messages"]][0] == "opening hours?"
    # Alice's visitor's token opens nothing of Charlie's …
    other = client.get(
        f"/chat-widget/{charlie_chat.widget_key}/messages", headers={"X-Chat-Token": token}
    )
    assert other.status_code == 404
    # … and posting with it there starts a conversation of Charlie's, not Alice's.
    there = widget_post(client, charlie_chat.widget_key, "hello", token)
    assert there.get_json()["token"] != token
    assert client.get("/chat-widget/unknown-key-123/config").status_code == 404
    assert widget_post(client, alice.widget_key, "").status_code == 400


def test_widget_messages_are_rate_limited_per_visitor(app, client, alice_org, clock):
    alice = chat_on(alice_org.id, clock())
    token = None
    for _ in range(20):
        response = widget_post(client, alice.widget_key, "hello", token)
        assert response.status_code == 200
        token = response.get_json()["token"]
    refused = widget_post(client, alice.widget_key, "hello", token)
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) >= 1
    # another visitor is still served
    assert widget_post(client, alice.widget_key, "hello", ip="198.51.100.7").status_code == 200
    visitors = db.session.scalars(select(Lead)).all()
    assert visitors == []  # nobody left an address


def test_a_staff_reply_to_a_web_chat_reaches_the_widget(app, client, alice, alice_org, clock):
    settings = chat_on(alice_org.id, clock())
    first = widget_post(client, settings.widget_key, "I want to speak to someone")
    token = first.get_json()["token"]
    last = first.get_json()["messages"][-1]["id"]
    conversation = db.session.scalars(select(Conversation)).one()
    login(client, alice)
    page = f"/chat/conversations/{conversation.id}"
    client.post(
        f"{page}/reply", data={"body": "Hi, Alice here.", "csrf_token": csrf_token(client, page)}
    )
    polled = client.get(
        f"/chat-widget/{settings.widget_key}/messages?after={last}",
        headers={"X-Chat-Token": token},
    ).get_json()
    assert [(m["from"], m["text"]) for m in polled["messages"]] == [("staff", "Hi, Alice here.")]
    assert polled["state"] == "escalated"
    # the bot stays quiet while a person handles it
    quiet = widget_post(client, settings.widget_key, "thanks!", token)
    assert [m["from"] for m in quiet.get_json()["messages"]] == ["visitor"]
