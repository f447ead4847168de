"""Bad input is a clear 4xx, never a 500: NUL bytes in any field, ids wider than an id
column (PostgreSQL's INTEGER ends at 2^31 - 1), unsigned Twilio callbacks with such ids,
and the classic-post fallback of Settings → Test connection."""

from __future__ import annotations

import pytest
from werkzeug.routing import IntegerConverter

from tests.conftest import csrf_token, login
from tests.messaging.test_automation_api import key_for
from webapp.core.extensions import db
from webapp.services.leads.forms import form_token

TOO_BIG = [2**31, 2**63, 10**20]


@pytest.fixture
def crashes_answer_500(app):
    app.config["PROPAGATE_EXCEPTIONS"] = False  # a crash answers 500 rather than raising here


def _id_rules(app):
    return [
        rule
        for rule in app.url_map.iter_rules()
        if any(isinstance(c, IntegerConverter) for c in rule._converters.values())
    ]


def test_every_id_route_answers_404_to_an_id_wider_than_a_column(
    app, client, alice, crashes_answer_500
):
    login(client, alice)
    token = csrf_token(client, "/leads")
    rules = _id_rules(app)
    assert len(rules) >= 34
    failures = []
    for rule in rules:
        int_args = {a for a, c in rule._converters.items() if isinstance(c, IntegerConverter)}
        for big in TOO_BIG:
            values = {a: big if a in int_args else "smtp" for a in rule.arguments}
            path = rule.build(values, append_unknown=False)[1]
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                response = client.open(path, method=method, data={"csrf_token": token})
                if response.status_code != 404:
                    failures.append(f"{method} {path} answered {response.status_code}")
                elif rule.rule.startswith("/api/"):
                    assert response.json["error"]["code"] == "not_found", path
    assert not failures, "\n".join(failures)


def test_an_unsigned_status_callback_with_a_huge_id_is_refused(app, client, crashes_answer_500):
    app.config["TWILIO_AUTH_TOKEN"] = "deployment-token"
    for kind in ("status", "coach-status"):
        for big in TOO_BIG:
            response = client.post(f"/webhooks/twilio/{kind}/{big}", data={"MessageStatus": "sent"})
            assert response.status_code in (403, 404), (kind, big, response.status_code)


def test_a_nul_byte_in_the_public_form_is_a_clear_400(client, alice_org, crashes_answer_500):
    path = f"/f/{form_token('test-secret', alice_org.id)}"
    page = client.post(path, data={"email": "ana@example.com", "name": "Ana\x00Lima"})
    assert page.status_code == 400
    assert "name" in page.get_data(as_text=True)
    assert page.headers["Access-Control-Allow-Origin"] == "*"
    answer = client.post(path, json={"email": "ana@example.com", "company\x00": "x"})
    assert answer.status_code == 400
    assert answer.json["ok"] is False and "company" in answer.json["message"]
    assert answer.headers["Access-Control-Allow-Origin"] == "*"


def test_a_nul_byte_in_a_signed_in_form_or_query_is_a_clear_400(client, alice, crashes_answer_500):
    login(client, alice)
    token = csrf_token(client, "/leads/new")
    response = client.post(
        "/leads/new", data={"csrf_token": token, "name": "Ana\x00", "email": "a@b.co"}
    )
    assert response.status_code == 400
    assert "“name”" in response.get_data(as_text=True)
    assert "NUL" in response.get_data(as_text=True)
    assert client.get("/leads?q=%00").status_code == 400
    partial = client.get("/leads?q=a%00b", headers={"HX-Request": "true"})
    assert partial.status_code == 400 and "<html" not in partial.get_data(as_text=True)


def test_the_api_names_the_field_with_a_nul_byte(client, alice, crashes_answer_500):
    auth = key_for(alice)
    listing = client.get("/api/v1/leads?q=%00", headers=auth)
    assert listing.status_code == 422
    assert set(listing.json["error"]["fields"]) == {"q"}
    created = client.post(
        "/api/v1/leads", json={"email": "ana@example.com", "notes": "a\x00b"}, headers=auth
    )
    assert created.status_code == 422
    assert set(created.json["error"]["fields"]) == {"notes"}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"email": "ana@example.com", "country": [None]}, "country"),
        ({"email": "ana@example.com", "name": {"first": "Ana"}}, "name"),
        ({"email": "ana@example.com", "campaign_id": 12345678901234567890}, "campaign_id"),
        ({"email": "ana@example.com", "campaign_id": 2**31}, "campaign_id"),
        ({"email": "ana@example.com", "utm_source": ["a"]}, "utm_source"),
    ],
)
def test_a_lead_of_the_wrong_shape_is_a_422_naming_the_field(
    client, alice, crashes_answer_500, body, field
):
    response = client.post("/api/v1/leads", json=body, headers=key_for(alice))
    assert response.status_code == 422, response.get_data(as_text=True)
    assert field in response.json["error"]["fields"]


def test_huge_ids_in_api_bodies_are_a_422(client, alice, alice_org, crashes_answer_500):
    from tests.messaging.factories import make_sequence

    campaign = make_sequence(alice_org, name="Welcome")
    db.session.commit()
    auth = key_for(alice)
    sent = client.post(
        f"/api/v1/campaigns/{campaign.id}/automation",
        json={"action": "send_immediate", "contactIds": [2**31]},
        headers=auth,
    )
    assert sent.status_code == 422
    assert "contactIds" in sent.json["error"]["fields"]
    metrics = client.post(
        "/api/v1/metrics",
        json=[{"date": "2026-11-20", "campaign_id": 10**20, "clicks": 10**20}],
        headers=auth,
    )
    assert metrics.status_code == 422, metrics.get_data(as_text=True)


def test_the_classic_post_fallback_of_test_connection_shows_the_result(
    client, alice, crashes_answer_500
):
    login(client, alice)
    token = csrf_token(client, "/settings/integrations")
    response = client.post("/settings/integrations/openai/test", data={"csrf_token": token})
    assert response.status_code == 200
    assert "OpenAI" in response.get_data(as_text=True)
