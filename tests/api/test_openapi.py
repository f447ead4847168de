"""The OpenAPI document is generated from the models the endpoints validate and answer
with: it is valid OpenAPI 3.1, and real answers validate against the schemas it gives."""

from __future__ import annotations

import pytest
from jsonschema import Draft202012Validator
from openapi_spec_validator import validate as validate_spec

from tests.messaging.factories import make_contact, make_sequence
from tests.messaging.test_automation_api import key_for
from webapp.core.extensions import db
from webapp.services.reporting.ad_values import FIELDS
from webapp.web.api.schemas import MetricRow

TOKEN = "service-token-for-tests"


@pytest.fixture
def doc(client) -> dict:
    return client.get("/api/v1/openapi.json").json


def answer_schema(doc: dict, path: str, method: str, status: int) -> Draft202012Validator:
    """A validator for the documented answer, references resolved within the document."""
    response = doc["paths"][path][method]["responses"][str(status)]
    if "$ref" in response:
        response = doc["components"]["responses"][response["$ref"].rsplit("/", 1)[-1]]
    schema = {**response["content"]["application/json"]["schema"], "components": doc["components"]}
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)


def test_the_document_is_valid_openapi_3_1(doc):
    assert doc["openapi"] == "3.1.0"
    validate_spec(doc)  # raises on any error


def test_a_real_leads_page_validates_against_its_documented_schema(client, alice, doc):
    auth = key_for(alice)
    created = client.post(
        "/api/v1/leads",
        json={"name": "Ana Lima", "email": "ana@limaltd.com", "utm_campaign": "spring"},
        headers=auth,
    )
    answer_schema(doc, "/api/v1/leads", "post", 201).validate(created.json)
    page = client.get("/api/v1/leads", headers=auth).json
    assert page["leads"][0]["score_reasons"][0].keys() == {"points", "reason"}
    answer_schema(doc, "/api/v1/leads", "get", 200).validate(page)


def test_error_answers_validate_against_the_error_schema(client, alice, doc):
    auth = key_for(alice)
    bad = client.get("/api/v1/leads?page=zero&status=archived&since=yesterday", headers=auth)
    assert bad.status_code == 422
    answer_schema(doc, "/api/v1/leads", "get", 422).validate(bad.json)
    assert bad.json["error"]["fields"] == {
        "page": "must be a whole number",
        "status": "must be one of new, contacted, qualified, won, lost",
        "since": "must be a date as YYYY-MM-DD",
    }
    rows = client.post("/api/v1/metrics", json=[{"date": "2026-13-01"}], headers=auth)
    assert rows.status_code == 422
    answer_schema(doc, "/api/v1/metrics", "post", 422).validate(rows.json)


def test_a_body_that_breaks_its_model_names_the_field(client, alice):
    auth = key_for(alice)
    answer = client.post(
        "/api/v1/leads", json={"email": ["a@b.co"], "campaign_id": "x"}, headers=auth
    )
    assert answer.status_code == 422 and answer.json["error"]["code"] == "invalid_lead"
    assert answer.json["error"]["fields"] == {
        "email": "must be text",
        "campaign_id": "campaign_id must be a number",
    }


def test_automation_answers_validate_against_their_schemas(app, client, alice, alice_org, doc):
    auth = key_for(alice)
    campaign = make_sequence(alice_org)
    make_contact(alice_org, email="ana@example.com", name="Ana")
    db.session.commit()
    path = "/api/v1/campaigns/{campaign_id}/automation"
    url = f"/api/v1/campaigns/{campaign.id}/automation"
    for body in ({"action": "trigger_new_client"}, {"action": "process_sequence"}):
        answer = client.post(url, json=body, headers=auth)
        assert answer.status_code == 200, answer.json
        answer_schema(doc, path, "post", 200).validate(answer.json)
    for query in ("", "?action=jobs"):
        answer = client.get(url + query, headers=auth)
        assert answer.status_code == 200
        answer_schema(doc, path, "get", 200).validate(answer.json)
    app.config["SERVICE_TOKEN"] = TOKEN
    token = {"Authorization": f"Bearer {TOKEN}"}
    for method, cron in (
        ("post", "/api/v1/automation/trigger-new-clients"),
        ("post", "/api/v1/automation/process-pending"),
        ("get", "/api/v1/automation/summary"),
        ("get", "/api/v1/jobs"),
    ):
        answer = getattr(client, method)(cron, headers=token)
        assert answer.status_code == 200, answer.json
        answer_schema(doc, cron, method, 200).validate(answer.json)


def test_the_documented_metric_row_has_every_field_the_import_reads():
    assert set(FIELDS) | {"date", "campaign", "campaign_id"} == set(MetricRow.model_fields)
