"""Setup steps as jobs of the work engine: one `provisioning.step` job per step of a run.

A run's first step is enqueued with the run (`enqueue_step`); each step's job, when its
step is done, enqueues the next one in the same transaction (its `Done.apply`), and the
last one closes the run. Every job of a workspace carries the lock key
`provisioning:<org id>`, so one worker at a time works on a workspace's setup; the kind
keeps the lock (`keep_lock`): the worker that finished a step runs the next one, and no
other worker can slip in between two steps. The engine's lease replaces the run lease of
old: a worker that dies mid-step leaves its job leased until the lease expires
(PROVISIONING_LEASE_SECONDS), then any worker takes the step over and runs it again from
its checkpoint (steps are idempotent, see steps.py).

A step's job marks its step "running" with `ctx.write` (a short write transaction under
the job's lease), runs the step with no transaction open across provider calls, and
returns its outcome. A failed step is retried by the engine's policy for this kind: 3
retries, after 1, 2 and 4 minutes (the engine's backoff, no jitter: the page shows the
time). Its `apply` records the failure and, reading the job's row, when the next try is.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from webapp import queue
from webapp.core import clock
from webapp.integrations.resilience import FIXES, ErrorClass, IntegrationError
from webapp.models import ProvisioningRun, ProvisioningStep
from webapp.models.queue import QueuedJob
from webapp.queue import Done, Failed, JobContext, LeaseLost, Outcome
from webapp.services.activity import log_activity
from webapp.services.provisioning.steps import (
    STEP_BY_KEY,
    STEPS,
    StepContext,
    StepFailed,
    StepResult,
)

log = logging.getLogger(__name__)

STEP_KIND = "provisioning.step"
MAX_RETRIES = 3
RETRY_BASE_SECONDS = 60  # the kind's backoff base: retries after 1, 2, 4 minutes
LEASE_SECONDS = 300  # the kind's lease; PROVISIONING_LEASE_SECONDS overrides it
TRANSIENT = str(ErrorClass.TRANSIENT_NETWORK)
NEXT_KEY = {spec.key: following.key for spec, following in zip(STEPS, STEPS[1:], strict=False)}


def run_steps(session: Session, run_id: int) -> list[ProvisioningStep]:
    return list(
        session.scalars(
            select(ProvisioningStep)
            .where(ProvisioningStep.run_id == run_id)
            .order_by(ProvisioningStep.position)
        )
    )


def step_title(key: str) -> str:
    spec = STEP_BY_KEY.get(key)
    return spec.title if spec else key


def lock_key(org_id: int) -> str:
    return f"provisioning:{org_id}"


def enqueue_step(session: Session, run_id: int, org_id: int, key: str, *, now: datetime) -> None:
    """Queue the job of one step of a run (idempotent: one job per run and step)."""
    queue.submit(
        session,
        STEP_KIND,
        {"run_id": run_id, "step": key},
        key=f"provisioning:run:{run_id}:{key}",
        now=now,
        org_id=org_id,
        lock_key=lock_key(org_id),
    )


def cancel_waiting(session: Session, org_id: int, *, now: datetime, reason: str) -> int:
    """Cancel the workspace's step jobs still waiting (a run superseded by a newer one)."""
    return queue.cancel_where(
        session,
        QueuedJob.kind == STEP_KIND,
        QueuedJob.org_id == org_id,
        now=now,
        reason=reason,
    )


def _worker_died(session: Session, job: QueuedJob, failure: Failed) -> None:
    """A step whose worker died mid-run (housekeeping recovered its job): recorded like any
    failure, so the run retries or stops with a fix instead of saying "running" for ever.
    Failures a handler returned are recorded by their own `apply`."""
    if failure.error_class != queue.LEASE_EXPIRED:
        return
    step = session.scalars(
        select(ProvisioningStep).where(
            ProvisioningStep.run_id == job.payload["run_id"],
            ProvisioningStep.key == job.payload["step"],
        )
    ).one_or_none()
    if step is None or step.status != "running":
        return
    fix = FIXES[ErrorClass.PROVISIONING_ERROR]
    failure = Failure(failure.error, fix, retryable=True, error_class=None)
    _record_failure(session, job, step.id, failure, now=clock.now())


