"""The job runner: lease lock, period-keyed run row, heartbeat, takeover; and housekeeping."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import timedelta

from flask import Flask
from sqlalchemy import select, update

from jobs import locks
from jobs.periods import Daily
from jobs.runner import JobContext, resume_abandoned, run_job
from jobs.schedule import JobSpec, node_id
from webapp import queue
from webapp.core.extensions import db
from webapp.models import (
    JobRun,
    Organization,
    QueuedJob,
    RateLimitHit,
    SchedulerLock,
    SchedulerNode,
)

DAY = "2026-11-23"  # Daily(2)'s period at the test clock's start (Monday 10:00 UTC)


def register(
    app: Flask, name: str, func: Callable[[JobContext], dict | None], **options
) -> JobSpec:
    spec = JobSpec(
        name=name,
        title=name.title(),
        description="A test job.",
        schedule=Daily(2),
        func=func,
        **options,
    )
    app.extensions["jobs"].specs[name] = spec
    return spec


def runs(name: str) -> list:
    """The job's run rows, read on a fresh connection (never a stale session snapshot)."""
    with db.engine.connect() as conn:
        return list(conn.execute(select(JobRun).where(JobRun.job == name).order_by(JobRun.id)))


def lock_holder(name: str) -> str | None:
    with db.engine.connect() as conn:
        return conn.scalar(select(SchedulerLock.holder).where(SchedulerLock.name == f"job:{name}"))


def wait_for(predicate: Callable[[], bool], timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.02)
    return predicate()


class Tally:
    """A job that counts its calls and remembers the context it got."""

    def __init__(self, summary: dict | None = None, pause: float = 0.0) -> None:
        self.contexts: list[JobContext] = []
        self.summary = summary if summary is not None else {"counted": 3}
        self.pause = pause

    def __call__(self, ctx: JobContext) -> dict:
        self.contexts.append(ctx)
        time.sleep(self.pause)
        return self.summary


# --- runs, periods, triggers ------------------------------------------------------------


def test_it_runs_a_job_and_records_the_run(app, clock):
    job = register(app, "tally", Tally(pause=0.05)).func
    outcome = run_job(app, "tally")

    assert outcome.status == "succeeded"
    [run] = runs("tally")
    assert outcome.run_id == run.id
    assert (run.status, run.trigger, run.period, run.attempt) == ("succeeded", "schedule", DAY, 1)
    assert run.summary == {"counted": 3}
    assert run.error is None
    assert run.duration_ms >= 50
    assert run.started_at == clock() and run.finished_at == clock()
    assert run.holder.startswith(node_id())
    [ctx] = job.contexts
    assert (ctx.now, ctx.period, ctx.trigger, ctx.run_id) == (clock(), DAY, "schedule", run.id)
    assert lock_holder("tally") is None


def test_it_skips_a_second_tick_in_the_same_period(app, clock):
    job = register(app, "tally", Tally()).func
    assert run_job(app, "tally").status == "succeeded"
    clock.advance(hours=13)  # 23:00, still the slot that began at 02:00 today

    outcome = run_job(app, "tally")

    assert outcome.status == "already_ran"
    assert DAY in outcome.message
    assert len(job.contexts) == 1
    assert len(runs("tally")) == 1
    assert lock_holder("tally") is None


def test_it_runs_again_in_a_new_period(app, clock):
    job = register(app, "tally", Tally()).func
    assert run_job(app, "tally").status == "succeeded"
    clock.advance(days=1)

    assert run_job(app, "tally").status == "succeeded"

    assert [r.period for r in runs("tally")] == [DAY, "2026-11-24"]
    assert len(job.contexts) == 2


def test_it_records_a_failing_job_and_rolls_back_its_unfinished_work(app, clock):
    def breaks(ctx: JobContext) -> dict:
        db.session.add(Organization(name="Kept", timezone="UTC", created_at=ctx.now))
        ctx.checkpoint()
        db.session.add(Organization(name="Rolled back", timezone="UTC", created_at=ctx.now))
        db.session.flush()
        raise RuntimeError("the printer is on fire")

    register(app, "breaks", breaks)
    outcome = run_job(app, "breaks")

    assert outcome.status == "failed"
    assert outcome.message == "RuntimeError: the printer is on fire"
    [run] = runs("breaks")
    assert run.status == "failed"
    assert run.error == "RuntimeError: the printer is on fire"
    assert run.finished_at == clock() and run.duration_ms is not None
    assert lock_holder("breaks") is None
    assert db.session.scalars(select(Organization.name)).all() == ["Kept"]


