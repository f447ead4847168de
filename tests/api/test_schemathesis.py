"""schemathesis against the generated OpenAPI document: every operation, a bounded number of
generated requests each (valid and invalid input), must answer without a server error and
with what the document says (status, content type, body schema)."""

from __future__ import annotations

import os

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from jobs.cli import build_app
from tests.messaging.factories import make_contact, make_sequence
from tests.messaging.test_automation_api import key_for
from webapp.core.extensions import db
from webapp.web.api.spec import document

SERVICE_TOKEN = "schemathesis-service-token"
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


def _document() -> dict:
    """The document as the app serves it; it depends on the routes only, not the database."""
    app = build_app({"SQLALCHEMY_DATABASE_URI": "sqlite://", "SECRET_KEY": "doc"})
    return document(app, "/api/v1", "http://127.0.0.1")


schema = schemathesis.openapi.from_dict(_document())


@pytest.fixture
def auth(app, alice, alice_org) -> dict[str, str]:
    """Bearer per security scheme, over a workspace with a sequence and a contact."""
    app.config.update(
        PROPAGATE_EXCEPTIONS=False, SERVICE_TOKEN=SERVICE_TOKEN, API_REQUESTS_PER_MINUTE=100_000
    )
    make_sequence(alice_org, name="Welcome")
    make_contact(alice_org, email="ana@example.com", full_name="Ana Lima", phone="+14155550100")
    db.session.commit()
    return {"apiKey": key_for(alice)["Authorization"], "serviceToken": f"Bearer {SERVICE_TOKEN}"}


@schema.parametrize()
@settings(
    # Bounded for the suite; API_FUZZ_EXAMPLES=500 for a deeper run by hand.
    max_examples=int(os.environ.get("API_FUZZ_EXAMPLES", "25")),
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
def test_the_api_keeps_its_document(case, app, auth):
    schemes = [name for option in case.operation.definition.raw["security"] for name in option]
    headers = {"Authorization": auth[schemes[0]]} if schemes else {}
    case.call_and_validate(app=app, headers=headers, checks=CHECKS)