@queue.register(
    STEP_KIND,
    max_attempts=1 + MAX_RETRIES,
    lease_seconds=LEASE_SECONDS,
    backoff_base=RETRY_BASE_SECONDS,
    jitter=False,
    keep_lock=True,
    on_failed=_worker_died,
)
def run_step(job: QueuedJob, ctx: JobContext) -> Outcome:
    """Run one step of a setup run; its outcome records the step and moves the run on."""
    run_id, key = job.payload["run_id"], job.payload["step"]
    try:
        started = _start(job, ctx, run_id, key)
    except SQLAlchemyError as exc:  # a database hiccup: the step is tried again later
        log.warning("provisioning step %s of run %s could not start: %s", key, run_id, exc)
        return Failed(f"{type(exc).__name__}: {exc}", TRANSIENT, retryable=True)
    if started is None:
        return Done({"step": key, "skipped": "the run ended or was replaced"})
    step_id, checkpoint = started
    step_ctx = StepContext(
        current_app._get_current_object(),
        ctx.session,
        job.org_id,
        step_id,
        checkpoint,
        ctx.now,
        ctx.write,
    )
    try:
        result = STEP_BY_KEY[key].run(step_ctx)
    except LeaseLost:
        raise
    except StepFailed as exc:
        failure = Failure(str(exc), exc.fix, exc.retryable, exc.retry_after)
        return _failed(job, ctx, step_id, failure)
    except IntegrationError as exc:
        fix = FIXES[exc.error_class]
        failure = Failure(str(exc), fix, exc.retryable, exc.retry_after, exc.error_class)
        return _failed(job, ctx, step_id, failure)
    except Exception as exc:
        log.exception("provisioning step %s of run %s crashed", key, run_id)
        fix = FIXES[ErrorClass.PROVISIONING_ERROR]
        return _failed(job, ctx, step_id, Failure(f"{type(exc).__name__}: {exc}", fix, False))

    def apply(session: Session) -> None:
        _record_done(session, step_id, result, step_ctx.checkpoint, now=ctx.now())

    return Done({"step": key, "status": result.status}, apply=apply)


def _start(job: QueuedJob, ctx: JobContext, run_id: int, key: str) -> tuple[int, dict] | None:
    """Mark the run and its step running (committed at once, so the page shows it).

    None when there is nothing to do: the run ended or was superseded while this job
    waited, or the step is finished already.
    """
    started: list[tuple[int, dict]] = []

    def start(session: Session) -> None:
        # Locked (PostgreSQL): a request superseding this run waits, or is waited for.
        run = session.get(ProvisioningRun, run_id, with_for_update=True)
        step = session.scalars(
            select(ProvisioningStep).where(
                ProvisioningStep.run_id == run_id, ProvisioningStep.key == key
            )
        ).one_or_none()
        superseded = run is not None and run.status == "failed" and run.next_attempt_at is None
        if run is None or step is None or run.status == "succeeded" or superseded:
            return
        if step.status in ("done", "skipped"):
            return
        now = ctx.now()
        if run.status == "queued":
            run.attempts += 1
            text = "Workspace setup started."
            _log(session, run, "provisioning.started", text, now, trigger=run.trigger)
        elif job.attempts > 1:  # a retry, or a step taken over from a worker that died
            run.attempts += 1
            text = f"Workspace setup resumed (attempt {run.attempts})."
            _log(session, run, "provisioning.resumed", text, now, attempt=run.attempts)
        run.status, run.next_attempt_at, run.current_step = "running", None, key
        run.started_at, run.updated_at = run.started_at or now, now
        step.status, step.started_at, step.fix = "running", step.started_at or now, None
        started.append((step.id, dict(step.checkpoint or {})))

    ctx.session.commit()  # the handler's reads end here: the write is another session's
    ctx.write(start)
    return started[0] if started else None


def _log(
    session: Session, run: ProvisioningRun, kind: str, text: str, now: datetime, **details: object
) -> None:
    entity = ("provisioning_run", run.id)
    log_activity(session, run.org_id, kind, text, now=now, entity=entity, details=details)


