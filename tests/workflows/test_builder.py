"""The form-based builder: the form → definition parse (services/workflows/builder_form.py)
and the builder's page: every template survives a round trip through its form, add /
remove / move answer htmx with only the builder (focus and announcement included) and the
whole page without JavaScript, errors sit next to the field at fault, and saving a live
workflow makes a new version."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select
from werkzeug.datastructures import MultiDict

from tests.conftest import csrf_from, login
from tests.workflows.builder_page import builder_fields
from webapp.core.extensions import db
from webapp.models import Workflow, WorkflowVersion
from webapp.services.workflows import TEMPLATES, DefinitionInvalid, parse
from webapp.services.workflows.builder_form import (
    apply_action,
    definition_from_form,
    form_errors,
    new_id,
)
from webapp.services.workflows.definition import dump

HX = {"HX-Request": "true"}


def _form(**fields) -> MultiDict:
    pairs = []
    for name, value in fields.items():
        for v in value if isinstance(value, list) else [value]:
            pairs.append((name.replace("__", "."), v))
    return MultiDict(pairs)


# --- the parse ---------------------------------------------------------------------------


def test_the_form_fields_become_a_definition_the_pydantic_model_accepts():
    form = _form(
        trigger__kind="event",
        trigger__event="cart.abandoned",
        trigger__where="country = FR\n\ncurrency=EUR",
        step=["wait_1", "check", "hello", "bye"],
        wait_1__kind="wait",
        wait_1__days="2",
        wait_1__hours="",
        wait_1__until_time="09:30",
        check__kind="condition",
        check__check_type="tag",
        check__check_value="vip",
        check__then="hello",
        check__else="exit",
        hello__kind="send",
        hello__channel="email",
        hello__subject="  Hi   {{firstName}} ",
        hello__body="Hello\r\nthere",
        bye__kind="update",
        bye__action="add_tag",
        bye__value="greeted",
    )
    draft = definition_from_form(form)
    assert draft.errors == {}
    definition = parse(draft.definition)
    assert definition.trigger.where == {"country": "FR", "currency": "EUR"}
    assert [s.id for s in definition.steps] == ["wait_1", "check", "hello", "bye"]
    wait, check, hello, bye = definition.steps
    assert (wait.days, wait.hours, wait.until_time) == (2, 0, "09:30")
    assert (check.check.type, check.check.value, check.then, check.otherwise) == (
        "tag",
        "vip",
        "hello",
        "exit",
    )
    assert (hello.subject, hello.body) == ("Hi {{firstName}}", "Hello\nthere")
    assert (bye.action, bye.value) == ("add_tag", "greeted")


def test_a_filter_line_without_equals_is_a_field_error_of_the_filter():
    draft = definition_from_form(
        _form(trigger__kind="event", trigger__event="a.b", trigger__where="country", step="x")
    )
    assert draft.errors == {"trigger.where": "Line 1: write each filter as name=value."}


def test_errors_of_a_step_land_on_its_field():
    steps = [
        {"id": "mail", "kind": "send", "channel": "email", "subject": "", "body": "x"},
        {"id": "pause", "kind": "wait", "until_time": "25:00"},
        {"id": "tagit", "kind": "update", "action": "add_tag", "value": ""},
        {"id": "hook", "kind": "webhook", "url": "http://example.com"},
        {"id": "cond", "kind": "condition", "check": {"type": "segment"}, "then": "gone"},
        {"id": "later", "kind": "wait", "days": "soon"},
    ]
    with pytest.raises(DefinitionInvalid) as raised:
        parse({"trigger": {"kind": "manual"}, "steps": steps})
    errors = form_errors(raised.value.errors)
    assert errors["mail.subject"] == "an email needs a subject"
    assert errors["pause.until_time"] == "until_time is HH:MM"
    assert errors["tagit.value"] == "a tag step names the tag (value)"
    assert errors["hook.url"] == "an outbound webhook must use https://"
    assert errors["cond.check_segment_id"].startswith("a segment check names the segment")
    assert "integer" in errors["later.days"]
    with pytest.raises(DefinitionInvalid) as raised:
        parse(
            {
                "trigger": {"kind": "manual"},
                "steps": [{**steps[4], "check": {"type": "tag", "value": "v"}}],
            }
        )
    assert form_errors(raised.value.errors) == {"cond.then": "no step has the id 'gone'"}
    assert form_errors({"trigger.segment_id": "bad", "trigger": "x"}) == {
        "trigger.segment_id": "bad",
        "trigger.kind": "x",
    }


def test_add_remove_and_move_keep_ids_and_say_what_happened():
    definition = {"trigger": {"kind": "manual"}, "steps": [{"id": "email_1", "kind": "exit"}]}
    added = apply_action(definition, "add:email")
    assert [s["id"] for s in added.definition["steps"]] == ["email_1", "email_2"]
    assert added.definition["steps"][1] == {"id": "email_2", "kind": "send", "channel": "email"}
    assert added.focus == "step-email_2" and "added at the end" in added.message
    moved = apply_action(added.definition, "up:email_2")
    assert [s["id"] for s in moved.definition["steps"]] == ["email_2", "email_1"]
    assert moved.focus == "down-email_2"  # at the top there is no "up" left to focus
    assert "position 1 of 2" in moved.message
    down = apply_action(moved.definition, "down:email_2")
    assert down.focus == "up-email_2"
    removed = apply_action(down.definition, "remove:email_2")
    assert [s["id"] for s in removed.definition["steps"]] == ["email_1"]
    assert removed.focus == "step-email_1" and "removed" in removed.message
    emptied = apply_action(removed.definition, "remove:email_1")
    assert emptied.definition["steps"] == [] and emptied.focus == "add-step"
    assert apply_action(definition, "remove:nobody").definition == definition
    assert new_id("exit", set()) == "exit_1" and new_id("wait", {"wait_1"}) == "wait_2"


# --- the page ------------------------------------------------------------------------------


def _create(client, template: str) -> Workflow:
    page = client.get("/workflows")
    client.post(
        "/workflows/new",
        data={"template": template, "csrf_token": csrf_from(page.get_data(as_text=True))},
    )
    return db.session.scalar(select(Workflow).order_by(Workflow.id.desc()))


def _fields(client, workflow) -> list[tuple[str, str]]:
    return builder_fields(client.get(f"/workflows/{workflow.id}").get_data(as_text=True))


def _with(pairs, **changes) -> list[tuple[str, str]]:
    changes = {k.replace("__", "."): v for k, v in changes.items()}
    out = [(k, changes.get(k, v)) for k, v in pairs]
    out += [(k, v) for k, v in changes.items() if k not in dict(pairs)]
    return out


@pytest.mark.parametrize("template", sorted(TEMPLATES))
def test_every_template_survives_a_round_trip_through_the_builder(client, alice, template):
    login(client, alice)
    workflow = _create(client, template)
    before = db.session.get(WorkflowVersion, workflow.current_version_id).definition
    response = client.post(
        f"/workflows/{workflow.id}/builder", data=MultiDict(_fields(client, workflow))
    )
    assert response.status_code == 303, response.get_data(as_text=True)[:2000]
    db.session.expire_all()
    after = db.session.get(WorkflowVersion, workflow.current_version_id).definition
    assert after == dump(parse(before))


def test_add_move_remove_answer_htmx_with_the_builder_only(client, alice):
    login(client, alice)
    workflow = _create(client, "abandoned_cart")
    url = f"/workflows/{workflow.id}/builder"
    pairs = _fields(client, workflow)
    added = client.post(url, data=MultiDict(_with(pairs, add_kind="sms", action="add")), headers=HX)
    html = added.get_data(as_text=True)
    assert added.status_code == 200 and html.lstrip().startswith('<div id="wf-builder"')
    assert re.search(r'<fieldset id="step-sms_1" tabindex="-1" autofocus', html)
    assert (
        'id="builder-status" hx-swap-oob="innerHTML">Step 5 added at the end: Send an SMS (sms_1).'
        in html
    )
    outside = [(k, v) for k, v in pairs if k.startswith("wf-")]  # csrf, name, re-entry
    pairs = outside + builder_fields(f'<form id="builder-form">{html}</form>')
    order = [v for k, v in pairs if k == "step"]
    assert order == ["wait_for_order", "reminder", "wait_after_reminder", "discount", "sms_1"]
    moved = client.post(url, data=MultiDict(pairs + [("action", "up:sms_1")]), headers=HX)
    assert moved.status_code == 200
    pairs = builder_fields(f'<form id="builder-form">{moved.get_data(as_text=True)}</form>')
    assert [v for k, v in pairs if k == "step"][3:] == ["sms_1", "discount"]
    assert 'id="up-sms_1"' in moved.get_data(as_text=True).split("autofocus")[0][-400:]
    # Without JavaScript: the whole page, with the change and nothing saved.
    removed = client.post(
        url, data=MultiDict(_fields(client, workflow) + [("action", "remove:reminder")])
    )
    page = removed.get_data(as_text=True)
    assert removed.status_code == 200 and "<html" in page and 'id="step-reminder"' not in page
    assert "Step 1 (wait_for_order)" not in page and "Step 2 (reminder) removed." in page
    db.session.expire_all()
    saved = db.session.get(WorkflowVersion, workflow.current_version_id).definition
    assert [s["id"] for s in saved["steps"]][1] == "reminder"


def test_errors_are_shown_next_to_their_field_and_nothing_is_saved(client, alice):
    login(client, alice)
    workflow = _create(client, "abandoned_cart")
    pairs = _with(
        _fields(client, workflow), reminder__subject="", wait_for_order__timeout_hours="0"
    )
    response = client.post(f"/workflows/{workflow.id}/builder", data=MultiDict(pairs))
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert re.search(
        r'id="f-reminder-subject"[^>]*aria-describedby="f-reminder-subject-error"[^>]*aria-invalid="true"',
        html,
    )
    assert (
        '<small id="f-reminder-subject-error" class="field-error" role="alert">an email needs a subject</small>'
        in html
    )
    assert 'id="f-wait_for_order-timeout_hours-error"' in html
    assert '<a href="#f-reminder-subject">Step reminder: an email needs a subject</a>' in html
    db.session.expire_all()
    saved = db.session.get(WorkflowVersion, workflow.current_version_id).definition
    assert saved["steps"][1]["subject"] == "You left something in your basket"


def test_saving_a_live_workflow_through_the_builder_adds_a_version(client, alice):
    login(client, alice)
    workflow = _create(client, "welcome")
    page = client.get(f"/workflows/{workflow.id}").get_data(as_text=True)
    client.post(
        f"/workflows/{workflow.id}/status", data={"to": "active", "csrf_token": csrf_from(page)}
    )
    pairs = _with(
        _fields(client, workflow), hello__subject="Welcome!", **{"wf-name": "Hello series"}
    )
    assert (
        client.post(f"/workflows/{workflow.id}/builder", data=MultiDict(pairs)).status_code == 303
    )
    db.session.expire_all()
    versions = db.session.scalars(
        select(WorkflowVersion)
        .where(WorkflowVersion.workflow_id == workflow.id)
        .order_by(WorkflowVersion.number)
    ).all()
    assert [v.number for v in versions] == [1, 2]
    assert versions[0].definition["steps"][0]["subject"] == "Thanks for getting in touch"
    assert versions[1].definition["steps"][0]["subject"] == "Welcome!"
    assert db.session.get(Workflow, workflow.id).name == "Hello series"
    assert db.session.scalar(select(func.count()).select_from(Workflow)) == 1


def test_the_preview_renders_the_unsaved_message_for_a_contact(client, alice, alice_org):
    from tests.workflows.helpers import make_lead

    make_lead(alice_org.id, "Zoë Martin")
    db.session.commit()
    login(client, alice)
    workflow = _create(client, "abandoned_cart")
    pairs = _with(
        _fields(client, workflow),
        reminder__subject="For {{firstName}}",
        reminder__body="Hi {{firstName|there}}!",
    )
    response = client.post(
        f"/workflows/{workflow.id}/builder/preview",
        data=MultiDict(pairs + [("preview", "reminder")]),
        headers=HX,
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "For Zoë" in html and "Hi Zoë!" in html and "zoë.martin@example.com" in html