def test_it_stores_a_summary_that_json_cannot_encode_as_text(app, clock):
    register(app, "dated", Tally(summary={"until": clock(), "ids": {3}}))

    outcome = run_job(app, "dated")

    assert outcome.status == "succeeded"
    [run] = runs("dated")
    assert run.status == "succeeded"
    assert run.summary == {"until": str(clock()), "ids": "{3}"}
    assert lock_holder("dated") is None


def test_it_is_locked_while_another_process_holds_the_job_lock(app, clock):
    job = register(app, "tally", Tally()).func
    assert locks.acquire(
        db.engine, "job:tally", "elsewhere:1", now=clock(), ttl=timedelta(seconds=90)
    )

    outcome = run_job(app, "tally")

    assert outcome.status == "locked"
    assert job.contexts == []
    assert runs("tally") == []
    assert lock_holder("tally") == "elsewhere:1"


def _dead_holders_run(clock, *, lease_left: timedelta) -> None:
    """A run row left `running` by a process that died, and its lock with `lease_left`."""
    started = clock() - timedelta(minutes=5)
    db.session.add(
        JobRun(
            job="tally",
            period=DAY,
            trigger="schedule",
            status="running",
            holder="dead:1",
            attempt=1,
            started_at=started,
            heartbeat_at=started,
            summary={},
        )
    )
    db.session.commit()
    ttl = timedelta(seconds=90)
    assert locks.acquire(db.engine, "job:tally", "dead:1", now=clock() + lease_left - ttl, ttl=ttl)


def test_it_takes_over_a_run_whose_holder_died_once_its_lease_expired(app, clock):
    job = register(app, "tally", Tally()).func
    _dead_holders_run(clock, lease_left=timedelta(seconds=60))

    assert run_job(app, "tally").status == "locked"
    assert job.contexts == []

    clock.advance(seconds=61)
    outcome = run_job(app, "tally")

    assert outcome.status == "succeeded"
    [run] = runs("tally")
    assert (run.status, run.attempt, run.period) == ("succeeded", 2, DAY)
    assert run.holder != "dead:1"
    assert run.started_at == clock()
    assert run.summary["counted"] == 3
    assert "attempt 2" in run.summary["resumed"]
    assert len(job.contexts) == 1


def test_it_resumes_an_abandoned_run_of_the_current_period(app, clock):
    # The slot's tick has passed (the other processes saw "locked"); nobody ticks it again.
    job = register(app, "tally", Tally()).func
    _dead_holders_run(clock, lease_left=timedelta(seconds=30))

    assert resume_abandoned(app) == []  # its lease is still live
    clock.advance(seconds=31)
    assert resume_abandoned(app) == ["tally"]

    [run] = runs("tally")
    assert (run.status, run.attempt, run.period) == ("succeeded", 2, DAY)
    assert len(job.contexts) == 1
    assert resume_abandoned(app) == []


def test_it_marks_abandoned_runs_of_past_periods_without_running_them_again(app, clock):
    job = register(app, "tally", Tally()).func
    _dead_holders_run(clock, lease_left=timedelta(seconds=30))
    clock.advance(days=1)

    assert resume_abandoned(app) == []

    assert job.contexts == []
    # Not "running" forever (issue 10, item 3): the history says the run was abandoned.
    assert [(r.period, r.status) for r in runs("tally")] == [(DAY, "abandoned")]


def test_it_does_not_run_a_manual_run_twice_but_is_not_blocked_by_the_period(app, clock, alice):
    job = register(app, "tally", Tally()).func
    assert run_job(app, "tally").status == "succeeded"

    first = run_job(app, "tally", trigger="manual", actor_id=alice.id)
    second = run_job(app, "tally", trigger="manual", actor_id=alice.id)

    assert (first.status, second.status) == ("succeeded", "succeeded")
    scheduled, *manual = runs("tally")
    assert scheduled.trigger == "schedule"
    assert [r.trigger for r in manual] == ["manual", "manual"]
    assert all(r.period.startswith("manual:") and r.started_by_id == alice.id for r in manual)
    assert len({r.period for r in manual}) == 2
    assert len(job.contexts) == 3


def test_it_passes_the_workspace_of_a_per_workspace_run(app, alice_org):
    job = register(app, "tally", Tally(), per_org=True).func
    outcome = run_job(app, "tally", trigger="manual", org_id=alice_org.id)

    assert outcome.status == "succeeded"
    assert job.contexts[0].org_id == alice_org.id
    assert runs("tally")[0].org_id == alice_org.id


