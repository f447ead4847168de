"""Starting runs: the triggers (an event, a segment entered or left, a cron firing, an
inbound webhook, "run for this contact") and the re-entry policy.

A run is one execution row, unique per (workflow, dedup key): the event's id, the cron
firing, the webhook delivery, or — for "once per contact" — the contact itself, so a
repeated trigger starts nothing. Its first step runs as a queued job, never in the sender's
transaction. The receivers here write through the sender's session and flush.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from webapp.core.db import dialect_insert
from webapp.models import Workflow, WorkflowExecution, WorkflowVersion
from webapp.models.workflow import OPEN_STATUSES
from webapp.services.workflows import engine
from webapp.services.workflows.checks import matches, wanted


def start_run(
    session: Session,
    workflow: Workflow,
    lead_id: int,
    *,
    key: str,
    trigger: dict,
    now: datetime,
    test_mode: bool = False,
) -> WorkflowExecution | None:
    """Start `workflow` for a contact unless its re-entry policy or the key says no."""
    if workflow.current_version_id is None:
        return None
    if workflow.reentry == "once":
        key = f"contact:{lead_id}"
    elif workflow.reentry == "after_exit" and session.scalar(
        select(
            exists().where(
                WorkflowExecution.workflow_id == workflow.id,
                WorkflowExecution.lead_id == lead_id,
                WorkflowExecution.status.in_(OPEN_STATUSES),
            )
        )
    ):
        return None
    if test_mode:
        key = f"test:{key}"
    row = session.execute(
        dialect_insert(session)(WorkflowExecution.__table__)
        .values(
            org_id=workflow.org_id,
            workflow_id=workflow.id,
            version_id=workflow.current_version_id,
            lead_id=lead_id,
            dedup_key=key[:200],
            status="running",
            trigger=trigger,
            test_mode=test_mode,
            started_at=now,
            updated_at=now,
        )
        .on_conflict_do_nothing(index_elements=["workflow_id", "dedup_key"])
        .returning(WorkflowExecution.__table__.c.id)
    ).first()
    if row is None:
        return None
    version = session.get(WorkflowVersion, workflow.current_version_id)
    if version.used_at is None:
        version.used_at = now
    execution = session.get(WorkflowExecution, row[0])
    engine.schedule(session, execution, "start", now)
    session.flush()
    return execution


def _active(session: Session, org_id: int, kind: str, key: str) -> list[Workflow]:
    return list(
        session.scalars(
            select(Workflow).where(
                Workflow.org_id == org_id,
                Workflow.status == "active",
                Workflow.trigger_kind == kind,
                Workflow.trigger_key == key,
            )
        )
    )


def on_event(
    _sender, *, session, org_id, lead_id, event_id, name, properties, occurred_at, now=None, **_
):
    """An event resolves the waits for it, then starts the workflows it triggers."""
    now = now or occurred_at
    properties = properties or {}
    _resolve_waits(session, org_id, lead_id, event_id, name, properties, now)
    for workflow in _active(session, org_id, "event", name):
        where = engine.definition_of(session, workflow.current_version_id).trigger.where
        if not matches(properties, where):
            continue
        start_run(
            session,
            workflow,
            lead_id,
            key=f"event:{event_id}",
            trigger={"event": name, "event_id": event_id, "properties": properties},
            now=now,
        )
    session.flush()


def _resolve_waits(session, org_id, lead_id, event_id, name, properties, now) -> None:
    """Resolve the contact's waits for this event. Every live run of the contact is locked
    first (its row, until this transaction, which holds the new event, commits), and a run
    that parks checks for the event under the same lock (engine.advance): so either the
    parking run sees the event, or this sees the parked wait — a run that moved from one
    wait to the next during the race cannot miss it."""
    live = session.scalars(
        select(WorkflowExecution)
        .where(
            WorkflowExecution.org_id == org_id,
            WorkflowExecution.lead_id == lead_id,
            WorkflowExecution.status.in_(("running", "waiting")),
        )
        .order_by(WorkflowExecution.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).all()
    for execution in live:
        if execution.status != "waiting" or execution.waiting_event != name:
            continue
        step_id = execution.waiting_step
        step = engine.definition_of(session, execution.version_id).step(step_id)
        if not matches(properties, wanted(step, execution.trigger)):
            continue
        if engine.resolve(session, execution.id, step_id, f"event:{event_id}", now):
            engine.schedule(session, execution, f"{step_id}:event:{event_id}", now)


def on_segment(kind: str):
    def receive(_sender, *, session, org_id, segment_id, lead_id, now, **_):
        for workflow in _active(session, org_id, kind, str(segment_id)):
            start_run(
                session,
                workflow,
                lead_id,
                key=f"{kind}:{segment_id}:{lead_id}:{now.isoformat()}",
                trigger={"segment_id": segment_id, "change": kind},
                now=now,
            )
        session.flush()

    receive.__name__ = f"on_{kind}"
    return receive


on_segment_entered = on_segment("segment_entered")
on_segment_exited = on_segment("segment_exited")


def connect(app) -> None:
    from webapp.core import signals

    signals.event_recorded.connect(on_event, sender=app)
    signals.segment_entered.connect(on_segment_entered, sender=app)
    signals.segment_exited.connect(on_segment_exited, sender=app)
