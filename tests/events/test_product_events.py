"""The product's own happenings become events (source "product"), through the real flows:
a lead captured, a form submitted, an email opened and clicked, an unsubscribe, an SMS or
WhatsApp reply — each stored once however often it is told."""

from __future__ import annotations

import re

from sqlalchemy import select

from tests.conftest import START
from tests.events.test_events_api import key_for
from tests.messaging.test_tracking import path_of, sent_email
from tests.messaging.test_webhooks import DANA, fake_twilio, make_lead, signed_post, twilio_app
from webapp.core.extensions import db
from webapp.models import Event
from webapp.services.leads.forms import form_token

__all__ = ["fake_twilio", "twilio_app"]  # fixtures used below


def product_events(lead_id: int | None = None) -> list[tuple[str, str, dict]]:
    db.session.expire_all()
    query = select(Event).where(Event.source == "product").order_by(Event.id)
    if lead_id is not None:
        query = query.where(Event.lead_id == lead_id)
    return [(e.name, e.message_id, e.properties) for e in db.session.scalars(query)]


def names(lead_id: int | None = None) -> list[str]:
    return [name for name, _id, _props in product_events(lead_id)]


def test_a_lead_captured_by_the_api_is_an_event(client, alice, alice_org):
    auth = key_for(alice_org, alice)
    created = client.post("/api/v1/leads", json={"email": "ana@shop.example"}, headers=auth)
    lead_id = created.get_json()["lead"]["id"]
    client.post("/api/v1/leads", json={"email": "ana@shop.example"}, headers=auth)  # a merge
    assert product_events(lead_id) == [
        ("lead.captured", f"lead:{lead_id}", {"via": "api", "source": "api", "score": 35})
    ]


def test_each_form_submission_is_an_event_and_a_new_contact_is_also_captured(
    client, alice_org, clock
):
    url = f"/f/{form_token('test-secret', alice_org.id)}"
    assert client.post(url, data={"name": "Ana", "email": "ana@shop.example"}).status_code == 200
    clock.advance(minutes=5)
    assert (
        client.post(url, data={"email": "ana@shop.example", "company": "Lima"}).status_code == 200
    )
    events = product_events()
    assert [(name, props.get("new_contact")) for name, _id, props in events] == [
        ("lead.captured", None),
        ("form.submitted", True),
        ("form.submitted", False),
    ]
    assert events[2][2]["filled_in"] == ["company"]


def test_the_first_open_and_first_click_of_an_email_are_events(app, client, alice_org):
    _campaign, lead, message = sent_email(app, alice_org)
    pixel = re.search(r'<img src="([^"]+/o/[^"]+\.gif)"', message.body_html).group(1)
    [link] = re.findall(r'href="([^"]+/c/[^"]+)"', message.body_html)
    for _ in range(2):
        assert client.get(path_of(pixel)).status_code == 200
        assert client.get(path_of(link)).status_code == 302
    events = [e for e in product_events(lead.id) if e[0].startswith("email.")]
    send_id = events[0][2]["send_id"]
    assert [(name, mid) for name, mid, _p in events] == [
        ("email.opened", f"open:{send_id}"),
        ("email.clicked", f"click:{send_id}"),
    ]
    assert events[0][2]["subject"] == message.subject


def test_an_unsubscribe_is_an_event(app, client, alice_org):
    _campaign, lead, message = sent_email(app, alice_org)
    path = path_of(message.headers["List-Unsubscribe"].strip("<>"))
    assert client.post(path).status_code == 200
    assert client.post(path).status_code == 200  # already unsubscribed: nothing new
    events = [e for e in product_events(lead.id) if e[0] == "contact.unsubscribed"]
    assert len(events) == 1
    assert events[0][1] == f"unsubscribe:{lead.id}:{START.isoformat()}"


def test_sms_and_whatsapp_replies_are_events_once_per_message(twilio_app, client, alice_org, clock):
    lead = make_lead(alice_org.id, clock)
    for _ in range(2):  # Twilio may deliver a webhook twice
        signed_post(
            client,
            "/webhooks/twilio/inbound",
            {"From": DANA, "Body": "Can I book for Friday?", "MessageSid": "SMin1"},
        )
    signed_post(
        client,
        "/webhooks/twilio/inbound",
        {"From": f"whatsapp:{DANA}", "Body": "Thanks!", "MessageSid": "SMin2"},
    )
    signed_post(client, "/webhooks/twilio/inbound", {"From": DANA, "Body": "STOP"})
    replies = [e for e in product_events(lead.id) if e[0].endswith(".replied")]
    assert [(name, mid, props["body"]) for name, mid, props in replies] == [
        ("sms.replied", "sms:SMin1", "Can I book for Friday?"),
        ("whatsapp.replied", "whatsapp:SMin2", "Thanks!"),
    ]
    assert names(lead.id)[-1] == "contact.unsubscribed"
