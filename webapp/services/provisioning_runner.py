"""Running one provisioning run's steps under its lease (see webapp/services/provisioning.py).

Each step is started, and its outcome recorded, in a short write transaction that first
renews the run's lease with a compare-and-set UPDATE (`guard`); a runner whose lease was
taken over raises LeaseLost and writes nothing more. Progress is the sum of the weights of
the steps done or skipped, committed after each step.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import Flask
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from webapp.db_setup import begin_write
from webapp.integrations.resilience import FIXES, ErrorClass, IntegrationError
from webapp.models import ProvisioningRun, ProvisioningStep
from webapp.services.activity import log_activity
from webapp.services.provisioning_steps import STEP_BY_KEY, StepContext, StepFailed

log = logging.getLogger(__name__)

MAX_RETRIES = 3
RETRY_BASE_SECONDS = 60


class LeaseLost(Exception):
    """Another process took the run over (our lease expired): stop without writing."""


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


@dataclass
class Runner:
    """Runs the remaining steps of one run whose lease `owner` holds."""

    app: Flask
    session: Session
    run_id: int
    org_id: int
    owner: str
    now_fn: Callable[[], datetime]
    lease: timedelta

    def guard(self) -> None:
        """Renew the lease inside the current write transaction; LeaseLost if it is not ours."""
        now = self.now_fn()
        renewed = self.session.execute(
            update(ProvisioningRun)
            .where(ProvisioningRun.id == self.run_id, ProvisioningRun.lease_owner == self.owner)
            .values(lease_until=now + self.lease, updated_at=now)
        ).rowcount
        if not renewed:
            raise LeaseLost(f"run {self.run_id} is no longer leased to {self.owner}")

    def write(self) -> None:
        self.session.commit()
        begin_write(self.session)
        self.guard()

    def run(self) -> None:
        for step in run_steps(self.session, self.run_id):
            if step.status in ("done", "skipped"):
                continue
            if not self._run_step(step):
                return
        self._finish()

    def _run_step(self, step: ProvisioningStep) -> bool:
        spec = STEP_BY_KEY[step.key]
        self.write()
        run = self.session.get(ProvisioningRun, self.run_id)
        now = self.now_fn()
        step.status, step.started_at, step.fix = "running", step.started_at or now, None
        run.current_step = step.key
        step_id, checkpoint = step.id, dict(step.checkpoint or {})
        self.session.commit()
        ctx = StepContext(
            self.app, self.session, self.org_id, step_id, checkpoint, self.now_fn, self.guard
        )
        try:
            result = spec.run(ctx)
        except LeaseLost:
            raise
        except StepFailed as exc:
            self.session.rollback()
            return self._failed(
                step_id, str(exc), exc.fix, retryable=exc.retryable, retry_after=exc.retry_after
            )
        except IntegrationError as exc:
            self.session.rollback()
            return self._failed(
                step_id,
                str(exc),
                FIXES[exc.error_class],
                retryable=exc.retryable,
                retry_after=exc.retry_after,
                error_class=exc.error_class,
            )
        except Exception as exc:
            self.session.rollback()
            log.exception("provisioning step %s of run %s crashed", step.key, self.run_id)
            return self._failed(
                step_id,
                f"{type(exc).__name__}: {exc}",
                FIXES[ErrorClass.PROVISIONING_ERROR],
                retryable=False,
            )
        self.write()
        step = self.session.get(ProvisioningStep, step_id)
        now = self.now_fn()
        step.status, step.detail, step.fix, step.finished_at = (
            result.status,
            result.detail,
            None,
            now,
        )
        step.checkpoint = dict(ctx.checkpoint)
        run = self.session.get(ProvisioningRun, self.run_id)
        run.progress = self._progress()
        # No activity row per step: the run's closing row lists every step's outcome.
        self.session.commit()
        return True

    def _progress(self) -> int:
        steps = run_steps(self.session, self.run_id)
        return min(100, sum(s.weight for s in steps if s.status in ("done", "skipped")))

    def _failed(
        self,
        step_id: int,
        error: str,
        fix: str,
        *,
        retryable: bool,
        retry_after: float | None = None,
        error_class: ErrorClass | None = None,
    ) -> bool:
        self.write()
        now = self.now_fn()
        step = self.session.get(ProvisioningStep, step_id)
        run = self.session.get(ProvisioningRun, self.run_id)
        step.attempts += 1
        step.status, step.detail, step.finished_at = "failed", error[:2000], now
        retry = retryable and step.attempts <= MAX_RETRIES
        if retry:
            delay = max(RETRY_BASE_SECONDS * 2 ** (step.attempts - 1), retry_after or 0)
            run.next_attempt_at = now + timedelta(seconds=delay)
            step.fix = f"Retrying automatically (retry {step.attempts} of {MAX_RETRIES})."
            description = f"Setup: {step_title(step.key)} failed ({error}); retry {step.attempts} of {MAX_RETRIES} after {run.next_attempt_at:%H:%M} UTC."
        else:
            if retryable:  # out of retries: the provider kept failing
                fix = f"It kept failing after {MAX_RETRIES} retries. {FIXES[ErrorClass.PROVISIONING_ERROR]}"
            run.next_attempt_at, run.finished_at, step.fix = None, now, fix
            description = f"Setup stopped at {step_title(step.key)}: {error}. Fix: {fix}"
        run.status, run.error, run.fix = "failed", error[:2000], step.fix
        run.lease_owner, run.lease_until, run.updated_at = None, None, now
        log_activity(
            self.session,
            self.org_id,
            "provisioning.retry_scheduled" if retry else "provisioning.failed",
            description,
            now=now,
            entity=("provisioning_run", self.run_id),
            details={
                "step": step.key,
                "attempts": step.attempts,
                "error_class": str(error_class) if error_class else None,
            },
        )
        self.session.commit()
        return False

    def _finish(self) -> None:
        self.write()
        now = self.now_fn()
        run = self.session.get(ProvisioningRun, self.run_id)
        run.status, run.progress, run.current_step, run.finished_at = "succeeded", 100, None, now
        run.error = run.fix = run.next_attempt_at = None
        run.lease_owner, run.lease_until, run.updated_at = None, None, now
        steps = run_steps(self.session, self.run_id)
        skipped = [step_title(s.key) for s in steps if s.status == "skipped"]
        done = [step_title(s.key) for s in steps if s.status == "done"]
        note = f" Done: {', '.join(done)}." if done else ""
        note += f" Skipped: {', '.join(skipped)}." if skipped else ""
        log_activity(
            self.session,
            self.org_id,
            "provisioning.succeeded",
            f"Workspace setup finished.{note}",
            now=now,
            entity=("provisioning_run", self.run_id),
            details={
                "skipped": skipped,
                "steps": {step_title(s.key): f"{s.status}: {s.detail}" for s in steps},
            },
        )
        self.session.commit()
