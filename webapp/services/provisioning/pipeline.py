"""The provisioning pipeline: a workspace sets itself up in seven weighted steps.

    run = request_provisioning(session, org_id, trigger="rerun", actor_id=7, now=now)
    run_pipeline(app, org_id, now_fn=clock, owner="web:1234")   # runs its due steps now
    run_due(app, now=now, owner="runner:…", deadline=…)          # the 10-minute runner

One run per workspace at a time: a new request returns the live (queued or running) run.
The steps run as jobs of the work engine (runner.py: one `provisioning.step` job per
step, the workspace's lock key, the engine's lease and retry policy). Progress (the
weights of finished steps) and each step's checkpoint are committed as they happen, so a
crashed run resumes at its last checkpoint once its job's lease expires. A retryable
provider error fails the run with `next_attempt_at` set (the job's next try: 1, 2, 4
minutes later, at most 3 retries per step) and the runner picks it up again; anything
else fails it with the fix. No transaction is open while a provider is called.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import datetime

from flask import Flask
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from webapp import queue
from webapp.core import clock
from webapp.core.extensions import db
from webapp.models import Organization, ProvisioningRun, ProvisioningStep
from webapp.models.provisioning import LIVE_RUN_STATUSES
from webapp.services.activity import log_activity
from webapp.services.provisioning.runner import (
    LEASE_SECONDS,
    MAX_RETRIES,
    STEP_KIND,
    cancel_waiting,
    enqueue_step,
    run_steps,
    step_title,
)
from webapp.services.provisioning.steps import STEPS

log = logging.getLogger(__name__)

__all__ = [
    "MAX_RETRIES",
    "latest_runs",
    "live_run",
    "request_provisioning",
    "run_due",
    "run_pipeline",
    "run_steps",
    "step_title",
    "waiting_to_retry",
]

SUPERSEDED = "Replaced by a newer setup run."


def _lock_org(session: Session, org_id: int) -> None:
    """Serialise requests for one workspace (SQLite writes are serial already)."""
    query = select(Organization.id).where(Organization.id == org_id)
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update()
    session.execute(query)


TRIGGER_WORDS = {  # how the activity log says who asked for a run
    "wizard": "after the autopilot was switched on",
    "rerun": "by hand",
    "stripe": "after a paid checkout",
    "runner": "by the scheduler",
}


def live_run(session: Session, org_id: int) -> ProvisioningRun | None:
    return session.scalars(
        select(ProvisioningRun)
        .where(ProvisioningRun.org_id == org_id, ProvisioningRun.status.in_(LIVE_RUN_STATUSES))
        .order_by(ProvisioningRun.id.desc())
        .limit(1)
    ).first()


def request_provisioning(
    session: Session, org_id: int, *, trigger: str, actor_id: int | None, now: datetime
) -> ProvisioningRun:
    """The workspace's live run if it has one, else a new queued run with its seven steps.

    A failed run still waiting for an automatic retry is superseded by the new one.
    Flushes, never commits.
    """
    _lock_org(session, org_id)
    run = live_run(session, org_id)
    if run is not None:
        return run
    _supersede_retries(session, org_id, now)
    run = _create_run(session, org_id, trigger, now)
    enqueue_step(session, run.id, org_id, STEPS[0].key, now=now)
    how = TRIGGER_WORDS.get(trigger, trigger)
    log_activity(
        session,
        org_id,
        "provisioning.requested",
        f"Workspace setup queued ({how}).",
        now=now,
        entity=("provisioning_run", run.id),
        details={"trigger": trigger},
        actor_id=actor_id,
    )
    session.flush()
    return run


def _supersede_retries(session: Session, org_id: int, now: datetime) -> None:
    """Failed runs waiting for an automatic retry give way; the workspace's waiting step jobs
    are cancelled."""
    session.execute(
        update(ProvisioningRun)
        .where(
            ProvisioningRun.org_id == org_id,
            ProvisioningRun.status == "failed",
            ProvisioningRun.next_attempt_at.is_not(None),
        )
        .values(next_attempt_at=None, fix=SUPERSEDED, updated_at=now)
    )
    cancel_waiting(session, org_id, now=now, reason=SUPERSEDED)


def _create_run(session: Session, org_id: int, trigger: str, now: datetime) -> ProvisioningRun:
    """A queued run with its steps, all pending."""
    run = ProvisioningRun(
        org_id=org_id,
        trigger=trigger,
        status="queued",
        progress=0,
        attempts=0,
        created_at=now,
        updated_at=now,
    )
    session.add(run)
    session.flush()
    for position, spec in enumerate(STEPS, start=1):
        session.add(
            ProvisioningStep(
                run_id=run.id,
                org_id=org_id,
                key=spec.key,
                position=position,
                weight=spec.weight,
                status="pending",
                attempts=0,
                checkpoint={},
            )
        )
    return run


def latest_runs(session: Session, org_ids: list[int] | None) -> dict[int, ProvisioningRun]:
    """Each workspace's most recent run (all workspaces when `org_ids` is None)."""
    newest = select(ProvisioningRun.org_id, db.func.max(ProvisioningRun.id).label("id")).group_by(
        ProvisioningRun.org_id
    )
    if org_ids is not None:
        if not org_ids:
            return {}
        newest = newest.where(ProvisioningRun.org_id.in_(org_ids))
    newest = newest.subquery()
    rows = session.scalars(select(ProvisioningRun).join(newest, ProvisioningRun.id == newest.c.id))
    return {run.org_id: run for run in rows}


