"""POST /webhooks/stripe: signed with Stripe's scheme, checked by the `stripe` library."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from webapp.core.extensions import db
from webapp.models import ActivityLog, ProvisioningRun, WorkspacePlan

SECRET = "whsec_test_0123456789abcdef"


def signed(payload: bytes, secret: str = SECRET, at: int | None = None) -> str:
    """Stripe's `Stripe-Signature` header: t=<unix time>,v1=HMAC-SHA256(secret, "t.payload")."""
    t = int(time.time()) if at is None else at
    mac = hmac.new(secret.encode(), f"{t}.".encode() + payload, hashlib.sha256).hexdigest()
    return f"t={t},v1={mac}"


def checkout_event(
    org_id: int, *, event_id: str = "evt_1", session_id: str = "cs_test_1", **over
) -> bytes:
    checkout = {
        "id": session_id,
        "object": "checkout.session",
        "client_reference_id": str(org_id),
        "customer": "cus_123",
        "payment_status": "paid",
        "metadata": {"plan": "growth"},
    }
    checkout.update(over)
    return json.dumps(
        {
            "id": event_id,
            "object": "event",
            "type": "checkout.session.completed",
            "data": {"object": checkout},
        }
    ).encode()


def post(client, payload: bytes, signature: str | None = None, **options):
    headers = {"Content-Type": "application/json"}
    headers["Stripe-Signature"] = signed(payload) if signature is None else signature
    return client.post("/webhooks/stripe", data=payload, headers=headers, **options)


@pytest.fixture
def stripe_on(app):
    app.config["STRIPE_WEBHOOK_SECRET"] = SECRET
    app.config["PROVISIONING_RUN_AFTER_REQUEST"] = False
    return app


def runs(org_id: int) -> list[ProvisioningRun]:
    db.session.commit()
    return list(db.session.scalars(select(ProvisioningRun).where(ProvisioningRun.org_id == org_id)))


def test_it_activates_the_plan_and_requests_setup(stripe_on, client, alice_org, clock):
    response = post(client, checkout_event(alice_org.id))
    assert response.status_code == 200 and response.json["status"] == "activated"
    plan = db.session.scalar(select(WorkspacePlan).where(WorkspacePlan.org_id == alice_org.id))
    assert (plan.plan, plan.status, plan.stripe_customer_id, plan.stripe_session_id) == (
        "growth",
        "active",
        "cus_123",
        "cs_test_1",
    )
    assert plan.activated_at == clock()
    [run] = runs(alice_org.id)
    assert (run.trigger, run.status) == ("stripe", "queued")
    [row] = db.session.scalars(
        select(ActivityLog).where(ActivityLog.type == "billing.checkout_completed")
    )
    assert row.details["event_id"] == "evt_1" and "growth" in row.description


def test_it_turns_a_past_due_plan_active(stripe_on, client, alice_org, clock):
    db.session.add(
        WorkspacePlan(org_id=alice_org.id, plan="growth", status="past_due", updated_at=clock())
    )
    db.session.commit()
    assert (
        post(
            client,
            checkout_event(
                alice_org.id, metadata={"org_id": str(alice_org.id)}, client_reference_id=None
            ),
        ).json["status"]
        == "activated"
    )
    db.session.commit()
    plan = db.session.scalar(select(WorkspacePlan).where(WorkspacePlan.org_id == alice_org.id))
    assert (plan.plan, plan.status) == ("standard", "active")


def test_a_replayed_event_changes_nothing(stripe_on, client, alice_org, clock):
    payload = checkout_event(alice_org.id)
    assert post(client, payload).json["status"] == "activated"
    clock.advance(minutes=3)
    again = post(client, payload)
    assert again.status_code == 200 and again.json["status"] == "replayed"
    assert len(runs(alice_org.id)) == 1
    assert (
        db.session.scalar(
            select(func.count())
            .select_from(ActivityLog)
            .where(ActivityLog.type == "billing.checkout_completed")
        )
        == 1
    )
    plan = db.session.scalar(select(WorkspacePlan).where(WorkspacePlan.org_id == alice_org.id))
    assert plan.activated_at == clock() - timedelta(minutes=3)


@pytest.mark.parametrize(
    "signature",
    [
        "",
        "t=1,v1=deadbeef",
        "garbage",
    ],
)
def test_a_bad_signature_is_refused(stripe_on, client, alice_org, signature):
    response = post(client, checkout_event(alice_org.id), signature=signature)
    assert response.status_code == 400 and response.json == {"error": "invalid signature"}
    assert runs(alice_org.id) == []


def test_a_payload_signed_with_another_secret_or_changed_is_refused(stripe_on, client, alice_org):
    payload = checkout_event(alice_org.id)
    assert post(client, payload, signature=signed(payload, secret="whsec_other")).status_code == 400
    tampered = checkout_event(alice_org.id, metadata={"plan": "enterprise"})
    assert post(client, tampered, signature=signed(payload)).status_code == 400
    stale = signed(payload, at=int(time.time()) - 3600)  # outside Stripe's 5-minute tolerance
    assert post(client, payload, signature=stale).status_code == 400
    assert runs(alice_org.id) == []


def test_a_signed_non_json_body_is_refused_not_crashed(stripe_on, client):
    assert post(client, b"not json").status_code == 400


def test_it_is_not_there_without_a_secret(app, client, alice_org):
    app.config["STRIPE_WEBHOOK_SECRET"] = None
    assert post(client, checkout_event(alice_org.id)).status_code == 404
    assert runs(alice_org.id) == []


def test_it_ignores_other_events_and_unknown_workspaces(stripe_on, client, alice_org):
    other = json.dumps({"id": "evt_2", "type": "invoice.paid", "data": {"object": {}}}).encode()
    assert post(client, other).json["status"] == "ignored"
    assert post(client, checkout_event(99999)).json["status"] == "ignored"
    assert (
        post(client, checkout_event(alice_org.id, client_reference_id="x")).json["status"]
        == "ignored"
    )
    assert (
        post(client, checkout_event(alice_org.id, payment_status="unpaid")).json["status"]
        == "ignored"
    )
    assert runs(alice_org.id) == []


@pytest.mark.parametrize("reference", ["²", "١", "99999999999999999999", "-1"])
def test_it_ignores_a_reference_that_is_no_workspace_id(stripe_on, client, alice_org, reference):
    response = post(client, checkout_event(alice_org.id, client_reference_id=reference))
    assert response.status_code == 200 and response.json["status"] == "ignored"
    assert runs(alice_org.id) == []


def test_the_pipeline_runs_after_the_answer_is_sent(app, stripe_on, client, alice_org):
    app.config["PROVISIONING_RUN_AFTER_REQUEST"] = True
    response = post(client, checkout_event(alice_org.id), buffered=False)  # the body not yet sent
    assert runs(alice_org.id)[0].status == "queued"
    response.close()  # what the server does once the body is sent
    [run] = runs(alice_org.id)
    assert run.status == "succeeded" and run.trigger == "stripe"
