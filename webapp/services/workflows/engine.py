"""Running executions: the `workflows.step` job kind and the step machine.

One job runs an execution from its current step until the run waits, ends or reaches an
outbound webhook (called by the next job, outside any transaction). Its lock key
(`workflow-execution:<id>`) keeps two workers off the same execution; every step visit
first writes its log row, unique on (execution, step, visit), so a visit that ran already
is never run again. A wait ends through ONE conditional UPDATE (`resolve`): the timer, the
timeout or the awaited event — whichever commits first wins, the other changes nothing.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timedelta

from sqlalchemy import func, literal, select, update
from sqlalchemy.orm import Session

from webapp import queue
from webapp.core.db import dialect_insert
from webapp.core.errors import DomainError
from webapp.models import Lead, Organization, Workflow, WorkflowExecution, WorkflowVersion
from webapp.models.types import UTCDateTime
from webapp.models.workflow import WorkflowStepLog
from webapp.services.workflows import checks, sending
from webapp.services.workflows.definition import Definition, parse
from webapp.services.workflows.outbound import call_webhook

KIND = "workflows.step"
PAUSED_RETRY = timedelta(minutes=5)
MAX_VISITS = 200  # steps one job may run: a loop of branches ends here, failed
# Parse each definition once per process, keyed by its content: a recycled id (a wiped
# test database) or a draft edited in place is never mistaken for what was cached.
_definitions: dict[str, Definition] = {}


def definition_of(session: Session, version_id: int) -> Definition:
    raw = session.get(WorkflowVersion, version_id).definition
    key = hashlib.blake2b(json.dumps(raw, sort_keys=True).encode(), digest_size=16).hexdigest()
    if key not in _definitions:
        if len(_definitions) > 1000:
            _definitions.clear()
        _definitions[key] = parse(raw)
    return _definitions[key]


def lock_key(execution_id: int) -> str:
    return f"workflow-execution:{execution_id}"


def job_of(execution, key: str, now: datetime, *, at=None, **payload) -> dict:
    """The `workflows.step` job that moves `execution` on (at `at`, or now)."""
    return {
        "payload": {"execution_id": execution.id, **payload},
        "key": f"wf:{execution.id}:{key}",
        "run_at": at or now,
        "org_id": execution.org_id,
        "lock_key": lock_key(execution.id),
    }


def schedule(session: Session, execution, key: str, now: datetime, *, at=None, **payload) -> None:
    queue.submit(session, KIND, now=now, **job_of(execution, key, now, at=at, **payload))


class Writes:
    """How one job's step machine writes: each log row and job as its step runs. The
    batched resume (resume.py) collects them instead and hands calls out (`handoff`)."""

    handoff: frozenset[str] = frozenset()

    def __init__(self, session: Session) -> None:
        self.session = session

    def visit(self, execution, step) -> int:
        return _visit(self.session, execution.id, step.id)

    def log(self, execution, step, outcome: str, reason: str, now: datetime) -> int | None:
        return _log(self.session, execution, step, outcome, reason, now)

    def schedule(self, execution, key: str, now: datetime, *, at=None, **payload) -> None:
        schedule(self.session, execution, key, now, at=at, **payload)

    def end_wait(self, execution_id: int, step_id: str, reason: str, now: datetime) -> None:
        """The waiting visit's log row says how the wait ended."""
        self.session.execute(
            update(WorkflowStepLog)
            .where(
                WorkflowStepLog.execution_id == execution_id,
                WorkflowStepLog.step_id == step_id,
                WorkflowStepLog.outcome == "waiting",
            )
            .values(outcome="done", reason=reason, updated_at=now)
            .execution_options(synchronize_session=False)
        )


