"""Versions (runs finish on the version they started with), re-entry, pause / resume /
cancel of a workflow and of one run, and the definition's field errors."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from tests.workflows.helpers import live, log_of, make_lead, record_event, tick
from webapp.core.extensions import db
from webapp.models import WorkflowExecution, WorkflowVersion
from webapp.models.sequence import Send, SequenceStep
from webapp.services.workflows import (
    DefinitionInvalid,
    control_execution,
    parse,
    save_definition,
    set_status,
)


def _flow(subject: str, *, trigger: str = "signed.up") -> dict:
    return {
        "trigger": {"kind": "event", "event": trigger},
        "steps": [
            {"id": "pause", "kind": "wait", "days": 1},
            {"id": "hello", "kind": "send", "channel": "email", "subject": subject, "body": "Hi"},
        ],
    }


def _subjects() -> list[str]:
    return list(
        db.session.scalars(
            select(SequenceStep.subject)
            .join(Send, Send.step_id == SequenceStep.id)
            .order_by(Send.id)
        )
    )


def test_a_workflow_edited_while_100_contacts_wait_lets_them_finish_on_their_version(
    alice_org, clock
):
    workflow = live(alice_org.id, _flow("Old copy"), now=clock())
    for n in range(100):
        lead = make_lead(alice_org.id, f"Waiting {n}")
        record_event(alice_org.id, lead.id, "signed.up", clock())
    tick(clock)
    waiting = (
        select(func.count())
        .select_from(WorkflowExecution)
        .where(WorkflowExecution.status == "waiting")
    )
    assert db.session.scalar(waiting) == 100

    clock.advance(hours=2)
    version = save_definition(db.session, workflow, _flow("New copy"), now=clock())
    db.session.commit()
    assert version.number == 2
    late = make_lead(alice_org.id, "Late Comer")
    record_event(alice_org.id, late.id, "signed.up", clock())
    tick(clock)
    clock.advance(days=2)
    tick(clock)
    assert sorted(set(_subjects())) == ["New copy", "Old copy"]
    assert _subjects().count("Old copy") == 100 and _subjects().count("New copy") == 1
    first = db.session.scalar(select(WorkflowVersion).where(WorkflowVersion.number == 1))
    assert first.definition["steps"][1]["subject"] == "Old copy"  # never changed


def test_reentry_once_starts_one_run_per_contact_and_always_one_per_event(alice_org, clock):
    once = live(alice_org.id, _flow("Once", trigger="a.b"), now=clock(), reentry="once")
    always = live(alice_org.id, _flow("Always", trigger="a.b"), now=clock(), reentry="always")
    lead = make_lead(alice_org.id, "Repeat Visitor")
    for _ in range(3):
        record_event(alice_org.id, lead.id, "a.b", clock())
    db.session.commit()
    count = lambda wf: db.session.scalar(  # noqa: E731
        select(func.count())
        .select_from(WorkflowExecution)
        .where(WorkflowExecution.workflow_id == wf.id)
    )
    assert (count(once), count(always)) == (1, 3)


def test_a_paused_workflow_holds_its_contacts_and_they_continue_on_resume(alice_org, clock):
    workflow = live(alice_org.id, _flow("After the pause"), now=clock())
    lead = make_lead(alice_org.id, "Patient Person")
    record_event(alice_org.id, lead.id, "signed.up", clock())
    tick(clock)
    set_status(db.session, workflow, "paused", actor_id=None, now=clock())
    clock.advance(days=2)
    tick(clock)
    assert _subjects() == []
    execution = db.session.scalar(select(WorkflowExecution))
    assert execution.status == "waiting"
    set_status(db.session, workflow, "active", actor_id=None, now=clock())
    clock.advance(minutes=6)
    tick(clock)
    assert _subjects() == ["After the pause"]
    assert db.session.get(WorkflowExecution, execution.id).status == "completed"


def test_one_run_paused_then_cancelled_sends_nothing(alice_org, clock):
    live(alice_org.id, _flow("Never"), now=clock())
    lead = make_lead(alice_org.id, "Cancelled Person")
    record_event(alice_org.id, lead.id, "signed.up", clock())
    tick(clock)
    execution = db.session.scalar(select(WorkflowExecution))
    assert control_execution(db.session, execution, "pause", now=clock())
    clock.advance(days=2)
    tick(clock)
    assert db.session.get(WorkflowExecution, execution.id).status == "paused"
    assert control_execution(db.session, execution, "resume", now=clock())
    assert execution.status == "waiting"
    assert control_execution(db.session, execution, "cancel", now=clock())
    assert not control_execution(db.session, execution, "cancel", now=clock())
    clock.advance(minutes=10)
    tick(clock)
    assert (
        _subjects() == [] and db.session.get(WorkflowExecution, execution.id).status == "cancelled"
    )
    assert [s for s, _o, _r in log_of(execution)] == ["pause"]


def test_a_condition_logs_the_branch_and_why(alice_org, clock):
    flow = {
        "trigger": {"kind": "event", "event": "x.y"},
        "steps": [
            {
                "id": "vip",
                "kind": "condition",
                "check": {"type": "field", "field": "company", "op": "equals", "value": "ACME"},
                "else": "tag",
            },
            {"id": "exit_now", "kind": "exit"},
            {"id": "tag", "kind": "update", "action": "add_tag", "value": "not-acme"},
        ],
    }
    live(alice_org.id, flow, now=clock())
    lead = make_lead(alice_org.id, "Other Co", company="Globex")
    record_event(alice_org.id, lead.id, "x.y", clock())
    tick(clock)
    execution = db.session.scalar(select(WorkflowExecution))
    log = log_of(execution)
    assert [s for s, _o, _r in log] == ["vip", "tag"]
    assert "company is “Globex”" in log[0][2] and "else branch" in log[0][2]


def test_definition_errors_name_the_step_and_the_field():
    with pytest.raises(DefinitionInvalid) as caught:
        parse(
            {
                "trigger": {"kind": "schedule", "cron": "every monday"},
                "steps": [
                    {"id": "w", "kind": "wait"},
                    {"id": "mail", "kind": "send", "channel": "email", "subject": "", "body": "x"},
                    {
                        "id": "c",
                        "kind": "condition",
                        "check": {"type": "tag", "value": "v"},
                        "then": "nowhere",
                    },
                    {"id": "hook", "kind": "webhook", "url": "http://example.com"},
                ],
            }
        )
    errors = caught.value.errors
    assert "five fields" in errors["trigger.cron"]
    assert "duration" in errors["steps.w"]
    assert "subject" in errors["steps.mail"]
    assert "https" in errors["steps.hook.url"]
    with pytest.raises(DefinitionInvalid) as caught:
        parse(
            {
                "trigger": {"kind": "manual"},
                "steps": [
                    {
                        "id": "c",
                        "kind": "condition",
                        "check": {"type": "tag", "value": "vip"},
                        "then": "nowhere",
                    }
                ],
            }
        )
    assert caught.value.errors == {"steps.c.then": "no step has the id 'nowhere'"}
