"""Security and bad-input review of the zero-touch operations areas (issue 5)."""

from __future__ import annotations

import json
import time

import pytest
from sqlalchemy import select

from tests.conftest import csrf_token, login
from tests.provisioning.test_stripe_webhook import SECRET, checkout_event, post, runs, signed
from webapp.core.extensions import db
from webapp.models import WorkspacePlan

# --- Stripe: a signed but malformed event is answered, never a 500 --------------------------


@pytest.fixture
def stripe_on(app):
    app.config["STRIPE_WEBHOOK_SECRET"] = SECRET
    app.config["PROVISIONING_RUN_AFTER_REQUEST"] = False
    return app


def checkout(**fields) -> dict:
    return {"id": "evt_9", "type": "checkout.session.completed", "data": {"object": fields}}


@pytest.mark.parametrize(
    "event",
    [
        {"id": "evt_9", "type": "checkout.session.completed", "data": "oops"},
        {"id": "evt_9", "type": "checkout.session.completed", "data": {"object": ["x"]}},
        {"id": "evt_9", "type": "checkout.session.completed"},
        checkout(metadata=["x"]),
        checkout(client_reference_id="²"),
        checkout(client_reference_id="9" * 30),
        checkout(client_reference_id="99999999999"),
        checkout(client_reference_id="-1"),
        checkout(client_reference_id={"id": 1}),
    ],
)
def test_it_ignores_a_signed_malformed_checkout(stripe_on, client, alice_org, event):
    response = post(client, json.dumps(event).encode())
    assert response.status_code == 200 and response.json["status"] == "ignored"
    assert runs(alice_org.id) == []


@pytest.mark.parametrize("body", [b"[1, 2]", b'"text"', b"", b"\xff\xfe"])
def test_it_refuses_a_signed_body_that_is_not_an_event(stripe_on, client, body):
    response = post(client, body)
    assert response.status_code == 400 and response.json == {"error": "invalid signature"}


def test_it_refuses_a_non_ascii_signature(stripe_on, client, alice_org):
    header = f"t={int(time.time())},v1=\u00e9"
    response = post(client, checkout_event(alice_org.id), signature=header)
    assert response.status_code == 400
    assert runs(alice_org.id) == []


def test_it_activates_with_odd_metadata_and_a_huge_session_id(stripe_on, client, alice_org):
    payload = checkout_event(alice_org.id, metadata="not a dict", session_id="cs_" + "x" * 500)
    response = post(client, payload, signature=signed(payload))
    assert response.status_code == 200 and response.json["status"] == "activated"
    plan = db.session.scalar(select(WorkspacePlan).where(WorkspacePlan.org_id == alice_org.id))
    assert plan.plan == "standard" and len(plan.stripe_session_id) == 200
    assert post(client, payload).json["status"] == "replayed"


# --- ids and numbers beyond what the database holds are 404s, never 500s ----------------------

HUGE = "9" * 25


def test_a_huge_conversation_id_is_not_found(client, alice):
    login(client, alice)
    assert client.get(f"/coach/conversations/{HUGE}").status_code == 404
    token = csrf_token(client, "/coach/")
    response = client.post(f"/coach/conversations/{HUGE}/send-now", data={"csrf_token": token})
    assert response.status_code == 404


def test_a_huge_workspace_id_in_the_support_view_is_not_found(client, support_user):
    login(client, support_user)
    assert client.get(f"/support/health/{HUGE}").status_code == 404


def test_a_huge_send_id_in_a_status_callback_is_refused(app, client):
    """Refused before anything is looked up: an id past the id columns' range matches no
    route (webapp/web/input.py), so it is a 404 whether signed or not, and never a 500."""
    app.config["TWILIO_AUTH_TOKEN"] = "deployment-token"
    response = client.post(f"/webhooks/twilio/status/{HUGE}", data={"MessageStatus": "delivered"})
    assert response.status_code == 404


def test_an_odd_page_number_on_the_coach_page_is_the_first_page(client, alice):
    login(client, alice)
    assert client.get("/coach/?page=\u00b2").status_code == 200


def test_a_signed_callback_for_a_huge_send_id_is_not_found(app, client):
    from twilio.request_validator import RequestValidator

    app.config.update(TWILIO_AUTH_TOKEN="deployment-token", PUBLIC_URL="https://autopilot.example")
    path, params = f"/webhooks/twilio/status/{HUGE}", {"MessageStatus": "delivered"}
    signature = RequestValidator("deployment-token").compute_signature(
        "https://autopilot.example" + path, params
    )
    response = client.post(path, data=params, headers={"X-Twilio-Signature": signature})
    assert response.status_code == 404
