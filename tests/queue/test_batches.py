"""A kind's batch handler: the jobs it takes are completed in one statement with its own
writes and next jobs, in one transaction; the rest run one by one through the handler; a
batch that fails writes nothing and all its jobs run one by one instead."""

from __future__ import annotations

import pytest
from sqlalchemy import event, select, update

from tests.conftest import START
from webapp import queue
from webapp.core.extensions import db
from webapp.models import ActivityLog
from webapp.models.queue import QueuedJob
from webapp.queue import handlers


@pytest.fixture(autouse=True)
def _org(alice_org):
    ORG.append(alice_org.id)
    yield
    ORG.clear()


ORG: list[int] = []  # the workspace the notes are written for


@pytest.fixture(autouse=True)
def _kinds():
    before = dict(handlers.KINDS)
    yield
    handlers.KINDS.clear()
    handlers.KINDS.update(before)


def _note(session, text: str) -> None:
    session.add(
        ActivityLog(
            org_id=ORG[0], type="test.note", description=text, entity_type="test", created_at=START
        )
    )


def _notes() -> list[str]:
    db.session.rollback()
    return sorted(
        db.session.scalars(select(ActivityLog.description).where(ActivityLog.type == "test.note"))
    )


def _jobs(name: str) -> dict[int, QueuedJob]:
    db.session.rollback()
    rows = db.session.scalars(
        select(QueuedJob).where(QueuedJob.kind == name).execution_options(populate_existing=True)
    )
    return {job.payload["n"]: job for job in rows}


def _register(name: str, batch, ran: list[int]) -> None:
    def one_by_one(job, _ctx):
        ran.append(job.payload["n"])
        return queue.Done(apply=lambda session: _note(session, f"one {job.payload['n']}"))

    queue.register(name, max_attempts=4, batch=batch)(one_by_one)


def _submit(name: str, clock, n: int) -> None:
    for i in range(n):
        queue.submit(db.session, name, {"n": i}, key=f"{name}:{i}", now=clock())
    db.session.commit()


def test_taken_jobs_complete_with_the_batch_and_the_rest_run_one_by_one(app, clock):
    statements: list[str] = []

    def evens(work: queue.Batch, jobs) -> None:
        held = work.take(job.id for job in jobs if job.payload["n"] % 2 == 0)
        for job in jobs:
            if job.id in held:
                _note(work.session, f"bulk {job.payload['n']}")
                work.submit("t.next", {"n": job.payload["n"]}, key=f"next:{job.id}")

    ran: list[int] = []
    _register("t.bulk", evens, ran)
    queue.register("t.next")(lambda _job, _ctx: queue.Done())
    _submit("t.bulk", clock, 6)

    def seen(_conn, _cursor, statement, *_args) -> None:
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", seen)
    try:
        result = queue.run_due(db.engine, kinds=["t.bulk"], owner="w", clock=clock)
    finally:
        event.remove(db.engine, "before_cursor_execute", seen)
    assert result.claimed == 6 and result.completed == 6
    assert sorted(ran) == [1, 3, 5]
    assert _notes() == ["bulk 0", "bulk 2", "bulk 4", "one 1", "one 3", "one 5"]
    jobs = _jobs("t.bulk")
    assert {n: (j.status, j.attempts, j.lease_owner) for n, j in jobs.items()} == {
        n: ("completed", 1, None) for n in range(6)
    }
    assert all(jobs[n].started_at is not None for n in range(6))
    nxt = _jobs("t.next")
    assert sorted(nxt) == [0, 2, 4] and {j.max_attempts for j in nxt.values()} == {5}
    # The three taken jobs were completed by one statement, the next jobs inserted by one.
    completes = [
        s for s in statements if s.startswith("UPDATE queued_jobs") and "completed_at=" in s
    ]
    assert len([s for s in completes if " IN (" in s]) == 1  # the rest: one by one
    assert len([s for s in statements if s.startswith("INSERT INTO queued_jobs")]) == 1


def test_a_job_whose_lease_passed_to_another_worker_is_not_taken(app, clock):
    taken: list[set[int]] = []

    def take_all(work: queue.Batch, jobs) -> None:
        # Another worker took job 0 over while this batch was being looked at.
        work.session.execute(
            update(QueuedJob)
            .where(QueuedJob.id == jobs[0].id)
            .values(lease_owner="other")
            .execution_options(synchronize_session=False)
        )
        taken.append(work.take(job.id for job in jobs))

    ran: list[int] = []
    _register("t.lost", take_all, ran)
    _submit("t.lost", clock, 3)
    result = queue.run_due(db.engine, kinds=["t.lost"], owner="w", clock=clock, max_batches=1)
    jobs = _jobs("t.lost")
    assert taken[0] == {jobs[1].id, jobs[2].id}
    assert jobs[0].status == "processing" and jobs[0].lease_owner == "other"
    assert ran == [] and result.completed == 2 and result.lost == 1  # not ours: not run


def test_a_failing_batch_writes_nothing_and_its_jobs_run_one_by_one(app, clock):
    def broken(work: queue.Batch, jobs) -> None:
        work.take(job.id for job in jobs)
        _note(work.session, "half done")
        work.submit("t.broken", {"n": 99}, key="never")
        raise RuntimeError("a bug in the batch")

    ran: list[int] = []
    _register("t.broken", broken, ran)
    _submit("t.broken", clock, 3)
    result = queue.run_due(db.engine, kinds=["t.broken"], owner="w", clock=clock)
    assert sorted(ran) == [0, 1, 2] and result.completed == 3
    assert _notes() == ["one 0", "one 1", "one 2"]
    jobs = _jobs("t.broken")
    assert sorted(jobs) == [0, 1, 2]  # nothing submitted by the failed batch
    assert {j.attempts for j in jobs.values()} == {1}  # its take was rolled back too
