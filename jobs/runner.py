"""Runs one scheduled job: lease lock, period-keyed run row, heartbeat, commit or rollback, log.

    outcome = run_job(app, "housekeeping")            # a scheduler tick
    outcome = run_job(app, "housekeeping", trigger="manual", actor_id=7)

A tick whose period already ran is skipped; a run whose holder died (its row `running` or
`abandoned` while we hold the lock) is taken over as a new attempt. A slot is ticked once,
so `resume_abandoned`, run every minute by each scheduler, marks every run whose lease is
gone `abandoned` (any period, manual runs too) and re-ticks those of the current period.
"""

from __future__ import annotations

import json
import logging
import threading
import time
import traceback
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from flask import Flask
from sqlalchemy import event, select, update
from sqlalchemy.orm import Session

from jobs import locks
from jobs.schedule import JobSpec, node_id
from webapp.core import clock
from webapp.core.db import begin_write, dialect_insert
from webapp.core.extensions import db
from webapp.models import JobRun, SchedulerLock
from webapp.services.ops import job_history

log = logging.getLogger(__name__)


class LeaseLost(RuntimeError):
    """Another process took the job's lock over: stop at once, keep nothing more."""


@dataclass
class JobContext:
    """What a job function gets: the moment, its slot, and a way to commit progress."""

    app: Flask
    now: datetime
    period: str
    trigger: str
    run_id: int
    org_id: int | None = None
    actor_id: int | None = None
    lost: threading.Event = field(default_factory=threading.Event)

    def checkpoint(self) -> None:
        """Commit work so far. Raises if another process took the lock over meanwhile."""
        if self.lost.is_set():
            raise LeaseLost("lease lost to another process; stopping")
        db.session.commit()


@dataclass(frozen=True)
class RunOutcome:
    status: str  # succeeded | failed | locked | already_ran
    run_id: int | None = None
    message: str = ""


def _claim_period(
    spec: JobSpec, period: str, holder: str, now: datetime, trigger: str, org_id, actor_id
) -> tuple[int, int] | None:
    """Insert the run row for this period, or take over one left `running` by a dead holder."""
    insert = dialect_insert(db.engine)
    stmt = insert(JobRun).values(
        job=spec.name,
        period=period,
        org_id=org_id,
        trigger=trigger,
        status="running",
        holder=holder,
        attempt=1,
        started_at=now,
        heartbeat_at=now,
        summary={},
        started_by_id=actor_id,
    )
    stmt = stmt.on_conflict_do_update(
        index_elements=["job", "period"],
        set_={
            "holder": holder,
            "attempt": JobRun.attempt + 1,
            "started_at": now,
            "heartbeat_at": now,
            "error": None,
        },
        where=JobRun.status.in_(("running", "abandoned")),
    ).returning(JobRun.id, JobRun.attempt)
    row = db.session.execute(stmt).one_or_none()
    db.session.commit()
    return (row[0], row[1]) if row else None


def run_job(
    app: Flask,
    name: str,
    *,
    trigger: str = "schedule",
    org_id: int | None = None,
    actor_id: int | None = None,
    on_claimed: Callable[[RunOutcome], None] | None = None,
) -> RunOutcome:
    """Run job `name` once under its lock. Returns what happened; never raises for job errors.

    `on_claimed` is called as soon as the outcome is known to be "running" (with the run
    id) or "locked"/"already_ran", so a caller on another thread can answer at once.
    """
    notify = on_claimed or (lambda _outcome: None)
    spec: JobSpec = app.extensions["jobs"].specs[name]
    holder = f"{node_id()}:{uuid.uuid4().hex[:8]}"
    lock_name = job_history.lock_name(name)
    with app.app_context():
        now = clock.now()
        if trigger == "schedule":
            period = spec.schedule.period(now)
        else:
            period = f"{trigger}:{now.strftime('%Y-%m-%dT%H:%M:%S.%f')}:{uuid.uuid4().hex[:6]}"
        if not locks.acquire(db.engine, lock_name, holder, now=now, ttl=spec.lock_ttl):
            log.info("job %s: another process holds the lock; skipping", name)
            outcome = RunOutcome("locked", message="Another process is running this job right now.")
            notify(outcome)
            return outcome
        try:
            claimed = _claim_period(spec, period, holder, now, trigger, org_id, actor_id)
            if claimed is None:
                log.info("job %s: period %s already ran; skipping", name, period)
                outcome = RunOutcome("already_ran", message=f"Already ran for {period}.")
                notify(outcome)
                return outcome
            run_id, attempt = claimed
            notify(RunOutcome("running", run_id))
            return _execute(
                app,
                spec,
                run_id,
                attempt,
                holder,
                lock_name,
                now,
                period,
                trigger,
                org_id,
                actor_id,
            )
        finally:
            locks.release(db.engine, lock_name, holder)
            db.session.remove()


