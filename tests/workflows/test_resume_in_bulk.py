"""Timers that come due together are resumed in bulk (services/workflows/resume.py): one
conditional UPDATE ends a batch's waits, the runs go on through their cheap steps, a send
gets its own job, an event that ended a wait first keeps it, and a visit logged already
rolls the batch back so its jobs run one by one behind the step-log guard."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from sqlalchemy import event, func, insert, select

from tests.workflows.helpers import live, log_of, make_lead, tick
from webapp import queue
from webapp.core.extensions import db
from webapp.models import LeadTag, WorkflowExecution
from webapp.models.queue import QueuedJob
from webapp.models.sequence import Send, SequenceStep
from webapp.models.workflow import WorkflowStepLog
from webapp.services.workflows import engine, resume, start_run

TAGGED = {
    "trigger": {"kind": "manual"},
    "steps": [
        {"id": "wait", "kind": "wait", "hours": 1},
        {"id": "tag", "kind": "update", "action": "add_tag", "value": "resumed"},
        {"id": "done", "kind": "exit"},
    ],
}


def _start(org_id: int, flow: dict, names: list[str], clock) -> list[WorkflowExecution]:
    workflow = live(org_id, flow, now=clock())
    runs = [
        start_run(
            db.session, workflow, make_lead(org_id, name).id, key=name, trigger={}, now=clock()
        )
        for name in names
    ]
    tick(clock)  # each run's first step: parked on its timer
    return runs


@pytest.fixture
def statements():
    seen: list[str] = []

    def note(_conn, _cursor, statement, *_args) -> None:
        seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", note)
    yield seen
    event.remove(db.engine, "before_cursor_execute", note)


def _tags(tag: str) -> int:
    return db.session.scalar(select(func.count()).select_from(LeadTag).where(LeadTag.tag == tag))


def test_thirty_due_timers_are_ended_by_one_update_and_finish_together(
    alice_org, clock, statements
):
    runs = _start(alice_org.id, TAGGED, [f"Bulk {n}" for n in range(30)], clock)
    assert {db.session.get(WorkflowExecution, r.id).status for r in runs} == {"waiting"}
    clock.advance(hours=1, seconds=1)
    statements.clear()
    tick(clock)
    for run in runs:
        run = db.session.get(WorkflowExecution, run.id)
        assert run.status == "completed" and run.resolved_by is None
        assert log_of(run) == [
            ("wait", "done", "The wait is over."),
            ("tag", "done", "Tag “resumed” added."),
            ("done", "done", "Exit."),
        ]
    assert _tags("resumed") == 30
    # One conditional UPDATE ended the 30 waits; the runs' rows were written together.
    updates = [s for s in statements if s.startswith("UPDATE workflow_executions")]
    assert len([s for s in updates if "waiting_step" in s.split("WHERE")[-1]]) == 1
    assert len(updates) <= 2
    logs = [s for s in statements if s.startswith("INSERT INTO workflow_step_logs")]
    assert len(logs) == 1
    jobs = db.session.scalars(select(QueuedJob.status).where(QueuedJob.kind == engine.KIND))
    assert set(jobs) == {"completed"}


def test_a_wait_the_event_ended_first_is_not_taken_by_the_batch(alice_org, clock, monkeypatch):
    flow = {
        "trigger": {"kind": "manual"},
        "steps": [
            {"id": "await", "kind": "wait_event", "event": "order.placed", "timeout_hours": 4,
             "on_event": "thanks", "on_timeout": "nudge"},
            {"id": "nudge", "kind": "update", "action": "add_tag", "value": "nudged"},
            {"id": "bye", "kind": "exit"},
            {"id": "thanks", "kind": "update", "action": "add_tag", "value": "thanked"},
        ],
    }  # fmt: skip
    ana, ben = _start(alice_org.id, flow, ["Ana Race", "Ben Race"], clock)
    clock.advance(hours=4)
    original = queue.Batch.take
    ana_run = SimpleNamespace(id=ana.id, org_id=ana.org_id)  # no read of the test's session

    def event_meanwhile(work, job_ids):
        # The order is recorded between the batch's look and its UPDATE (on PostgreSQL a
        # concurrent commit): the event's own conditional UPDATE wins Ana's wait.
        held = original(work, job_ids)
        assert engine.resolve(work.session, ana_run.id, "await", "event:77", clock())
        engine.schedule(work.session, ana_run, "await:event:77", clock())
        return held

    monkeypatch.setattr(queue.Batch, "take", event_meanwhile)
    tick(clock)
    ana, ben = (db.session.get(WorkflowExecution, r.id) for r in (ana, ben))
    assert (ana.status, ben.status) == ("completed", "completed"), log_of(ana) + log_of(ben)
    assert [r for s, _o, r in log_of(ana) if s == "await"] == [
        "order.placed arrived (event #77): on_event branch"
    ]
    assert [s for s, _o, _r in log_of(ana)] == ["await", "thanks"]
    assert [r for s, _o, r in log_of(ben) if s == "await"] == [
        "No order.placed within 4 h: on_timeout branch"
    ]
    assert (_tags("thanked"), _tags("nudged")) == (1, 1)


def test_a_send_after_the_wait_goes_out_once_through_its_own_job(alice_org, clock):
    flow = {
        "trigger": {"kind": "manual"},
        "steps": [
            {"id": "wait", "kind": "wait", "hours": 1},
            {"id": "hello", "kind": "send", "channel": "email", "subject": "Hello", "body": "Hi"},
            {"id": "tag", "kind": "update", "action": "add_tag", "value": "greeted"},
        ],
    }
    runs = _start(alice_org.id, flow, ["Cleo Send", "Dan Send"], clock)
    clock.advance(hours=1, seconds=1)
    tick(clock)
    for run in runs:
        run = db.session.get(WorkflowExecution, run.id)
        assert run.status == "completed"
        assert [(s, o) for s, o, _r in log_of(run)] == [
            ("wait", "done"),
            ("hello", "done"),
            ("tag", "done"),
        ]
        sends = db.session.scalars(select(Send.step_id).where(Send.lead_id == run.lead_id))
        assert [db.session.get(SequenceStep, step).subject for step in sends] == ["Hello"]


def test_a_visit_logged_meanwhile_rolls_the_batch_back_and_its_jobs_run_one_by_one(
    alice_org, clock, monkeypatch
):
    runs = _start(alice_org.id, TAGGED, ["Eve Guard", "Fay Guard", "Gus Guard"], clock)
    clock.advance(hours=1, seconds=1)
    # Plain values: the test's session must not start reading while the batch runs.
    org_id, fay_id, original, refused = alice_org.id, runs[1].id, resume.Collected.write, []

    def logged_meanwhile(writes):
        # Another worker logs Fay's tag visit after the batch counted her visits.
        writes.session.execute(
            insert(WorkflowStepLog).values(
                org_id=org_id, execution_id=fay_id, step_id="tag", visit=1,
                kind="update", outcome="done", reason="ran elsewhere", created_at=clock(),
                updated_at=clock(),
            )
        )  # fmt: skip
        try:
            original(writes)
        except RuntimeError as exc:
            refused.append(str(exc))
            raise

    monkeypatch.setattr(resume.Collected, "write", logged_meanwhile)
    tick(clock)
    assert refused == ["a step visit of this batch was logged (run) already"]
    for run in runs:  # the batch wrote nothing; each job then ran once, one by one
        run = db.session.get(WorkflowExecution, run.id)
        assert run.status == "completed"
        assert [(s, o) for s, o, _r in log_of(run)] == [
            ("wait", "done"),
            ("tag", "done"),
            ("done", "done"),
        ]
    assert _tags("resumed") == 3