def resolve(session: Session, execution_id: int, step_id: str, by: str, now: datetime) -> bool:
    """End a wait: True for the one caller whose UPDATE found it still waiting."""
    result = session.execute(
        update(WorkflowExecution)
        .where(
            WorkflowExecution.id == execution_id,
            WorkflowExecution.status == "waiting",
            WorkflowExecution.waiting_step == step_id,
        )
        .values(status="running", resolved_by=by, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def prepare(session: Session, jobs: list) -> dict:
    """What a claimed batch needs, in three queries: its runs with their workflow's status,
    and each version's parsed definition (by version id)."""
    ids = [(job.payload or {}).get("execution_id") for job in jobs]
    rows = session.execute(
        select(WorkflowExecution, Workflow.status)
        .join(Workflow, Workflow.id == WorkflowExecution.workflow_id)
        .where(WorkflowExecution.id.in_([i for i in ids if i is not None]))
    ).all()
    runs = {run.id: (run, status) for run, status in rows}
    versions = {run.version_id for run, _s in rows}
    definitions = {v: definition_of(session, v) for v in versions}
    session.expunge_all()
    return {"runs": runs, "definitions": definitions}


def resume_batch(work: queue.Batch, jobs: list) -> None:
    """Timer and timeout jobs of a claimed batch, ended and continued in bulk."""
    from webapp.services.workflows.resume import resume_batch as in_bulk  # it builds on this

    in_bulk(work, jobs)


@queue.register(KIND, max_attempts=5, lease_seconds=120, prepare=prepare, batch=resume_batch)
def run_step(job, ctx: queue.JobContext) -> queue.Outcome:
    now = ctx.now()
    payload = job.payload or {}
    batch = ctx.batch or prepare(ctx.session, [job])
    execution, workflow_status = batch["runs"].get(payload.get("execution_id"), (None, None))
    if execution is None or execution.status in ("completed", "failed", "cancelled"):
        return queue.Done({"skipped": "the run is over"})
    if workflow_status == "paused" or execution.status == "paused":
        return queue.RetryAt(now + PAUSED_RETRY, "paused")
    definition = batch["definitions"][execution.version_id]
    called = None
    if execution.status == "running" and not execution.resolved_by and execution.current_step:
        step = definition.step(execution.current_step)
        if step.kind == "webhook":
            visit = _visit(ctx.session, execution.id, step.id)
            called = call_webhook(step.url, execution, visit, now=now)
    ctx.session.rollback()  # no read transaction stays open into the record

    def apply(session: Session) -> None:
        advance(session, payload, now=now, called=called, definition=definition)

    return queue.Done(apply=apply)


def advance(
    session: Session, payload: dict, *, now: datetime, called=None, definition=None
) -> None:
    """Apply one job: resolve its timer (if it is one), then run steps until a wait or the end."""
    execution_id = payload["execution_id"]
    if payload.get("wake") and not resolve(
        session, execution_id, payload["step"], payload["wake"], now
    ):
        return  # the wait was resolved already (the event came first), or the run moved on
    # Locked while it runs to its next wait: an event recorded meanwhile waits for this, then
    # finds the parked wait (starting._resolve_waits).
    execution = session.get(
        WorkflowExecution, execution_id, populate_existing=True, with_for_update=True
    )
    if execution is None or execution.status != "running":
        return
    if definition is None:  # a run's version never changes: the batch's parse is its own
        definition = definition_of(session, execution.version_id)
    writes = Writes(session)
    step_id = execution.current_step
    if execution.resolved_by:
        step_id = end_wait(writes, execution, definition, now)
    elif step_id is None:
        step_id = definition.steps[0].id
    run(writes, execution, definition, step_id, now=now, called=called)


def end_wait(writes: Writes, execution, definition: Definition, now: datetime) -> str | None:
    """Close a resolved wait (its log row, the run's waiting fields): the step after it."""
    step = definition.step(execution.waiting_step)
    by = execution.resolved_by
    if step.kind == "wait_event":
        if by.startswith("event:"):
            reason, target = (
                f"{step.event} arrived (event #{by[6:]}): on_event branch",
                step.on_event,
            )
        else:
            reason, target = (
                f"No {step.event} within {step.timeout_hours:g} h: on_timeout branch",
                step.on_timeout,
            )
    else:
        reason, target = "The wait is over.", ""
    writes.end_wait(execution.id, step.id, reason, now)
    execution.resolved_by = execution.waiting_step = execution.waiting_event = None
    execution.wake_at = None
    return definition.after(step.id, target)


def _visit(session: Session, execution_id: int, step_id: str) -> int:
    done = session.scalar(
        select(func.max(WorkflowStepLog.visit)).where(
            WorkflowStepLog.execution_id == execution_id, WorkflowStepLog.step_id == step_id
        )
    )
    return (done or 0) + 1


def _log(session, execution, step, outcome: str, reason: str, now) -> int | None:
    """Write the step's next visit's log row (its number computed in the same statement);
    None when that visit was logged (run) already by someone else."""
    table = WorkflowStepLog.__table__
    visit = (
        select(func.coalesce(func.max(table.c.visit), 0) + 1)
        .where(table.c.execution_id == execution.id, table.c.step_id == step.id)
        .scalar_subquery()
    )
    row = session.execute(
        dialect_insert(session)(table)
        .from_select(
            [
                "org_id",
                "execution_id",
                "step_id",
                "visit",
                "kind",
                "outcome",
                "reason",
                "created_at",
                "updated_at",
            ],
            select(
                literal(execution.org_id),
                literal(execution.id),
                literal(step.id),
                visit,
                literal(step.kind),
                literal(outcome),
                literal(reason),
                literal(now, UTCDateTime()),
                literal(now, UTCDateTime()),
            ),
        )
        .on_conflict_do_nothing(index_elements=["execution_id", "step_id", "visit"])
        .returning(table.c.visit)
    ).first()
    return None if row is None else row[0]


def _finish(execution, status: str, now: datetime, error: str | None = None) -> None:
    execution.status = status
    execution.current_step = None
    execution.finished_at = execution.updated_at = now
    execution.error = error


def run(writes: Writes, execution, definition: Definition, step_id, *, now, called) -> None:
    """Run steps from `step_id` until the run waits, ends or reaches a call out."""
    for _ in range(MAX_VISITS):
        if step_id is None:
            return _finish(execution, "completed", now)
        step = definition.step(step_id)
        execution.current_step, execution.updated_at = step.id, now
        if (step.kind == "webhook" and called is None) or step.kind in writes.handoff:
            # Its own job: a webhook is called outside any transaction (run_step).
            key = f"{step.id}:{writes.visit(execution, step)}:call"
            return writes.schedule(execution, key, now)
        outcome = _step(writes.session, execution, step, now=now, called=called)
        called = None
        visit = writes.log(execution, step, outcome.status, outcome.reason, now)
        if visit is None:
            raise RuntimeError(f"step {step.id} of run {execution.id}: that visit ran already")
        if outcome.status == "waiting":
            execution.status, execution.waiting_step = "waiting", step.id
            execution.waiting_event = outcome.event
            execution.wake_at = outcome.wake_at
            wake = "timeout" if step.kind == "wait_event" else "timer"
            return writes.schedule(
                execution,
                f"{step.id}:{visit}:{wake}",
                now,
                at=outcome.wake_at,
                wake=wake,
                step=step.id,
            )
        if outcome.status == "failed":
            return _finish(execution, "failed", now, outcome.reason)
        if step.kind == "exit":
            return _finish(execution, "completed", now)
        step_id = definition.after(step.id, outcome.target)
    _finish(execution, "failed", now, f"more than {MAX_VISITS} steps in one go: a loop?")


class Outcome:
    def __init__(
        self, reason: str, target: str = "", status: str = "done", wake_at=None, event=None
    ):
        self.reason, self.target, self.status = reason, target, status
        self.wake_at, self.event = wake_at, event


def _step(session, execution, step, *, now, called) -> Outcome:
    if step.kind == "exit":
        return Outcome("Exit.")
    if step.kind == "webhook":
        return Outcome(called.reason, status="done" if called.ok else "failed")
    lead = session.get(Lead, execution.lead_id)
    if lead is None:
        return Outcome("The contact was deleted.", status="failed")
    if step.kind == "wait":
        org = session.get(Organization, execution.org_id)
        at = checks.wake_time(step, lead, org.timezone or "UTC", now)
        if at <= now:
            return Outcome("Nothing to wait for: the time has passed.")
        return Outcome(f"Waiting until {at:%Y-%m-%d %H:%M} UTC.", status="waiting", wake_at=at)
    if step.kind == "wait_event":
        match = checks.wanted(step, execution.trigger)
        found = checks.first_event(session, execution, step.event, match)
        if found is not None:
            return Outcome(
                f"{step.event} had already arrived (event #{found.id}): on_event branch",
                step.on_event,
            )
        at = now + timedelta(hours=step.timeout_hours)
        shown = ", ".join(f"{k}={v}" for k, v in match.items())
        return Outcome(
            f"Waiting for {step.event}{f' with {shown}' if shown else ''} until {at:%Y-%m-%d %H:%M} UTC.",
            status="waiting",
            wake_at=at,
            event=step.event,
        )
    if step.kind == "send":
        workflow = session.get(Workflow, execution.workflow_id)
        return Outcome(sending.queue_send(session, workflow, execution, step, now))
    if step.kind == "condition":
        held, why = checks.condition(session, execution, step.check, lead)
        branch = "then" if held else "else"
        return Outcome(f"{why}: {branch} branch", step.then if held else step.otherwise)
    try:
        return Outcome(checks.update(session, execution, step, lead, now))
    except DomainError as exc:  # a value the contact's field rules refuse
        errors = getattr(exc, "errors", None) or {}
        why = "; ".join(f"{field}: {error}" for field, error in errors.items()) or str(exc)
        return Outcome(f"The contact was not updated ({why}).", status="failed")