def resume_abandoned(app: Flask) -> list[str]:
    """Close runs whose holder died mid-job, and run again those of the current period.

    Every process's tick for a slot fires at the same moment and the losers see "locked",
    so nobody would tick that slot again: a run whose process died would stay `running`
    and its work unfinished until the next slot. Every run still `running` whose lease is
    gone is marked `abandoned` (any period, so the history never shows a dead run as
    running); those of the current period are run again under the lock. Returns the jobs
    it ran.
    """
    with app.app_context():
        now = clock.now()
        specs = app.extensions["jobs"].specs
        for job, period in job_history.mark_abandoned(db.session, now=now):
            log.warning("job %s: the process running %s stopped; marked abandoned", job, period)
        db.session.commit()
        current = {name: spec.schedule.period(now) for name, spec in specs.items()}
        abandoned = db.session.execute(
            select(JobRun.job, JobRun.period).where(
                JobRun.status == "abandoned", JobRun.job.in_(list(specs))
            )
        ).all()
        held = set(
            db.session.scalars(select(SchedulerLock.name).where(SchedulerLock.expires_at >= now))
        )
        db.session.commit()
    resume = sorted(
        {
            job
            for job, period in abandoned
            if current[job] == period and job_history.lock_name(job) not in held
        }
    )
    for name in resume:
        log.warning("job %s: taking over the abandoned run of %s", name, current[name])
        run_job(app, name)
    return resume


def _execute(
    app, spec, run_id, attempt, holder, lock_name, now, period, trigger, org_id, actor_id
) -> RunOutcome:
    engine = db.engine

    def stamp(beat_at: datetime) -> None:
        with engine.begin() as conn:
            conn.execute(
                update(JobRun)
                .where(JobRun.id == run_id, JobRun.holder == holder)
                .values(heartbeat_at=beat_at)
            )

    heartbeat = locks.Heartbeat(
        engine,
        lock_name,
        holder,
        ttl=spec.lock_ttl,
        interval=spec.heartbeat_seconds,
        clock=lambda: _clock_in(app),
        on_beat=stamp,
    ).start()
    ctx = JobContext(app, now, period, trigger, run_id, org_id, actor_id, heartbeat.lost)
    started = time.monotonic()
    status, error, summary = "succeeded", None, {}
    _writes_on_demand(db.session())
    try:
        summary = spec.func(ctx) or {}
        db.session.commit()
    except Exception as exc:
        db.session.rollback()
        status, error = "failed", f"{type(exc).__name__}: {exc}"
        log.error("job %s failed:\n%s", spec.name, traceback.format_exc())
    finally:
        heartbeat.stop()
    summary = _storable(summary)
    if attempt > 1:
        summary = {
            **summary,
            "resumed": f"attempt {attempt}: the previous holder stopped before finishing",
        }
    duration_ms = int((time.monotonic() - started) * 1000)
    db.session.execute(
        update(JobRun)
        .where(JobRun.id == run_id, JobRun.holder == holder)
        .values(
            status=status,
            finished_at=clock.now(),
            duration_ms=duration_ms,
            summary=summary,
            error=error,
        )
    )
    db.session.commit()
    log.info("job %s %s in %d ms (%s)", spec.name, status, duration_ms, period)
    return RunOutcome(status, run_id, error or "")


def _writes_on_demand(session: Session) -> None:
    """Begin each of the job's transactions as a write transaction, at its first statement.

    On SQLite a job's read-then-write needs BEGIN IMMEDIATE (see webapp.core.db). Opening it
    eagerly, at the start and after each checkpoint, held the one write lock while the job
    did anything else: its own heartbeat could not renew the lease (so another process took
    the run over) and every other writer waited. A no-op on PostgreSQL.
    """
    event.listen(session, "do_orm_execute", lambda state: begin_write(state.session))


def _storable(summary: dict) -> dict:
    """The summary as the JSON column will hold it: values JSON cannot encode become text.

    Otherwise a job returning, say, a datetime would fail the final UPDATE, leave its row
    `running`, and be run again by every later tick of the period as a "takeover".
    """
    return json.loads(json.dumps(summary, default=str))


def _clock_in(app: Flask) -> datetime:
    with app.app_context():
        return clock.now()
