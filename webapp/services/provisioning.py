"""The provisioning pipeline: a workspace sets itself up in seven weighted steps.

    run = request_provisioning(session, org_id, trigger="rerun", actor_id=7, now=now)
    run_pipeline(app, org_id, now_fn=clock, owner="web:1234")   # claims the lease, runs
    run_due(app, now=now, owner="runner:…", deadline=…)          # the 10-minute runner

One run per workspace at a time: a new request returns the live (queued or running) run,
and a run is worked on only under its lease (`lease_owner`/`lease_until`, claimed and
renewed with compare-and-set UPDATEs; every write checks it). Progress (the weights of
finished steps) and each step's checkpoint are committed as they happen, so a crashed
run resumes at its last checkpoint. A retryable provider error fails the run with
`next_attempt_at` set (1, 2, 4 … minutes, at most 3 retries per step) and the runner picks
it up again; anything else fails it with the fix. No transaction is open while a
provider is called.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import datetime, timedelta

from flask import Flask
from sqlalchemy import and_, or_, select, update
from sqlalchemy.orm import Session

from webapp import clock
from webapp.db_setup import begin_write
from webapp.extensions import db
from webapp.models import Organization, ProvisioningRun, ProvisioningStep
from webapp.models.provisioning import LIVE_RUN_STATUSES
from webapp.services.activity import log_activity
from webapp.services.provisioning_runner import (
    MAX_RETRIES,
    LeaseLost,
    Runner,
    run_steps,
    step_title,
)
from webapp.services.provisioning_steps import STEPS

log = logging.getLogger(__name__)

LEASE_SECONDS = 300
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


def _lock_org(session: Session, org_id: int) -> None:
    """Serialise requests for one workspace (SQLite writes are serial already)."""
    query = select(Organization.id).where(Organization.id == org_id)
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update()
    session.execute(query)


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
    session.execute(
        update(ProvisioningRun)
        .where(
            ProvisioningRun.org_id == org_id,
            ProvisioningRun.status == "failed",
            ProvisioningRun.next_attempt_at.is_not(None),
        )
        .values(next_attempt_at=None, fix="Replaced by a newer setup run.", updated_at=now)
    )
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
    how = {
        "wizard": "after the autopilot was switched on",
        "rerun": "by hand",
        "stripe": "after a paid checkout",
        "runner": "by the scheduler",
    }.get(trigger, trigger)
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


def _due_condition(now: datetime):  # noqa: ANN202
    free = or_(ProvisioningRun.lease_owner.is_(None), ProvisioningRun.lease_until < now)
    return and_(
        free,
        or_(
            ProvisioningRun.status.in_(LIVE_RUN_STATUSES),
            and_(ProvisioningRun.status == "failed", ProvisioningRun.next_attempt_at <= now),
        ),
    )


# --- running ----------------------------------------------------------------------------------


def _claim(
    session: Session, org_id: int, owner: str, now: datetime, lease: timedelta
) -> int | None:
    """Take the lease of the workspace's due run (compare-and-set). Returns its id or None."""
    begin_write(session)
    run_id = session.scalar(
        select(ProvisioningRun.id)
        .where(ProvisioningRun.org_id == org_id, _due_condition(now))
        .order_by(ProvisioningRun.id.desc())
        .limit(1)
    )
    if run_id is None:
        session.rollback()
        return None
    claimed = session.execute(
        update(ProvisioningRun)
        .where(ProvisioningRun.id == run_id, _due_condition(now))
        .values(
            lease_owner=owner,
            lease_until=now + lease,
            status="running",
            next_attempt_at=None,
            started_at=db.func.coalesce(ProvisioningRun.started_at, now),
            attempts=ProvisioningRun.attempts + 1,
            updated_at=now,
        )
    ).rowcount
    if not claimed:
        session.rollback()
        return None
    run = session.get(ProvisioningRun, run_id)
    if run.attempts == 1:
        log_activity(
            session,
            org_id,
            "provisioning.started",
            "Workspace setup started.",
            now=now,
            entity=("provisioning_run", run_id),
            details={"trigger": run.trigger},
        )
    else:
        log_activity(
            session,
            org_id,
            "provisioning.resumed",
            f"Workspace setup resumed (attempt {run.attempts}).",
            now=now,
            entity=("provisioning_run", run_id),
            details={"attempt": run.attempts},
        )
    session.commit()
    return run_id


def run_pipeline(
    app: Flask,
    org_id: int,
    *,
    now_fn: Callable[[], datetime] | None = None,
    owner: str,
    lease_seconds: int | None = None,
) -> ProvisioningRun | None:
    """Claim the workspace's due run and run its remaining steps.

    Returns the run as it ended (detached), or None when there was nothing to run or
    another process holds it. Runs in its own app context and session.
    """
    with app.app_context():
        session = db.session()
        now_fn = now_fn or clock.now
        lease = timedelta(
            seconds=lease_seconds or app.config.get("PROVISIONING_LEASE_SECONDS") or LEASE_SECONDS
        )
        run_id = _claim(session, org_id, owner, now_fn(), lease)
        if run_id is None:
            return None
        try:
            Runner(app, session, run_id, org_id, owner, now_fn, lease).run()
        except LeaseLost:
            session.rollback()
            log.warning("provisioning run %s: lease lost to another process; stopping", run_id)
        run = session.get(ProvisioningRun, run_id)
        session.refresh(run)
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
    """Run every due run: queued, failed with a retry due, or running with an expired lease.

    Stops starting new runs once `deadline` (time.monotonic()) has passed. Returns counts.
    """
    with app.app_context():
        query = select(ProvisioningRun.org_id).where(_due_condition(now)).distinct()
        if org_ids is not None:
            query = query.where(ProvisioningRun.org_id.in_(org_ids))
        due = sorted(db.session.scalars(query))
        db.session.commit()
    counts = {"due": len(due), "succeeded": 0, "failed": 0, "retrying": 0, "busy": 0, "errors": 0}
    for org_id in due:
        if deadline is not None and time.monotonic() > deadline:
            break
        try:
            run = run_pipeline(app, org_id, now_fn=now_fn, owner=owner)
        except Exception:  # one workspace's crash (its lease expires; it is resumed later) must not stop the rest
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