def _progress(session: Session, run_id: int) -> int:
    steps = run_steps(session, run_id)
    return min(100, sum(s.weight for s in steps if s.status in ("done", "skipped")))


def _record_done(
    session: Session, step_id: int, result: StepResult, checkpoint: dict, *, now: datetime
) -> None:
    """The step's outcome and the run's progress; then the next step's job, or the end."""
    step = session.get(ProvisioningStep, step_id)
    step.status, step.detail, step.fix, step.finished_at = result.status, result.detail, None, now
    step.checkpoint = dict(checkpoint)
    run = session.get(ProvisioningRun, step.run_id)
    session.flush()
    run.progress, run.updated_at = _progress(session, run.id), now
    # No activity row per step: the run's closing row lists every step's outcome.
    following = NEXT_KEY.get(step.key)
    if following is not None:
        enqueue_step(session, run.id, run.org_id, following, now=now)
    else:
        _finish(session, run, now)


@dataclass(frozen=True)
class Failure:
    """Why a step failed, and what the owner can do about it."""

    error: str
    fix: str
    retryable: bool
    retry_after: float | None = None
    error_class: ErrorClass | None = None


def _failed(job: QueuedJob, ctx: JobContext, step_id: int, failure: Failure) -> Failed:
    def apply(session: Session) -> None:
        _record_failure(session, job, step_id, failure, now=ctx.now())

    return Failed(
        failure.error,
        str(failure.error_class or ErrorClass.PROVISIONING_ERROR),
        retryable=failure.retryable,
        retry_after=failure.retry_after,
        apply=apply,
    )


def _record_failure(
    session: Session, job: QueuedJob, step_id: int, failure: Failure, *, now: datetime
) -> None:
    """Record a failed step; the engine has just decided (the job's row) if it is retried."""
    status, run_at = session.execute(
        select(QueuedJob.status, QueuedJob.run_at).where(QueuedJob.id == job.id)
    ).one()
    retry = status == "pending"
    error, fix = failure.error, failure.fix
    step = session.get(ProvisioningStep, step_id)
    run = session.get(ProvisioningRun, step.run_id)
    step.attempts += 1
    step.status, step.detail, step.finished_at = "failed", error[:2000], now
    title = step_title(step.key)
    if retry:
        run.next_attempt_at = run_at
        step.fix = f"Retrying automatically (retry {step.attempts} of {MAX_RETRIES})."
        description = f"Setup: {title} failed ({error}); retry {step.attempts} of {MAX_RETRIES} after {run_at:%H:%M} UTC."
    else:
        if failure.retryable:  # out of retries: the provider kept failing
            fix = f"It kept failing after {MAX_RETRIES} retries. {FIXES[ErrorClass.PROVISIONING_ERROR]}"
        run.next_attempt_at, run.finished_at, step.fix = None, now, fix
        description = f"Setup stopped at {title}: {error}. Fix: {fix}"
    run.status, run.error, run.fix, run.updated_at = "failed", error[:2000], step.fix, now
    log_activity(
        session,
        run.org_id,
        "provisioning.retry_scheduled" if retry else "provisioning.failed",
        description,
        now=now,
        entity=("provisioning_run", run.id),
        details={
            "step": step.key,
            "attempts": step.attempts,
            "error_class": str(failure.error_class) if failure.error_class else None,
        },
    )


def _finish(session: Session, run: ProvisioningRun, now: datetime) -> None:
    run.status, run.progress, run.current_step, run.finished_at = "succeeded", 100, None, now
    run.error = run.fix = run.next_attempt_at = None
    run.updated_at = now
    steps = run_steps(session, run.id)
    skipped = [step_title(s.key) for s in steps if s.status == "skipped"]
    done = [step_title(s.key) for s in steps if s.status == "done"]
    note = f" Done: {', '.join(done)}." if done else ""
    note += f" Skipped: {', '.join(skipped)}." if skipped else ""
    log_activity(
        session,
        run.org_id,
        "provisioning.succeeded",
        f"Workspace setup finished.{note}",
        now=now,
        entity=("provisioning_run", run.id),
        details={
            "skipped": skipped,
            "steps": {step_title(s.key): f"{s.status}: {s.detail}" for s in steps},
        },
    )