def waiting_to_retry(run: ProvisioningRun) -> bool:
    return run.status == "failed" and run.next_attempt_at is not None


# --- running ----------------------------------------------------------------------------------


def run_pipeline(
    app: Flask,
    org_id: int,
    *,
    now_fn: Callable[[], datetime] | None = None,
    owner: str,
    lease_seconds: int | None = None,
) -> ProvisioningRun | None:
    """Run the workspace's due setup steps (its jobs) until none is due.

    Returns the latest run as it ended (detached), or None when there was nothing to run
    or another worker holds the workspace's setup. Runs in its own app context.
    """
    with app.app_context():
        lease = lease_seconds or app.config.get("PROVISIONING_LEASE_SECONDS") or LEASE_SECONDS
        worked = queue.run_due(
            db.engine,
            kinds=[STEP_KIND],
            owner=owner,
            clock=now_fn or clock.now,
            org_id=org_id,
            lease_seconds=int(lease),
        )
        if worked.lost:
            log.warning("workspace %s setup: a job passed to another worker; stopped", org_id)
        if not worked.claimed:
            return None
        session = db.session()
        run = latest_runs(session, [org_id]).get(org_id)
        if run is not None:
            session.expunge(run)
        session.commit()
        return run


def run_due(
    app: Flask,
    *,
    now: datetime,
    owner: str,
    deadline: float | None = None,
    org_ids: list[int] | None = None,
    now_fn: Callable[[], datetime] | None = None,
) -> dict:
    """Run every workspace whose setup has a due step: a queued run, a retry that is due,
    or a step whose worker died (its job's lease expired).

    Stops starting new workspaces once `deadline` (time.monotonic()) has passed. Returns counts.
    """
    with app.app_context():
        due = queue.due_org_ids(db.session, kinds=[STEP_KIND], now=now)
        if org_ids is not None:
            due = [org_id for org_id in due if org_id in org_ids]
        db.session.commit()
    counts = {"due": len(due), "succeeded": 0, "failed": 0, "retrying": 0, "busy": 0, "errors": 0}
    for org_id in due:
        if deadline is not None and time.monotonic() > deadline:
            break
        try:
            run = run_pipeline(app, org_id, now_fn=now_fn, owner=owner)
        except Exception:  # one workspace's crash (its job is resumed later) must not stop the rest
            log.exception("provisioning for workspace %s crashed", org_id)
            counts["errors"] += 1
            continue
        if run is None:
            counts["busy"] += 1
        elif run.status == "succeeded":
            counts["succeeded"] += 1
        elif waiting_to_retry(run):
            counts["retrying"] += 1
        else:
            counts["failed"] += 1
    return counts