def test_it_renews_the_lock_and_stamps_the_run_while_a_long_job_works(app, clock):
    engine = db.engine

    def long_job(ctx: JobContext) -> dict:
        later = clock.advance(seconds=40)

        def stamped() -> bool:
            with engine.connect() as conn:
                beat = conn.scalar(select(JobRun.heartbeat_at).where(JobRun.id == ctx.run_id))
                expiry = conn.scalar(
                    select(SchedulerLock.expires_at).where(SchedulerLock.name == "job:long")
                )
            return beat == later and expiry == later + timedelta(seconds=90)

        return {"stamped": wait_for(stamped)}

    register(app, "long", long_job, heartbeat_seconds=0.05)
    outcome = run_job(app, "long")

    assert outcome.status == "succeeded"
    assert runs("long")[0].summary == {"stamped": True}


def test_it_stops_a_job_whose_lease_was_taken_over_and_leaves_the_new_run_alone(app, clock):
    engine = db.engine

    def stalled(ctx: JobContext) -> dict:
        # Another process decided we were dead: it took the lock and the run row.
        later = ctx.now + timedelta(minutes=10)
        assert locks.acquire(
            engine, "job:stalled", "newcomer:1", now=later, ttl=timedelta(seconds=90)
        )
        with engine.begin() as conn:
            conn.execute(
                update(JobRun).where(JobRun.id == ctx.run_id).values(holder="newcomer:1", attempt=2)
            )
        assert ctx.lost.wait(5)
        ctx.checkpoint()
        return {"finished": True}

    register(app, "stalled", stalled, heartbeat_seconds=0.05)
    outcome = run_job(app, "stalled")

    assert outcome.status == "failed"
    assert "lease lost" in outcome.message
    [run] = runs("stalled")
    assert (run.status, run.holder, run.attempt, run.error) == ("running", "newcomer:1", 2, None)
    assert lock_holder("stalled") == "newcomer:1"


def test_it_answers_run_now_once_the_job_is_running(app):
    release = threading.Event()

    def waits(ctx: JobContext) -> dict:
        assert release.wait(10)
        return {"waited": True}

    register(app, "waits", waits)
    try:
        outcome = app.extensions["jobs"].start("waits", trigger="manual")
        assert outcome.status == "running"
        assert outcome.run_id == runs("waits")[0].id
        assert runs("waits")[0].status == "running"
    finally:
        release.set()
    assert wait_for(lambda: runs("waits")[0].status == "succeeded")
    assert wait_for(lambda: lock_holder("waits") is None)


def test_it_answers_run_now_at_once_when_the_job_is_locked(app, clock):
    register(app, "tally", Tally())
    assert locks.acquire(
        db.engine, "job:tally", "elsewhere:1", now=clock(), ttl=timedelta(seconds=90)
    )

    started = time.monotonic()
    outcome = app.extensions["jobs"].start("tally", trigger="manual")

    assert outcome.status == "locked"
    assert time.monotonic() - started < 5


def test_it_answers_run_now_at_once_when_the_run_cannot_start(app, monkeypatch):
    def database_busy(*args, **kwargs) -> bool:
        raise RuntimeError("database is locked")

    register(app, "tally", Tally())
    monkeypatch.setattr(locks, "acquire", database_busy)

    started = time.monotonic()
    outcome = app.extensions["jobs"].start("tally", trigger="manual")

    assert outcome.status == "failed"
    assert "database is locked" in outcome.message
    assert time.monotonic() - started < 5
    assert runs("tally") == []


# --- housekeeping -------------------------------------------------------------------------


def _queued(key: str, *, at, status: str) -> int:
    """A queue row that reached `status` at time `at`, through the queue's own functions."""
    kind = f"test.{key}"  # one kind per row, so a claim here never picks up another test row
    job, _ = queue.enqueue(db.session, kind, {}, idempotency_key=key, now=at)
    if status != "pending":
        [claimed] = queue.claim(
            db.session, f"worker:{key}", now=at, lease_seconds=120, kinds=[kind]
        )
        if status == "completed":
            assert queue.complete(db.session, job.id, claimed.lease_owner, now=at)
        elif status == "failed":
            failed = queue.fail(
                db.session,
                job.id,
                claimed.lease_owner,
                now=at,
                error="401",
                error_class="AUTH_FAILED",
            )
            assert failed == "failed"
    db.session.commit()
    return job.id


def _queue_status(job_id: int) -> tuple | None:
    with db.engine.connect() as conn:
        row = conn.execute(
            select(QueuedJob.status, QueuedJob.lease_owner, QueuedJob.error_class).where(
                QueuedJob.id == job_id
            )
        ).one_or_none()
    return tuple(row) if row else None


def test_it_returns_stale_queue_leases_to_pending(app, clock):
    stale = _queued("stale", at=clock() - timedelta(hours=1), status="processing")
    live = _queued("live", at=clock() - timedelta(seconds=10), status="processing")

    outcome = run_job(app, "housekeeping")

    assert outcome.status == "succeeded"
    assert _queue_status(stale) == ("pending", None, "LEASE_EXPIRED")
    assert _queue_status(live)[:2] == ("processing", "worker:live")
    assert runs("housekeeping")[0].summary["stale_leases_recovered"] == 1


