"""An attempt is charged to the job actually worked on (issue 10, item 2).

A batch claimed with `start=False` spends no attempt until each job's work begins
(`queue.leases.start`, or `ack.START` in an acknowledgement); a worker that dies then has
spent an attempt on the job it was working on only, and its never-started jobs come back
as they were, however often it dies.
"""

from __future__ import annotations

from datetime import timedelta

from tests.queue.test_queue import claim, make_job, reload
from tests.queue.test_worker import _kinds, run, stored, submit
from webapp import queue
from webapp.core.extensions import db
from webapp.queue import leases

__all__ = ["_kinds"]  # the fixture (test kinds registered for one test), used by name


def test_a_batch_claimed_unstarted_spends_an_attempt_only_on_the_job_started(app, clock):
    now = clock()
    ids = [make_job(now, f"step:{n}", max_attempts=2).id for n in range(3)]
    assert claim("w1", now, limit=3, lease_seconds=60, start=False) == ids
    assert [reload(i).attempts for i in ids] == [0, 0, 0]

    assert leases.start(db.session, [ids[0]], "stranger", now=now) == 0
    assert leases.start(db.session, [ids[0]], "w1", now=now) == 1
    assert leases.start(db.session, [ids[0]], "w1", now=now) == 0  # once per lease
    db.session.commit()
    assert [reload(i).attempts for i in ids] == [1, 0, 0]
    assert reload(ids[0]).started_at == now

    # The worker dies, twice, each time while working on the first job.
    for owner in ("w2", "w3"):
        at = clock.advance(seconds=61)
        claimed = claim(owner, at, limit=3, lease_seconds=60, start=False)
        if owner == "w2":
            assert claimed == ids
            leases.start(db.session, [ids[0]], owner, now=at)
            db.session.commit()
    # The first job used both its attempts: not handed out again, and failed by housekeeping;
    # the others were never tried and come back as they were, whatever their history.
    assert claimed == ids[1:]
    assert [reload(i).attempts for i in ids] == [2, 0, 0]
    assert queue.recover_stale(db.session, now=clock.advance(seconds=61)) == 3
    db.session.commit()
    rows = [reload(i) for i in ids]
    assert [(r.status, r.attempts) for r in rows] == [("failed", 2), ("pending", 0), ("pending", 0)]
    assert rows[0].error_class == "LEASE_EXPIRED"
    assert [r.last_error for r in rows[1:]] == [None, None]  # nothing went wrong with them


def test_a_claim_that_starts_its_jobs_charges_them_all_as_before(app, clock):
    now = clock()
    ids = [make_job(now, f"one-by-one:{n}").id for n in range(2)]
    assert claim("w1", now, limit=2) == ids
    assert [(reload(i).attempts, reload(i).started_at) for i in ids] == [(1, now), (1, now)]
    assert leases.start(db.session, ids, "w1", now=now) == 0


def test_release_gives_back_only_the_attempts_it_charged(app, clock):
    now = clock()
    ids = [make_job(now, f"paced:{n}").id for n in range(2)]
    assert claim("w1", now, limit=2, start=False) == ids
    leases.start(db.session, [ids[0]], "w1", now=now)
    later = now + timedelta(minutes=1)
    assert queue.release(db.session, "w1", [(i, later) for i in ids], now=now) == 2
    db.session.commit()
    rows = [reload(i) for i in ids]
    assert [(r.status, r.attempts, r.started_at) for r in rows] == [
        ("pending", 0, None),
        ("pending", 0, None),
    ]


def test_the_acknowledgement_sql_starts_the_next_job_once(app, clock):
    now = clock()
    ids = [make_job(now, f"acked:{n}").id for n in range(2)]
    assert claim("w1", now, limit=2, start=False) == ids
    conn = db.session.connection()
    postgres = conn.dialect.name == "postgresql"
    sql = queue.ack.pyformat(queue.ack.START) if postgres else queue.ack.START
    params = {"start_id": ids[1], "owner": "w1", "at": queue.ack.stamp(conn.dialect.name)(now)}
    for owner in ("stranger", "w1", "w1"):
        conn.connection.dbapi_connection.cursor().execute(sql, {**params, "owner": owner})
    db.session.commit()
    assert [reload(i).attempts for i in ids] == [0, 1]
    assert reload(ids[1]).started_at == now


class WorkerDied(BaseException):
    """What a SIGKILL looks like from inside: nothing after it runs (not an Exception, so no
    handler or recorder catches it)."""


def test_the_worker_charges_only_the_job_it_was_running_when_it_died(app, clock):
    """run_due (coach follow-ups, setup steps, report mail): a worker killed on the second
    job of its batch, three times, has charged the job it was running each time and none of
    the jobs it never reached. Before, the claim charged the whole batch."""
    ran: list[int] = []

    @queue.register("test.dies_on_second", max_attempts=3, lease_seconds=60)
    def dies_on_second(job, ctx):
        ran.append(job.payload["n"])
        if job.payload["n"] == 1:
            raise WorkerDied
        return queue.Done({})

    ids = [submit(clock, "test.dies_on_second", f"d{n}", payload={"n": n}) for n in range(5)]
    for death in range(3):
        try:
            run(clock, "test.dies_on_second", owner=f"w{death}", batch_size=5)
        except WorkerDied:
            pass
        clock.advance(seconds=61)
        db.session.rollback()  # a fresh transaction: the worker wrote on its own connections
        queue.recover_stale(db.session, now=clock())
        db.session.commit()

    # Each life ran job 0 (its outcome never recorded) and died on job 1.
    assert ran == [0, 1] * 3
    assert [stored(i).attempts for i in ids] == [3, 3, 0, 0, 0]
    assert [stored(i).status for i in ids] == ["failed", "failed", "pending", "pending", "pending"]
