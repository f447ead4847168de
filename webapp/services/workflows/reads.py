"""What the workflow pages show: the list with run counts, one workflow's runs, a run's
step log; "run for this contact"; and the inbound webhook (signature first)."""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from webapp.core.tenancy import get_scoped, storable_id
from webapp.models import Lead, Workflow, WorkflowExecution, WorkflowVersion
from webapp.models.workflow import WorkflowStepLog
from webapp.services.workflows.manage import WorkflowError
from webapp.services.workflows.starting import start_run

COUNTED = ("running", "waiting", "completed", "failed")
MAX_HOOK_BODY = 64 * 1024


@dataclass
class Row:
    workflow: Workflow
    counts: dict[str, int]


def list_workflows(session: Session, org_id: int) -> list[Row]:
    workflows = session.scalars(
        select(Workflow).where(Workflow.org_id == org_id).order_by(Workflow.name, Workflow.id)
    ).all()
    counts: dict[int, dict[str, int]] = {w.id: dict.fromkeys(COUNTED, 0) for w in workflows}
    for workflow_id, status, n in session.execute(
        select(WorkflowExecution.workflow_id, WorkflowExecution.status, func.count())
        .where(WorkflowExecution.org_id == org_id, WorkflowExecution.status.in_(COUNTED))
        .group_by(WorkflowExecution.workflow_id, WorkflowExecution.status)
    ):
        counts[workflow_id][status] = n
    return [Row(w, counts[w.id]) for w in workflows]


def get_workflow(session: Session, org_id: int, workflow_id: int) -> Workflow:
    return get_scoped(session, Workflow, workflow_id, org_id)


def current_definition(session: Session, workflow: Workflow) -> tuple[WorkflowVersion, dict]:
    version = session.get(WorkflowVersion, workflow.current_version_id)
    return version, version.definition


def runs_of(session: Session, workflow: Workflow, *, limit: int = 50) -> list[tuple]:
    return session.execute(
        select(WorkflowExecution, Lead.full_name, Lead.email, WorkflowVersion.number)
        .join(Lead, Lead.id == WorkflowExecution.lead_id)
        .join(WorkflowVersion, WorkflowVersion.id == WorkflowExecution.version_id)
        .where(
            WorkflowExecution.org_id == workflow.org_id,
            WorkflowExecution.workflow_id == workflow.id,
        )
        .order_by(WorkflowExecution.id.desc())
        .limit(limit)
    ).all()


def step_log(session: Session, execution: WorkflowExecution) -> list[WorkflowStepLog]:
    return list(
        session.scalars(
            select(WorkflowStepLog)
            .where(
                WorkflowStepLog.org_id == execution.org_id,
                WorkflowStepLog.execution_id == execution.id,
            )
            .order_by(WorkflowStepLog.id)
        )
    )


def run_for_contact(
    session: Session, workflow: Workflow, contact: str, *, test_mode: bool, now: datetime
) -> WorkflowExecution:
    """ "Run for this contact" (an id or an email); test runs send to the outbox only."""
    contact = (contact or "").strip()
    query = select(Lead).where(Lead.org_id == workflow.org_id)
    if contact.isdigit() and storable_id(int(contact)):
        query = query.where(or_(Lead.id == int(contact), Lead.email == contact.lower()))
    else:
        query = query.where(Lead.email == contact.lower())
    lead = session.scalar(query.limit(1))
    if lead is None:
        raise WorkflowError("No contact with that id or email in this workspace.", "contact")
    if workflow.status != "active" and not test_mode:
        raise WorkflowError("Activate the workflow first, or run it in test mode.", "contact")
    execution = start_run(
        session,
        workflow,
        lead.id,
        key=f"manual:{lead.id}:{now.isoformat()}",
        trigger={"manual": True, "properties": {}},
        now=now,
        test_mode=test_mode,
    )
    if execution is None:
        raise WorkflowError(
            "This contact is already in the workflow (its re-entry policy says no).", "contact"
        )
    return execution


def signature(secret: str, body: bytes) -> str:
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def receive_hook(
    session: Session, token: str, body: bytes, signed: str, *, now: datetime
) -> WorkflowExecution | None:
    """An inbound webhook: the workflow is found by its URL token alone, the body's
    HMAC-SHA256 checked against its secret, and only then is anything else read.
    Raises PermissionError (→ 401) or WorkflowError (→ 400 naming the field)."""
    workflow = session.scalar(select(Workflow).where(Workflow.hook_token == token))
    expected = signature(workflow.hook_secret, body) if workflow is not None else ""
    if workflow is None or not hmac.compare_digest(expected, (signed or "").strip().lower()):
        raise PermissionError("bad signature")
    if workflow.status != "active" or workflow.trigger_kind != "webhook":
        raise WorkflowError("This workflow does not take webhooks now.", "workflow")
    if len(body) > MAX_HOOK_BODY:
        raise WorkflowError("The body is over 64 KB.", "body")
    try:
        data = json.loads(body or b"{}")
    except ValueError:
        raise WorkflowError("The body is not JSON.", "body") from None
    if not isinstance(data, dict):
        raise WorkflowError("The body is a JSON object.", "body")
    email = str(data.get("email") or "").strip().lower()
    contact_id = data.get("contact_id")
    query = select(Lead).where(Lead.org_id == workflow.org_id)
    if isinstance(contact_id, int) and not isinstance(contact_id, bool):
        if not storable_id(contact_id):
            raise WorkflowError("No such contact in this workspace.", "contact_id")
        query = query.where(Lead.id == contact_id)
    elif email:
        query = query.where(Lead.email == email)
    else:
        raise WorkflowError("Give contact_id or email.", "contact_id")
    lead = session.scalar(query.limit(1))
    if lead is None:
        raise WorkflowError("No such contact in this workspace.", "contact_id")
    properties = data.get("properties") if isinstance(data.get("properties"), dict) else {}
    delivery = str(data.get("id") or hashlib.sha256(body).hexdigest())[:100]
    return start_run(
        session,
        workflow,
        lead.id,
        key=f"hook:{delivery}",
        trigger={"webhook": True, "properties": properties},
        now=now,
    )