def test_it_purges_old_finished_queue_rows_and_keeps_failed_ones(app, clock):
    old = clock() - timedelta(days=8)
    old_done = _queued("old-done", at=old, status="completed")
    old_failed = _queued("old-failed", at=old, status="failed")
    old_cancelled = _queued("old-cancelled", at=old, status="pending")
    assert queue.cancel(db.session, old_cancelled, now=old, reason="contact unsubscribed")
    db.session.commit()
    recent_done = _queued("recent-done", at=clock() - timedelta(days=1), status="completed")

    assert run_job(app, "housekeeping").status == "succeeded"

    assert _queue_status(old_done) is None
    assert _queue_status(old_cancelled) is None
    assert _queue_status(old_failed)[0] == "failed"
    assert _queue_status(recent_done)[0] == "completed"
    assert runs("housekeeping")[0].summary["queue_rows_purged"] == 2


def test_it_prunes_old_runs_but_keeps_each_jobs_latest(app, clock):
    def add_run(job: str, period: str, age: timedelta) -> None:
        at = clock() - age
        db.session.add(
            JobRun(
                job=job,
                period=period,
                trigger="schedule",
                status="succeeded",
                holder="h",
                attempt=1,
                started_at=at,
                heartbeat_at=at,
                finished_at=at,
                summary={},
            )
        )

    for day in range(25):
        add_run("report", f"old-{day:02d}", timedelta(days=60 - day))
    add_run("report", "recent", timedelta(days=1))
    add_run("lonely", "ancient", timedelta(days=400))
    db.session.commit()

    assert run_job(app, "housekeeping").status == "succeeded"

    report = [r.period for r in runs("report")]
    assert len(report) == 20  # the 20 latest: the recent one and the 19 newest old ones
    assert report[0] == "old-06" and report[-1] == "recent"
    assert [r.period for r in runs("lonely")] == ["ancient"]
    assert runs("housekeeping")[0].summary["runs_pruned"] == 6


def test_it_forgets_departed_scheduler_nodes_and_old_rate_limit_hits(app, clock):
    db.session.add_all(
        [
            SchedulerNode(
                id="gone:1",
                hostname="gone",
                pid=1,
                started_at=clock() - timedelta(days=1),
                seen_at=clock() - timedelta(hours=2),
            ),
            SchedulerNode(
                id="here:2",
                hostname="here",
                pid=2,
                started_at=clock() - timedelta(days=1),
                seen_at=clock() - timedelta(seconds=20),
            ),
            RateLimitHit(bucket="sign-in:ip:127.0.0.1", event="e1", at=clock() - timedelta(days=2)),
            RateLimitHit(
                bucket="sign-in:ip:127.0.0.1", event="e2", at=clock() - timedelta(hours=2)
            ),
        ]
    )
    db.session.commit()

    assert run_job(app, "housekeeping").status == "succeeded"

    db.session.rollback()
    assert db.session.scalars(select(SchedulerNode.id)).all() == ["here:2"]
    assert len(db.session.scalars(select(RateLimitHit.id)).all()) == 1
    summary = runs("housekeeping")[0].summary
    assert (summary["scheduler_nodes_pruned"], summary["rate_limit_hits_pruned"]) == (1, 1)


def test_it_begins_a_jobs_read_then_write_as_a_write_transaction(app, clock):
    # On SQLite a deferred transaction that read before another connection wrote cannot
    # write any more ("database is locked" at once); the runner begins jobs' transactions
    # with BEGIN IMMEDIATE at their first statement, so the other writer waits instead.
    engine = db.engine
    writers: list[threading.Thread] = []

    def other_writer() -> None:
        with engine.begin() as conn:
            conn.execute(
                Organization.__table__.insert().values(
                    name="Other", timezone="UTC", created_at=clock()
                )
            )

    def read_then_write(ctx: JobContext) -> dict:
        ctx.checkpoint()
        seen = db.session.scalars(select(Organization.name)).all()
        writers.append(threading.Thread(target=other_writer))
        writers[0].start()
        writers[0].join(0.3)
        db.session.add(Organization(name="Job's", timezone="UTC", created_at=ctx.now))
        db.session.flush()
        return {"seen": seen}

    register(app, "rw", read_then_write)
    outcome = run_job(app, "rw")
    writers[0].join(20)

    assert outcome.status == "succeeded", outcome.message
    assert runs("rw")[0].summary == {"seen": []}
    assert sorted(db.session.scalars(select(Organization.name)).all()) == ["Job's", "Other"]
