"""The worker records a batch's outcomes in groups: one write transaction for many jobs,
each job still behind its own lease check (a lost lease or a failing `apply` costs only
that job's record)."""

from __future__ import annotations

import pytest
from sqlalchemy import event, select, update
from sqlalchemy.orm import Session

from tests.conftest import START
from webapp import queue
from webapp.core.extensions import db
from webapp.models import ActivityLog
from webapp.models.queue import QueuedJob
from webapp.queue import handlers, worker


@pytest.fixture(autouse=True)
def _kinds():
    before = dict(handlers.KINDS)
    yield
    handlers.KINDS.clear()
    handlers.KINDS.update(before)


@pytest.fixture
def commits():
    """How many transactions the engine commits (claims, starts and records alike). Each
    job's start (its attempt counted before its handler runs) is a commit of its own."""
    seen: list[int] = []

    def count(_conn) -> None:
        seen.append(1)

    event.listen(db.engine, "commit", count)
    yield seen
    event.remove(db.engine, "commit", count)


def note(org_id: int, text: str):
    def apply(session: Session) -> None:
        session.add(
            ActivityLog(
                org_id=org_id, type="test.note", description=text, entity_type="test",
                created_at=START,
            )
        )  # fmt: skip

    return apply


def submit_many(clock, name: str, n: int, org_id: int) -> list[int]:
    ids = []
    for i in range(n):
        job, _ = queue.submit(db.session, name, {"n": i}, key=f"{name}:{i}", now=clock(),
                              org_id=org_id)  # fmt: skip
        ids.append(job.id)
    db.session.commit()
    return ids


def state() -> tuple[list[str], list[tuple[str, str | None]]]:
    db.session.rollback()
    notes = list(
        db.session.scalars(
            select(ActivityLog.description)
            .where(ActivityLog.type == "test.note")
            .order_by(ActivityLog.description)
        )
    )
    jobs = db.session.execute(
        select(QueuedJob.status, QueuedJob.lease_owner).order_by(QueuedJob.id)
    )
    return notes, [tuple(row) for row in jobs]


def run(clock, name: str):
    return queue.run_due(db.engine, kinds=[name], owner="w1", clock=clock)


def test_a_batchs_outcomes_are_recorded_in_one_transaction(app, clock, alice_org, commits):
    @queue.register("test.group")
    def handle(job, ctx):
        return queue.Done(apply=note(job.org_id, f"job {job.payload['n']}"))

    submit_many(clock, "test.group", 10, alice_org.id)
    commits.clear()
    result = run(clock, "test.group")

    assert (result.claimed, result.completed) == (10, 10)
    # two claims (the second finds none); ten starts; one record for ten
    assert len(commits) == 2 + 10 + 1
    notes, jobs = state()
    assert notes == sorted(f"job {n}" for n in range(10))
    assert jobs == [("completed", None)] * 10


def test_a_group_is_never_bigger_than_group_size(app, clock, alice_org, commits, monkeypatch):
    monkeypatch.setattr(worker, "GROUP_SIZE", 3)

    @queue.register("test.group")
    def handle(job, ctx):
        return queue.Done()

    submit_many(clock, "test.group", 7, alice_org.id)
    commits.clear()
    assert run(clock, "test.group").completed == 7
    assert len(commits) == 2 + 7 + 3  # two claims; seven starts; records of 3, 3 and 1 jobs


def test_no_outcome_waits_longer_than_group_seconds(app, clock, alice_org, commits, monkeypatch):
    """A job slower than GROUP_SECONDS (a real provider's call) is recorded on its own, so a
    worker killed midway leaves no more than that much finished work unrecorded."""
    monkeypatch.setattr(worker, "GROUP_SECONDS", 0.0)

    @queue.register("test.group")
    def handle(job, ctx):
        return queue.Done()

    submit_many(clock, "test.group", 4, alice_org.id)
    commits.clear()
    assert run(clock, "test.group").completed == 4
    assert len(commits) == 2 + 4 + 4  # two claims; four starts; a record per job


def test_a_done_to_record_now_is_committed_before_the_next_job_runs(app, clock, alice_org):
    """A provider call a rerun would repeat (a WhatsApp message): its record is committed
    before the next job starts, so a worker killed then does not send it twice."""
    seen: list[list[str]] = []

    @queue.register("test.group")
    def handle(job, ctx):
        seen.append(state()[0])  # what is committed when this job starts
        return queue.Done(apply=note(job.org_id, f"job {job.payload['n']}"), record_now=True)

    submit_many(clock, "test.group", 3, alice_org.id)
    assert run(clock, "test.group").completed == 3
    assert seen == [[], ["job 0"], ["job 0", "job 1"]]


def test_a_job_of_the_group_taken_over_records_nothing_the_others_do(app, clock, alice_org):
    @queue.register("test.group")
    def handle(job, ctx):
        if job.payload["n"] == 1:  # while this worker was stalled, w2 took this job over
            with db.engine.begin() as conn:
                conn.execute(
                    update(QueuedJob).where(QueuedJob.id == job.id).values(lease_owner="w2")
                )
        return queue.Done(apply=note(job.org_id, f"job {job.payload['n']}"))

    submit_many(clock, "test.group", 3, alice_org.id)
    result = run(clock, "test.group")

    assert (result.completed, result.lost) == (2, 1)
    notes, jobs = state()
    assert notes == ["job 0", "job 2"]
    assert jobs == [("completed", None), ("processing", "w2"), ("completed", None)]


def test_an_apply_that_raises_costs_only_its_own_record(app, clock, alice_org):
    """Its job stays leased (it runs again when the lease expires); the jobs before and after
    it in the group are recorded; the error is raised after the commit."""

    @queue.register("test.group")
    def handle(job, ctx):
        n = job.payload["n"]

        def apply(session: Session) -> None:
            note(job.org_id, f"job {n}")(session)
            session.flush()
            if n == 1:
                raise RuntimeError("a bug in the outcome's writes")

        return queue.Done(apply=apply)

    submit_many(clock, "test.group", 3, alice_org.id)
    with pytest.raises(RuntimeError, match="a bug"):
        run(clock, "test.group")

    notes, jobs = state()
    assert notes == ["job 0", "job 2"]  # job 1's note went with its savepoint
    assert jobs == [("completed", None), ("processing", "w1"), ("completed", None)]
