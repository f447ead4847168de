"""The worker's run_due after a lost database connection (issue 10, item 4): the batch in
hand goes back at once (no attempt spent, no lease to wait out) and the run goes on with
the next batch. On PostgreSQL the handler terminates every other backend of the test
database (the worker's own connections) and then reads; on SQLite its read fails with
the DBAPI's OperationalError. Before, the job was failed for good as UNEXPECTED."""

from __future__ import annotations

import sqlite3

from sqlalchemy import select, text

from tests.queue.test_worker import _kinds, run, stored, submit
from webapp import queue
from webapp.core.extensions import db

__all__ = ["_kinds"]  # the fixture, used by name


def lose_the_connection(session) -> None:
    if session.get_bind().dialect.name == "postgresql":
        with db.engine.connect() as conn:
            conn.execute(
                text(
                    "SELECT pg_terminate_backend(pid, 5000) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )
            )
        session.execute(select(1))  # the handler's connection is gone
    raise sqlite3.OperationalError("disk I/O error")


def test_a_lost_connection_gives_the_batch_back_and_the_run_goes_on(app, clock):
    calls: list[str] = []

    @queue.register("test.reads", max_attempts=1)
    def reads(job, ctx):
        calls.append(job.payload["n"])
        if len(calls) == 2:
            lose_the_connection(ctx.session)
        ctx.session.execute(select(1))
        return queue.Done({"n": job.payload["n"]})

    ids = [submit(clock, "test.reads", f"r{n}", payload={"n": n}) for n in range(4)]

    db.session.close()  # holds no connection for the terminations to break

    result = run(clock, "test.reads", batch_size=3)

    # The second job's read failed: it and the third went back and ran in a later batch,
    # in this same run, with their single attempt intact.
    assert calls == [0, 1, 1, 2, 3]
    assert result.completed == 4
    assert [(stored(i).status, stored(i).attempts) for i in ids] == [("completed", 1)] * 4
