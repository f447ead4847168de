"""The workflow pages: the list and its empty state, create from a template, the JSON
editor's field errors and versions, a run's step log, pause / cancel, the inbound webhook
(signed or 401)."""

from __future__ import annotations

import json

from sqlalchemy import func, select

from tests.conftest import csrf_from, login
from tests.workflows.helpers import make_lead, record_event, tick
from webapp.core.extensions import db
from webapp.models import Workflow, WorkflowExecution, WorkflowVersion
from webapp.services.workflows import signature


def _create(client, template: str = "abandoned_cart") -> Workflow:
    page = client.get("/workflows")
    response = client.post(
        "/workflows/new",
        data={"template": template, "csrf_token": csrf_from(page.get_data(as_text=True))},
    )
    assert response.status_code == 303
    return db.session.scalar(select(Workflow).order_by(Workflow.id.desc()))


def _post(client, path: str, page_path: str, **data):
    token = csrf_from(client.get(page_path).get_data(as_text=True))
    return client.post(path, data={"csrf_token": token, **data})


def test_the_list_is_empty_then_a_template_becomes_a_draft(client, alice):
    login(client, alice)
    page = client.get("/workflows")
    assert page.status_code == 200 and b"No workflows yet" in page.data
    workflow = _create(client)
    assert workflow.name == "Abandoned-cart recovery" and workflow.status == "draft"
    listing = client.get("/workflows").get_data(as_text=True)
    assert "Abandoned-cart recovery" in listing and "No workflows yet" not in listing
    assert "You left something in your basket" in client.get(f"/workflows/{workflow.id}").get_data(
        as_text=True
    )


def test_the_editor_names_the_step_and_field_of_each_error_and_saves_versions(client, alice):
    login(client, alice)
    workflow = _create(client)
    path = f"/workflows/{workflow.id}"
    definition = db.session.get(WorkflowVersion, workflow.current_version_id).definition
    broken = json.loads(json.dumps(definition))
    broken["steps"][1]["subject"] = ""
    response = _post(
        client, path, path, name="Carts", reentry="always", definition=json.dumps(broken)
    )
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "steps.reminder" in html and "an email needs a subject" in html
    broken = json.loads(json.dumps(definition))
    broken["steps"][0]["on_event"] = "nowhere"
    response = _post(
        client, path, path, name="Carts", reentry="always", definition=json.dumps(broken)
    )
    assert response.status_code == 422
    assert "steps.wait_for_order.on_event" in response.get_data(as_text=True)
    bad_json = _post(client, path, path, name="Carts", reentry="always", definition="{")
    assert bad_json.status_code == 422 and "Not valid JSON" in bad_json.get_data(as_text=True)
    # Activate, then save: a new version, the first one untouched.
    assert _post(client, f"{path}/status", path, to="active").status_code == 303
    definition["steps"][1]["subject"] = "Your basket misses you"
    saved = _post(
        client, path, path, name="Carts", reentry="always", definition=json.dumps(definition)
    )
    assert saved.status_code == 303
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(WorkflowVersion)) == 2
    assert db.session.get(Workflow, workflow.id).name == "Carts"


def test_a_run_shows_its_step_log_with_the_branch_reason_and_can_be_cancelled(
    client, alice, alice_org, clock
):
    login(client, alice)
    workflow = _create(client)
    path = f"/workflows/{workflow.id}"
    _post(client, f"{path}/status", path, to="active")
    ana = make_lead(alice_org.id, "Ana Cart")
    record_event(alice_org.id, ana.id, "cart.abandoned", clock(), cart_id="k9")
    tick(clock)
    clock.advance(hours=4, seconds=1)
    tick(clock)
    execution = db.session.scalar(select(WorkflowExecution))
    run_path = f"/workflows/runs/{execution.id}"
    html = client.get(run_path).get_data(as_text=True)
    assert "No order.placed within 4 h: on_timeout branch" in html
    assert "Email queued to ana.cart@example.com" in html
    assert "Ana Cart" in client.get(path).get_data(as_text=True)
    response = _post(client, f"{run_path}/cancel", run_path)
    assert response.status_code == 303
    db.session.expire_all()
    assert db.session.get(WorkflowExecution, execution.id).status == "cancelled"


def test_the_inbound_webhook_needs_the_body_signed_with_the_workflows_secret(
    client, alice, alice_org
):
    login(client, alice)
    workflow = _create(client, "welcome")
    path = f"/workflows/{workflow.id}"
    definition = db.session.get(WorkflowVersion, workflow.current_version_id).definition
    definition["trigger"] = {"kind": "webhook"}
    _post(client, path, path, name="Hooked", reentry="always", definition=json.dumps(definition))
    _post(client, f"{path}/status", path, to="active")
    make_lead(alice_org.id, "Hook Person")
    db.session.commit()
    workflow = db.session.get(Workflow, workflow.id)
    url = f"/hooks/workflows/{workflow.hook_token}"
    body = json.dumps({"email": "hook.person@example.com", "id": "d1"}).encode()
    assert client.post(url, data=body).status_code == 401
    assert client.post(url, data=body, headers={"X-Signature": "0" * 64}).status_code == 401
    assert (
        client.post(
            "/hooks/workflows/nope",
            data=body,
            headers={"X-Signature": signature(workflow.hook_secret, body)},
        ).status_code
        == 401
    )
    signed = {"X-Signature": signature(workflow.hook_secret, body)}
    first = client.post(url, data=body, headers=signed)
    assert first.status_code == 202 and first.get_json()["started"] is True
    again = client.post(url, data=body, headers=signed)  # the same delivery id: no second run
    assert again.status_code == 202 and again.get_json()["started"] is False
    huge = json.dumps({"contact_id": 10**30}).encode()
    refused = client.post(
        url, data=huge, headers={"X-Signature": signature(workflow.hook_secret, huge)}
    )
    assert refused.status_code == 400 and refused.get_json()["field"] == "contact_id"
    nobody = json.dumps({"email": "nobody@example.com"}).encode()
    refused = client.post(
        url, data=nobody, headers={"X-Signature": signature(workflow.hook_secret, nobody)}
    )
    assert refused.status_code == 400 and refused.get_json()["field"] == "contact_id"
