"""Shared steps of the workflows tests: a workflow from a definition, events, the tick."""

from __future__ import annotations

from sqlalchemy import select

from tests.segments.factories import make_lead, record_event
from webapp.core.extensions import db
from webapp.models import WorkflowExecution
from webapp.models.workflow import WorkflowStepLog
from webapp.services.workflows import create_workflow, run_due_steps, set_status

__all__ = ["make_lead", "record_event", "live", "tick", "log_of"]


def live(org_id: int, definition: dict, *, now, reentry: str = "always", name: str = "Flow"):
    workflow = create_workflow(
        db.session,
        org_id,
        name=name,
        definition=definition,
        reentry=reentry,
        actor_id=None,
        now=now,
    )
    set_status(db.session, workflow, "active", actor_id=None, now=now)
    db.session.commit()
    return workflow


def tick(clock) -> None:
    db.session.commit()
    run_due_steps(db.engine, owner="test", clock=clock)
    db.session.expire_all()


def log_of(execution: WorkflowExecution) -> list[tuple[str, str, str]]:
    rows = db.session.scalars(
        select(WorkflowStepLog)
        .where(WorkflowStepLog.execution_id == execution.id)
        .order_by(WorkflowStepLog.id)
    )
    return [(r.step_id, r.outcome, r.reason) for r in rows]
