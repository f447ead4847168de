"""The work engine's worker: registered kinds, handler outcomes, leases and lock keys."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from tests.conftest import START
from webapp import queue
from webapp.core.extensions import db
from webapp.models import ActivityLog
from webapp.models.queue import QueuedJob
from webapp.queue import handlers

SEEN: list[int] = []


@pytest.fixture(autouse=True)
def _kinds():
    """Test kinds, registered for one test and removed after it."""
    before = dict(handlers.KINDS)
    SEEN.clear()
    yield
    handlers.KINDS.clear()
    handlers.KINDS.update(before)


def note(org_id: int, text: str):
    def apply(session: Session) -> None:
        session.add(
            ActivityLog(
                org_id=org_id,
                type="test.note",
                description=text,
                entity_type="test",
                created_at=START,
            )
        )

    return apply


def submit(clock, name: str, key: str, *, org_id=None, lock_key=None, payload=None):
    job, _ = queue.submit(
        db.session,
        name,
        payload or {},
        key=key,
        now=clock(),
        org_id=org_id,
        lock_key=lock_key,
    )
    db.session.commit()
    return job.id


def run(clock, *kinds: str, owner: str = "w1", **kwargs):
    return queue.run_due(db.engine, kinds=list(kinds), owner=owner, clock=clock, **kwargs)


def stored(job_id: int) -> QueuedJob:
    db.session.rollback()  # end this session's read snapshot: the worker wrote elsewhere
    return db.session.get(QueuedJob, job_id)


def notes() -> list[str]:
    db.session.rollback()
    return list(
        db.session.scalars(
            select(ActivityLog.description)
            .where(ActivityLog.type == "test.note")
            .order_by(ActivityLog.id)
        )
    )


def test_it_completes_a_job_and_commits_its_writes_with_it(app, clock, alice_org):
    @queue.register("test.done")
    def handle(job, ctx):
        SEEN.append(job.id)
        return queue.Done(
            {"said": job.payload["text"]}, apply=note(job.org_id, job.payload["text"])
        )

    job_id = submit(clock, "test.done", "k1", org_id=alice_org.id, payload={"text": "hello"})
    result = run(clock, "test.done")

    assert (result.claimed, result.completed) == (1, 1)
    job = stored(job_id)
    assert (job.status, job.result, job.lease_owner) == ("completed", {"said": "hello"}, None)
    assert notes() == ["hello"]


def test_it_puts_a_job_back_without_spending_an_attempt(app, clock):
    later = clock() + timedelta(hours=2)

    @queue.register("test.later", max_attempts=2)
    def handle(job, ctx):
        return queue.RetryAt(later, "the send window is closed")

    job_id = submit(clock, "test.later", "k1")
    result = run(clock, "test.later")

    job = stored(job_id)
    assert result.deferred == 1
    assert (job.status, job.attempts, job.run_at) == ("pending", 0, later)
    assert job.last_error == "the send window is closed"
    assert run(clock, "test.later").claimed == 0  # not due before `later`


def test_it_retries_by_the_kinds_policy_then_fails(app, clock):
    @queue.register("test.flaky", max_attempts=2, retryable=frozenset({"RATE_LIMITED"}))
    def handle(job, ctx):
        return queue.Failed("429 Too Many Requests", "RATE_LIMITED", retry_after=120)

    job_id = submit(clock, "test.flaky", "k1")
    assert run(clock, "test.flaky").retried == 1
    job = stored(job_id)
    assert (job.status, job.attempts, job.error_class) == ("pending", 1, "RATE_LIMITED")
    assert job.run_at >= clock() + timedelta(seconds=120)

    clock.set(job.run_at)
    assert run(clock, "test.flaky").failed == 1
    assert (stored(job_id).status, stored(job_id).attempts) == ("failed", 2)


def test_an_error_class_outside_the_policy_fails_at_once(app, clock):
    @queue.register("test.auth", max_attempts=5)
    def handle(job, ctx):
        return queue.Failed("401 Unauthorized", "THIRD_PARTY_AUTH_FAILED")

    job_id = submit(clock, "test.auth", "k1")
    assert run(clock, "test.auth").failed == 1
    assert (stored(job_id).status, stored(job_id).attempts) == ("failed", 1)


def test_one_jobs_exception_fails_it_and_the_others_still_run(app, clock):
    @queue.register("test.mixed")
    def handle(job, ctx):
        if job.payload["boom"]:
            raise RuntimeError("a bug")
        SEEN.append(job.id)
        return queue.Done()

    bad = submit(clock, "test.mixed", "bad", payload={"boom": True})
    good = submit(clock, "test.mixed", "good", payload={"boom": False})
    result = run(clock, "test.mixed")

    assert (result.failed, result.completed) == (1, 1)
    assert SEEN == [good]
    assert (stored(bad).status, stored(bad).error_class) == ("failed", "UNEXPECTED")
    assert "RuntimeError: a bug" in stored(bad).last_error


def test_a_job_taken_over_midway_records_nothing(app, clock, alice_org):
    @queue.register("test.stalled")
    def handle(job, ctx):
        # While this worker was stalled, its lease expired and w2 took the job over.
        with db.engine.begin() as conn:
            conn.execute(update(QueuedJob).where(QueuedJob.id == job.id).values(lease_owner="w2"))
        return queue.Done({"by": "w1"}, apply=note(job.org_id, "written by w1"))

    job_id = submit(clock, "test.stalled", "k1", org_id=alice_org.id)
    result = run(clock, "test.stalled")

    assert result.lost == 1
    job = stored(job_id)
    assert (job.status, job.lease_owner, job.result) == ("processing", "w2", None)
    assert notes() == []


def test_ctx_write_commits_midway_and_stops_at_a_lost_lease(app, clock, alice_org):
    @queue.register("test.steps")
    def handle(job, ctx):
        ctx.write(note(job.org_id, "step 1 running"))
        with db.engine.begin() as conn:
            conn.execute(update(QueuedJob).where(QueuedJob.id == job.id).values(lease_owner="w2"))
        ctx.write(note(job.org_id, "step 2 running"))
        return queue.Done()

    job_id = submit(clock, "test.steps", "k1", org_id=alice_org.id)
    assert run(clock, "test.steps").lost == 1
    assert notes() == ["step 1 running"]
    assert stored(job_id).lease_owner == "w2"


def test_jobs_of_one_lock_key_run_one_at_a_time(app, clock):
    @queue.register("test.locked")
    def handle(job, ctx):
        return queue.Done()

    first = submit(clock, "test.locked", "a", lock_key="conversation:1")
    second = submit(clock, "test.locked", "b", lock_key="conversation:1")
    other = submit(clock, "test.locked", "c", lock_key="conversation:2")

    claimed = queue.claim(db.session, "w1", now=clock(), limit=10)
    db.session.commit()
    assert sorted(j.id for j in claimed) == [first, other]
    # While `first` is processing, nobody gets `second`.
    assert queue.claim(db.session, "w2", now=clock(), limit=10) == []
    db.session.commit()

    queue.complete(db.session, first, "w1", now=clock())
    db.session.commit()
    assert [j.id for j in queue.claim(db.session, "w2", now=clock(), limit=10)] == [second]
    db.session.commit()


def test_an_abandoned_job_keeps_its_lock_key_until_it_is_reclaimed(app, clock):
    @queue.register("test.locked")
    def handle(job, ctx):
        return queue.Done()

    first = submit(clock, "test.locked", "a", lock_key="run:9")
    second = submit(clock, "test.locked", "b", lock_key="run:9")
    assert [j.id for j in queue.claim(db.session, "dead", now=clock(), lease_seconds=60)] == [first]
    db.session.commit()

    clock.advance(minutes=5)  # the lease expired: the dead worker's job is claimed again first
    assert [j.id for j in queue.claim(db.session, "w2", now=clock(), limit=10)] == [first]
    db.session.commit()
    assert stored(second).status == "pending"


def test_two_workers_racing_for_one_lock_key_get_one_job(app, clock):
    @queue.register("test.locked")
    def handle(job, ctx):
        return queue.Done()

    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite serialises claims with BEGIN IMMEDIATE; the race is PostgreSQL's")
    first = submit(clock, "test.locked", "a", lock_key="conversation:1")
    submit(clock, "test.locked", "b", lock_key="conversation:1")
    holding = Session(db.engine)
    got_a = queue.claim(holding, "w1", now=clock(), limit=1)  # row locked, not yet committed
    assert [j.id for j in got_a] == [first]

    got_b: list = []
    engine = db.engine  # the thread has no app context to look it up in

    def other_worker() -> None:
        with Session(engine) as session:
            got_b.extend(queue.claim(session, "w2", now=clock(), limit=10))
            session.commit()

    racer = threading.Thread(target=other_worker)
    racer.start()
    racer.join(timeout=1)  # it waits on the unique index for w1's transaction
    holding.commit()
    holding.close()
    racer.join(timeout=10)
    assert not racer.is_alive()
    assert got_b == []
    db.session.rollback()
    processing = db.session.scalars(select(QueuedJob.id).where(QueuedJob.status == "processing"))
    assert list(processing) == [first]


def test_it_refuses_an_unknown_kind(app, clock):
    with pytest.raises(LookupError):
        queue.submit(db.session, "test.nobody", {}, key="k", now=clock())
    with pytest.raises(LookupError):
        run(clock, "test.nobody")


def test_on_failed_sees_each_failed_attempt_as_the_engine_recorded_it(app, clock, alice_org):
    seen: list[tuple[str, int, str]] = []

    def on_failed(session, job, failure):
        seen.append((job.status, job.attempts, failure.error_class))
        note(job.org_id, f"{job.status} until {job.run_at:%H:%M:%S}")(session)

    @queue.register("test.hooked", max_attempts=2, on_failed=on_failed)
    def handle(job, ctx):
        return queue.Failed("connection reset", "TRANSIENT_NETWORK", retry_after=90)

    job_id = submit(clock, "test.hooked", "k1", org_id=alice_org.id)
    assert run(clock, "test.hooked").retried == 1
    retry_at = stored(job_id).run_at
    assert seen == [("pending", 1, "TRANSIENT_NETWORK")]
    assert notes() == [f"pending until {retry_at:%H:%M:%S}"]  # committed with the attempt

    clock.set(retry_at)
    assert run(clock, "test.hooked").failed == 1
    assert seen[-1] == ("failed", 2, "TRANSIENT_NETWORK")
    assert stored(job_id).status == "failed"


def test_on_failed_is_not_called_for_a_job_taken_over(app, clock):
    called: list[int] = []

    @queue.register("test.hooked", on_failed=lambda session, job, failure: called.append(job.id))
    def handle(job, ctx):
        with db.engine.begin() as conn:
            conn.execute(update(QueuedJob).where(QueuedJob.id == job.id).values(lease_owner="w2"))
        return queue.Failed("boom", "TRANSIENT_NETWORK")

    submit(clock, "test.hooked", "k1")
    assert run(clock, "test.hooked").lost == 1
    assert called == []


def test_reschedule_moves_pending_jobs_only(app, clock):
    @queue.register("test.moved")
    def handle(job, ctx):
        return queue.Done()

    later = clock() + timedelta(days=3)
    waiting = submit(clock, "test.moved", "a")
    running = submit(clock, "test.moved", "b")
    queue.claim(db.session, "w1", now=clock(), where=[QueuedJob.id == running])
    db.session.commit()

    moved = queue.reschedule(db.session, QueuedJob.kind == "test.moved", run_at=later, now=clock())
    db.session.commit()
    assert moved == 1
    assert (stored(waiting).status, stored(waiting).run_at) == ("pending", later)
    assert (stored(running).status, stored(running).run_at) == ("processing", clock())


def test_a_kind_can_back_off_on_its_own_base_without_jitter(app, clock):
    @queue.register("test.steady", max_attempts=3, backoff_base=60, jitter=False)
    def handle(job, ctx):
        return queue.Failed("Twilio 500", "TRANSIENT_NETWORK")

    job_id = submit(clock, "test.steady", "k1")
    waits = []
    for _ in range(2):
        assert run(clock, "test.steady").retried == 1
        waits.append(stored(job_id).run_at - clock())
        clock.set(stored(job_id).run_at)
    assert waits == [timedelta(minutes=1), timedelta(minutes=2)]  # the schedule people see
    assert run(clock, "test.steady").failed == 1


def test_apply_runs_after_the_jobs_row_and_can_read_the_decision(app, clock, alice_org):
    @queue.register("test.told", max_attempts=2, backoff_base=60, jitter=False)
    def handle(job, ctx):
        def apply(session: Session) -> None:
            status, run_at = session.execute(
                select(QueuedJob.status, QueuedJob.run_at).where(QueuedJob.id == job.id)
            ).one()
            note(job.org_id, f"{status} at {run_at:%H:%M}")(session)

        return queue.Failed("busy", "TRANSIENT_NETWORK", apply=apply)

    submit(clock, "test.told", "k1", org_id=alice_org.id)
    run(clock, "test.told")
    clock.advance(minutes=1)
    run(clock, "test.told")
    first_retry = START + timedelta(minutes=1)
    assert notes() == [f"pending at {first_retry:%H:%M}", f"failed at {first_retry:%H:%M}"]


def test_run_due_can_set_the_lease_length(app, clock):
    leases = []

    @queue.register("test.leased", lease_seconds=300)
    def handle(job, ctx):
        leases.append(job.lease_expires_at - clock())
        ctx.write(lambda session: None)  # renews the lease by the same length
        leases.append(stored(job.id).lease_expires_at - clock())
        return queue.Done()

    submit(clock, "test.leased", "k1")
    assert run(clock, "test.leased", lease_seconds=7).completed == 1
    assert leases == [timedelta(seconds=7)] * 2


def test_it_names_the_workspaces_with_claimable_jobs(app, clock, alice_org, charlie):
    @queue.register("test.due")
    def handle(job, ctx):
        return queue.Done()

    from webapp.models import Organization

    charlie_org = db.session.scalars(select(Organization).where(Organization.id != alice_org.id))
    charlie_id = next(iter(charlie_org)).id
    submit(clock, "test.due", "later", org_id=alice_org.id)
    db.session.execute(update(QueuedJob).values(run_at=clock() + timedelta(hours=1)))
    db.session.commit()
    assert queue.due_org_ids(db.session, kinds=["test.due"], now=clock()) == []
    submit(clock, "test.due", "now", org_id=charlie_id, lock_key="k")
    submit(clock, "test.due", "waits", org_id=charlie_id, lock_key="k")
    assert queue.due_org_ids(db.session, kinds=["test.due"], now=clock()) == [charlie_id]
    queue.claim(db.session, "w1", now=clock(), lease_seconds=60)
    db.session.commit()
    # Charlie's other job waits for the lock key; the held one is not abandoned yet.
    assert queue.due_org_ids(db.session, kinds=["test.due"], now=clock()) == []
    clock.advance(minutes=2)
    assert queue.due_org_ids(db.session, kinds=["test.due"], now=clock()) == [charlie_id]
    assert queue.due_org_ids(db.session, kinds=["test.other"], now=clock()) == []


def test_a_kind_that_keeps_its_lock_runs_the_next_job_of_the_key_in_the_same_worker(
    app, clock, alice_org
):
    @queue.register("test.chain", keep_lock=True)
    def handle(job, ctx):
        n = job.payload["n"]

        def apply(session: Session) -> None:
            note(job.org_id, f"step {n} by {ctx.owner}")(session)
            if n < 3:  # the next step, due now, with the same lock key
                queue.submit(
                    session, "test.chain", {"n": n + 1}, key=f"chain:{n + 1}", now=clock(),
                    org_id=job.org_id, lock_key="run:1",
                )  # fmt: skip

        return queue.Done(apply=apply)

    submit(clock, "test.chain", "chain:1", org_id=alice_org.id, lock_key="run:1", payload={"n": 1})
    result = run(clock, "test.chain", max_batches=1)  # one claim batch: the rest are chained
    assert (result.claimed, result.completed) == (3, 3)
    assert notes() == ["step 1 by w1", "step 2 by w1", "step 3 by w1"]
