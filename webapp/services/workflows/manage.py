"""Workflows as the owner edits them: create (blank or from a template), save a definition
(a new immutable version once the workflow is live), activate, pause, resume; and one
execution's pause, resume and cancel.

Paused workflow: its contacts stay where they are, nothing is sent (its queued messages
wait too, through its carrier campaign), and they carry on from the same step on resume.
"""

from __future__ import annotations

import secrets
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from webapp.core.tenancy import get_scoped
from webapp.models import Campaign, Workflow, WorkflowExecution, WorkflowVersion
from webapp.models.workflow import REENTRY
from webapp.services.activity import log_activity
from webapp.services.workflows import engine
from webapp.services.workflows.definition import DefinitionInvalid, dump, parse


class WorkflowError(ValueError):
    def __init__(self, message: str, field: str = "") -> None:
        super().__init__(message)
        self.field = field


def _name(name: str) -> str:
    name = " ".join((name or "").split())
    if not name or len(name) > 120:
        raise WorkflowError("Give the workflow a name of at most 120 characters.", "name")
    return name


def _trigger_columns(workflow: Workflow, definition) -> None:
    trigger = definition.trigger
    workflow.trigger_kind = trigger.kind
    workflow.trigger_key = {
        "event": getattr(trigger, "event", ""),
        "segment_entered": str(getattr(trigger, "segment_id", "")),
        "segment_exited": str(getattr(trigger, "segment_id", "")),
    }.get(trigger.kind, "")


def create_workflow(
    session: Session,
    org_id: int,
    *,
    name: str,
    definition: dict,
    reentry: str = "once",
    actor_id: int | None,
    now: datetime,
) -> Workflow:
    """A new draft workflow with version 1. Raises DefinitionInvalid / WorkflowError."""
    if reentry not in REENTRY:
        raise WorkflowError("Choose once, after exit or always.", "reentry")
    parsed = parse(definition)
    workflow = Workflow(
        org_id=org_id,
        name=_name(name),
        status="draft",
        reentry=reentry,
        hook_token=secrets.token_urlsafe(24),
        hook_secret=secrets.token_hex(24),
        created_at=now,
        updated_at=now,
    )
    _trigger_columns(workflow, parsed)
    session.add(workflow)
    session.flush()
    _new_version(session, workflow, parsed, 1, now)
    log_activity(
        session,
        org_id,
        "workflow.created",
        f"Workflow “{workflow.name}” created (draft).",
        now=now,
        entity=("workflow", workflow.id),
        actor_id=actor_id,
    )
    return workflow


def _new_version(session, workflow: Workflow, parsed, number: int, now) -> WorkflowVersion:
    version = WorkflowVersion(
        org_id=workflow.org_id,
        workflow_id=workflow.id,
        number=number,
        definition=dump(parsed),
        created_at=now,
    )
    session.add(version)
    session.flush()
    workflow.current_version_id = version.id
    return version


def save_definition(
    session: Session,
    workflow: Workflow,
    definition: dict,
    *,
    reentry: str | None = None,
    now: datetime,
) -> WorkflowVersion:
    """Save the definition: a draft never run is edited in place; a live or used one gets a
    new version, and the runs already started finish on theirs."""
    parsed = parse(definition)
    if reentry is not None:
        if reentry not in REENTRY:
            raise WorkflowError("Choose once, after exit or always.", "reentry")
        workflow.reentry = reentry
    current = session.get(WorkflowVersion, workflow.current_version_id)
    _trigger_columns(workflow, parsed)
    workflow.updated_at = now
    if workflow.status == "draft" and current.used_at is None:
        current.definition = dump(parsed)
        return current
    number = session.scalar(
        select(func.max(WorkflowVersion.number)).where(WorkflowVersion.workflow_id == workflow.id)
    )
    return _new_version(session, workflow, parsed, (number or 0) + 1, now)


def _carrier_status(session: Session, workflow: Workflow, status: str, now) -> None:
    if workflow.carrier_campaign_id:
        campaign = session.get(Campaign, workflow.carrier_campaign_id)
        if campaign is not None:
            campaign.status, campaign.updated_at = status, now


def set_status(
    session: Session, workflow: Workflow, status: str, *, actor_id: int | None, now: datetime
) -> None:
    """Activate, pause or resume a workflow."""
    if status not in ("active", "paused"):
        raise WorkflowError("A workflow is active or paused.", "status")
    if status == workflow.status:
        return
    if status == "paused" and workflow.status == "draft":
        raise WorkflowError("A draft is not running; activate it first.", "status")
    workflow.status, workflow.updated_at = status, now
    _carrier_status(session, workflow, "paused" if status == "paused" else "active", now)
    words = {"active": "is active", "paused": "is paused: its contacts wait where they are"}
    log_activity(
        session,
        workflow.org_id,
        f"workflow.{status}",
        f"Workflow “{workflow.name}” {words[status]}.",
        now=now,
        entity=("workflow", workflow.id),
        actor_id=actor_id,
    )
    if status == "active":
        _wake_paused_jobs(session, workflow.id, now)


def _wake_paused_jobs(session: Session, workflow_id: int, now: datetime) -> None:
    """On resume, running executions continue now rather than at their next paused retry."""
    running = session.scalars(
        select(WorkflowExecution).where(
            WorkflowExecution.workflow_id == workflow_id, WorkflowExecution.status == "running"
        )
    )
    for execution in running:
        engine.schedule(session, execution, f"resume:{now.isoformat()}", now)


def get_execution(session: Session, org_id: int, execution_id: int) -> WorkflowExecution:
    return get_scoped(session, WorkflowExecution, execution_id, org_id)


def control_execution(
    session: Session, execution: WorkflowExecution, action: str, *, now: datetime
) -> bool:
    """Pause, resume or cancel one run (one conditional UPDATE each). True when it changed."""
    table = WorkflowExecution
    where = [table.id == execution.id]
    if action == "pause":
        values = dict(status="paused", paused_from=table.status)
        where.append(table.status.in_(("running", "waiting")))
    elif action == "resume":
        values = dict(status=func.coalesce(table.paused_from, "running"), paused_from=None)
        where.append(table.status == "paused")
    elif action == "cancel":
        values = dict(status="cancelled", finished_at=now, current_step=None)
        where.append(table.status.in_(("running", "waiting", "paused")))
    else:
        raise WorkflowError("Unknown action.", "action")
    changed = (
        session.execute(
            update(table)
            .where(*where)
            .values(updated_at=now, **values)
            .execution_options(synchronize_session=False)
        ).rowcount
        == 1
    )
    session.refresh(execution)
    if changed and action == "resume" and execution.status == "running":
        engine.schedule(session, execution, f"resume:{now.isoformat()}", now)
    return changed


__all__ = ["DefinitionInvalid", "WorkflowError"]
