"""The automation JSON API (workspace key per campaign, service token for the cron
endpoints) and the OpenAPI document that describes every /api/v1 endpoint."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from tests.conftest import START
from tests.messaging.factories import WELCOME, make_contact, make_sequence, sends_of
from webapp.core.extensions import db
from webapp.models import Campaign, OutboxMessage
from webapp.services.accounts import people as accounts
from webapp.services.accounts.api_keys import create_api_key

TOKEN = "service-token-for-tests"


def key_for(user) -> dict:
    org = accounts.user_workspaces(db.session, user)[0]
    _row, key = create_api_key(
        db.session, accounts.membership(db.session, user, org.id), "Tests", now=START
    )
    db.session.commit()
    return {"Authorization": f"Bearer {key}"}


@pytest.fixture
def alice_key(alice, alice_org) -> dict:
    return key_for(alice)


def url(campaign: Campaign) -> str:
    return f"/api/v1/campaigns/{campaign.id}/automation"


def test_it_triggers_processes_and_reports_a_sequence(client, alice_org, alice_key):
    campaign = make_sequence(alice_org, active=False)
    make_contact(alice_org, email="ana@example.com", name="Ana")
    campaign.status = "active"  # enrolled by the trigger, not at capture
    campaign.settings = {**campaign.settings, "activated_at": "2026-11-23T08:00:00+00:00"}
    db.session.commit()

    answer = client.post(url(campaign), json={"action": "trigger_new_client"}, headers=alice_key)
    assert answer.status_code == 200, answer.json
    assert (answer.json["enrolled"], answer.json["testMode"]) == (1, False)

    answer = client.post(
        url(campaign), json={"action": "process_sequence", "testMode": False}, headers=alice_key
    )
    assert answer.status_code == 200
    assert (answer.json["sent"], answer.json["failed"]) == (1, 0), answer.json

    status = client.get(url(campaign), headers=alice_key)
    assert status.status_code == 200
    assert status.json["automation"]["completed"] == 1 and status.json["automation"]["pending"] == 1
    assert status.json["automation"]["success_rate"] == 1.0
    jobs = client.get(f"{url(campaign)}?action=jobs&status=completed", headers=alice_key)
    assert [j["contact_name"] for j in jobs.json["jobs"]] == ["Ana"]
    assert jobs.json["jobs"][0]["status"] == "completed" and jobs.json["has_next"] is False


def test_send_immediate_in_test_mode_records_without_sending(client, alice_org, alice_key):
    campaign = make_sequence(alice_org, steps=WELCOME[:1], active=False)
    lead = make_contact(alice_org, email="ana@example.com")
    answer = client.post(
        url(campaign),
        json={"action": "send_immediate", "testMode": True, "contactIds": [lead.id]},
        headers=alice_key,
    )
    assert answer.status_code == 200, answer.json
    assert answer.json["sent"] == 1
    [row] = db.session.scalars(select(OutboxMessage)).all()
    assert row.test_mode is True
    assert sends_of(campaign)[0].test_mode is True


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"action": "explode"}, "action"),
        ({}, "action"),
        ({"action": "process_sequence", "testMode": "yes"}, "testMode"),
        ({"action": "send_immediate"}, "contactIds"),
        ({"action": "send_immediate", "contactIds": []}, "contactIds"),
        ({"action": "send_immediate", "contactIds": ["7"]}, "contactIds"),
        ({"action": "send_immediate", "contactIds": [True]}, "contactIds"),
    ],
)
def test_it_answers_422_for_a_bad_body(client, alice_org, alice_key, body, field):
    campaign = make_sequence(alice_org)
    answer = client.post(url(campaign), json=body, headers=alice_key)
    assert answer.status_code == 422
    assert field in answer.json["error"]["fields"]


def test_it_answers_422_for_a_body_that_is_not_json(client, alice_org, alice_key):
    campaign = make_sequence(alice_org)
    answer = client.post(url(campaign), data="action=trigger_new_client", headers=alice_key)
    assert answer.status_code == 422
    assert client.get(f"{url(campaign)}?action=everything", headers=alice_key).status_code == 422
    assert (
        client.get(f"{url(campaign)}?action=jobs&per_page=0", headers=alice_key).status_code == 422
    )


def test_it_keeps_workspaces_apart(client, alice_org, alice_key, charlie):
    charlie_org = accounts.user_workspaces(db.session, charlie)[0]
    theirs = make_sequence(charlie_org, name="Charlie's")
    their_lead = make_contact(charlie_org, email="x@example.com")
    for method in ("get", "post"):
        answer = getattr(client, method)(
            url(theirs), json={"action": "trigger_new_client"}, headers=alice_key
        )
        assert answer.status_code == 404
    mine = make_sequence(alice_org)
    answer = client.post(
        url(mine),
        json={"action": "send_immediate", "contactIds": [their_lead.id]},
        headers=alice_key,
    )
    assert answer.status_code == 422
    assert sends_of(theirs) == [] or all(s.lead_id == their_lead.id for s in sends_of(theirs))
    # A plain (non-sequence) campaign is not an automation target either.
    plain = Campaign(
        org_id=alice_org.id,
        name="Ads",
        channel="google_ads",
        kind="auto",
        status="active",
        settings={},
        created_at=START,
        updated_at=START,
    )
    db.session.add(plain)
    db.session.commit()
    assert client.get(url(plain), headers=alice_key).status_code == 404


def test_it_needs_a_key(client, alice_org):
    campaign = make_sequence(alice_org)
    assert client.post(url(campaign), json={"action": "trigger_new_client"}).status_code == 401
    assert client.get(url(campaign), headers={"Authorization": "Bearer nope"}).status_code == 401


def test_the_cron_endpoints_need_the_service_token(app, client, alice_org):
    campaign = make_sequence(alice_org, steps=WELCOME[:1])
    make_contact(alice_org, email="ana@example.com")
    paths = [
        ("post", "/api/v1/automation/trigger-new-clients"),
        ("post", "/api/v1/automation/process-pending"),
        ("get", "/api/v1/automation/summary"),
    ]
    for method, path in paths:
        assert getattr(client, method)(path).status_code == 403  # no SERVICE_TOKEN configured
    app.config["SERVICE_TOKEN"] = TOKEN
    for method, path in paths:
        assert (
            getattr(client, method)(path, headers={"Authorization": "Bearer wrong"}).status_code
            == 401
        )
    auth = {"Authorization": f"Bearer {TOKEN}"}
    summary = client.get("/api/v1/automation/summary", headers=auth).json
    assert (summary["jobs"]["pending"], summary["due_now"], summary["active_sequences"]) == (
        1,
        1,
        1,
    )
    assert client.post("/api/v1/automation/trigger-new-clients", headers=auth).json["enrolled"] == 0
    processed = client.post("/api/v1/automation/process-pending", headers=auth)
    assert (processed.json["sent"], processed.json["due_left"]) == (1, 0)
    assert sends_of(campaign)[0].status == "sent"
    bad = client.post("/api/v1/automation/process-pending", json={"testMode": 3}, headers=auth)
    assert bad.status_code == 422


# --- the OpenAPI document -------------------------------------------------------------------------


def openapi_path(rule: str) -> str:
    return re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", r"{\1}", rule)


def test_the_openapi_document_describes_every_api_route(app, client):
    answer = client.get("/api/v1/openapi.json")
    assert answer.status_code == 200
    doc = answer.json
    assert doc["openapi"].startswith("3.1")
    routes = [r for r in app.url_map.iter_rules() if r.rule.startswith("/api/v1")]
    assert len(routes) >= 10
    for rule in routes:
        path = openapi_path(rule.rule)
        assert path in doc["paths"], f"{rule.rule} is missing from the OpenAPI document"
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            operation = doc["paths"][path].get(method.lower())
            assert operation is not None, (
                f"{method} {rule.rule} is missing from the OpenAPI document"
            )
            assert operation["responses"]
            for requirement in operation["security"]:
                assert set(requirement) <= set(doc["components"]["securitySchemes"])
            for parameter in operation.get("parameters", []):
                if parameter["in"] == "path":
                    assert "{" + parameter["name"] + "}" in path
    # Nothing documented that does not exist.
    documented = {(p, m) for p, ops in doc["paths"].items() for m in ops}
    existing = {
        (openapi_path(r.rule), m.lower()) for r in routes for m in r.methods - {"HEAD", "OPTIONS"}
    }
    assert documented == existing


def test_every_reference_in_the_openapi_document_resolves(client):
    doc = client.get("/api/v1/openapi.json").json

    def walk(node):
        if isinstance(node, dict):
            if "$ref" in node:
                target = doc
                for part in node["$ref"].removeprefix("#/").split("/"):
                    target = target[part]
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(doc)
    operation_ids = [op["operationId"] for ops in doc["paths"].values() for op in ops.values()]
    assert len(operation_ids) == len(set(operation_ids))
