"""Timer resumes in bulk: the `workflows.step` kind's batch handler (queue/batches.py).

When thousands of runs' timers come due at once, a job each costs a lease, a commit and
a dozen statements per run. For a claimed batch instead, in one write transaction:

1. its timer and timeout jobs whose run still waits on that step (in a workflow that is
   not paused) are taken: completed in one
   statement under this worker's lease (`Batch.take`);
2. ONE conditional UPDATE ends their waits (`status = 'waiting' AND waiting_step = ?`
   per run): the runs it changed are this batch's; a run whose wait the awaited event
   ended first is left alone and its job has nothing more to do — exactly as
   `engine.resolve` decides for one run, so one of them wins;
3. each won run goes on with the one step machine (`engine.run`) through its cheap steps
   (tag, update, condition, exit, the next wait), its log rows, waiting rows and next
   jobs collected and written in a few statements; a step that calls out (send, webhook)
   gets its own job, the normal path.

The step log (unique on run, step, visit) stays the double-run guard: a visit already
logged makes the batch roll back, and its jobs run one by one, each behind that guard.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import bindparam, case, func, select, tuple_, update

from webapp import queue
from webapp.core.db import dialect_insert
from webapp.models import Lead, Organization, Workflow, WorkflowExecution
from webapp.models.workflow import WorkflowStepLog
from webapp.services.workflows import engine

WAKES = ("timer", "timeout")
CALLS_OUT = frozenset({"send", "webhook"})
_LOG = WorkflowStepLog.__table__
_WAIT_OVER = (
    update(_LOG)
    .where(
        _LOG.c.execution_id == bindparam("run_id"),
        _LOG.c.step_id == bindparam("step"),
        _LOG.c.outcome == "waiting",
    )
    .values(outcome="done", reason=bindparam("why"), updated_at=bindparam("at"))
)


class Collected(engine.Writes):
    """The batch's writes, kept until `write`: visits counted from what is logged."""

    handoff = CALLS_OUT

    def __init__(self, work: queue.Batch, run_ids: list[int]) -> None:
        super().__init__(work.session)
        self.work = work
        self.visits: dict[tuple[int, str], int] = {
            (run_id, step_id): visit
            for run_id, step_id, visit in work.session.execute(
                select(_LOG.c.execution_id, _LOG.c.step_id, func.max(_LOG.c.visit))
                .where(_LOG.c.execution_id.in_(run_ids))
                .group_by(_LOG.c.execution_id, _LOG.c.step_id)
            )
        }
        self.rows: list[dict] = []
        self.ended: list[dict] = []

    def visit(self, execution, step) -> int:
        return self.visits.get((execution.id, step.id), 0) + 1

    def log(self, execution, step, outcome: str, reason: str, now: datetime) -> int:
        visit = self.visits[(execution.id, step.id)] = self.visit(execution, step)
        self.rows.append(
            {
                "org_id": execution.org_id,
                "execution_id": execution.id,
                "step_id": step.id,
                "visit": visit,
                "kind": step.kind,
                "outcome": outcome,
                "reason": reason,
                "created_at": now,
                "updated_at": now,
            }
        )
        return visit

    def schedule(self, execution, key: str, now: datetime, *, at=None, **payload) -> None:
        self.work.submit(engine.KIND, **engine.job_of(execution, key, now, at=at, **payload))

    def end_wait(self, execution_id: int, step_id: str, reason: str, now: datetime) -> None:
        self.ended.append({"run_id": execution_id, "step": step_id, "why": reason, "at": now})

    def write(self) -> None:
        """The ended waits' rows first (a run that parks on the same step again adds a
        new waiting row, which must stay waiting), then the new visits in one INSERT."""
        session = self.session
        if self.ended:
            session.execute(_WAIT_OVER, self.ended)
        if self.rows:
            written = session.execute(
                dialect_insert(session)(_LOG)
                .on_conflict_do_nothing(index_elements=["execution_id", "step_id", "visit"])
                .returning(_LOG.c.id),
                self.rows,
            ).all()
            if len(written) != len(self.rows):
                raise RuntimeError("a step visit of this batch was logged (run) already")


def _resumable(run, step_id: str) -> bool:
    """Still waiting on this step, and its workflow not paused (a paused workflow's jobs
    come back later, one by one: engine.run_step)."""
    return (
        run is not None
        and run.status == "waiting"
        and run.waiting_step == step_id
        and run.workflow_status != "paused"
    )


def _end_waits(session, targets: list[tuple[int, str]], now: datetime) -> list:
    """ONE conditional UPDATE for the batch: the runs still waiting on their step now run,
    resolved by their timer (a wait) or timeout (a wait for an event)."""
    execution = WorkflowExecution
    return list(
        session.scalars(
            update(execution)
            .where(
                tuple_(execution.id, execution.waiting_step).in_(targets),
                execution.status == "waiting",
            )
            .values(
                status="running",
                resolved_by=case((execution.waiting_event.is_(None), "timer"), else_="timeout"),
                updated_at=now,
            )
            .returning(execution)
            .execution_options(synchronize_session=False, populate_existing=True)
        )
    )


def resume_batch(work: queue.Batch, jobs: list) -> None:
    """Take the batch's due timers and timeouts, end their waits, continue the won runs."""
    session, now = work.session, work.now
    wanted: dict[int, tuple[int, str]] = {}
    for job in jobs:
        payload = job.payload or {}
        if payload.get("wake") in WAKES and payload.get("execution_id") and payload.get("step"):
            wanted[job.id] = (payload["execution_id"], payload["step"])
    if not wanted:
        return
    execution = WorkflowExecution
    runs = {
        row.id: row
        for row in session.execute(
            select(
                execution.id,
                execution.status,
                execution.waiting_step,
                execution.version_id,
                Workflow.status.label("workflow_status"),
            )
            .join(Workflow, Workflow.id == execution.workflow_id)
            .where(execution.id.in_({run_id for run_id, _step in wanted.values()}))
        )
    }
    held = work.take(
        job_id
        for job_id, (run_id, step_id) in wanted.items()
        if _resumable(runs.get(run_id), step_id)
    )
    won = _end_waits(session, sorted(wanted[job_id] for job_id in held), now) if held else []
    if won:
        _continue(work, won, now)


def _continue(work: queue.Batch, won: list, now: datetime) -> None:
    """Each won run from the end of its wait to its next wait, end or call out."""
    session = work.session
    versions = {run.version_id for run in won}
    definitions = {version: engine.definition_of(session, version) for version in versions}
    # Loaded once for the batch (the steps' session.get finds them); kept referenced here.
    loaded = [
        *session.scalars(select(Lead).where(Lead.id.in_({run.lead_id for run in won}))),
        *session.scalars(
            select(Organization).where(Organization.id.in_({run.org_id for run in won}))
        ),
    ]
    writes = Collected(work, [run.id for run in won])
    with session.no_autoflush:  # the runs' rows are flushed together, at the commit
        for execution in won:
            definition = definitions[execution.version_id]
            step_id = engine.end_wait(writes, execution, definition, now)
            engine.run(writes, execution, definition, step_id, now=now, called=None)
    writes.write()
    del loaded
