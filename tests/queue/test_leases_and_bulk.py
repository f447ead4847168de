"""What a lease holder does with its batch (queue.leases), bulk enqueueing (queue.bulk) and
the raw SQL outcomes (queue.ack): each only touches rows the caller still leases."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, literal, select

from tests.queue.test_queue import claim, make_job, reload
from webapp import queue
from webapp.core.extensions import db
from webapp.models.queue import QueuedJob


def test_extend_leases_renews_only_the_owners_leases(app, clock):
    now = clock()
    mine = [make_job(now, f"mine:{n}").id for n in range(2)]
    theirs = make_job(now, "theirs").id
    assert sorted(claim("me", now, limit=2)) == sorted(mine)
    assert claim("them", now) == [theirs]

    later = now + timedelta(seconds=30)
    renewed = queue.extend_leases(db.session, [*mine, theirs], "me", now=later, lease_seconds=300)
    db.session.commit()

    assert renewed == 2
    assert {reload(i).lease_expires_at for i in mine} == {later + timedelta(seconds=300)}
    assert reload(theirs).lease_expires_at == now + timedelta(seconds=queue.DEFAULT_LEASE_SECONDS)
    assert queue.extend_leases(db.session, [], "me", now=later, lease_seconds=300) == 0


def test_release_gives_the_attempt_back_and_sets_each_jobs_time(app, clock):
    now = clock()
    ids = [make_job(now, f"paced:{n}").id for n in range(2)]
    assert sorted(claim("me", now, limit=2)) == sorted(ids)
    times = [now + timedelta(minutes=1), now + timedelta(minutes=2)]

    assert queue.release(db.session, "stranger", zip(ids, times, strict=True), now=now) == 0
    assert queue.release(db.session, "me", zip(ids, times, strict=True), now=now) == 2
    db.session.commit()

    rows = [reload(i) for i in ids]
    assert [(r.status, r.attempts, r.lease_owner, r.run_at) for r in rows] == [
        ("pending", 0, None, times[0]),
        ("pending", 0, None, times[1]),
    ]
    assert [r.last_error for r in rows] == [None, None]

    assert claim("me", times[1], limit=1) == [ids[0]]
    assert queue.release(db.session, "me", [(ids[0], times[1])], now=now, reason="Busy.") == 1
    db.session.commit()
    assert (reload(ids[0]).attempts, reload(ids[0]).last_error) == (0, "Busy.")


def test_cancel_leased_needs_the_lease(app, clock):
    now = clock()
    job_id = make_job(now, "unsubscribed").id
    assert claim("me", now) == [job_id]

    assert not queue.cancel_leased(db.session, job_id, "stalled", now=now, reason="late")
    assert queue.cancel_leased(db.session, job_id, "me", now=now, reason="They unsubscribed.")
    db.session.commit()

    row = reload(job_id)
    assert (row.status, row.last_error, row.error_class, row.lease_owner) == (
        "cancelled",
        "They unsubscribed.",
        "CANCELLED",
        None,
    )


def test_enqueue_rows_returns_the_new_keys_only(app, clock):
    now = clock()
    make_job(now, "seen")
    jobs = [
        queue.NewJob("email.send", key, {"key": key}, now, max_attempts=3)
        for key in ("seen", "new:1", "new:2")
    ]

    created = queue.enqueue_rows(db.session, jobs, now=now)
    db.session.commit()

    assert set(created) == {"new:1", "new:2"}
    row = reload(created["new:1"])
    assert (row.status, row.attempts, row.max_attempts, row.payload) == (
        "pending",
        0,
        3,
        {"key": "new:1"},
    )
    assert queue.enqueue_rows(db.session, [], now=now) == {}


def test_enqueue_from_select_builds_one_job_per_row_once(app, clock):
    now = clock()
    sources = [make_job(now, f"source:{n}").id for n in range(3)]
    source = (
        select(QueuedJob.id)
        .select_from(QueuedJob)
        .where(QueuedJob.id.in_(sources))
        .order_by(QueuedJob.id)
    )
    key = literal("copy:") + QueuedJob.idempotency_key
    postgres = db.engine.dialect.name == "postgresql"
    json_object = func.json_build_object if postgres else func.json_object

    for _ in range(2):  # the second run adds nothing
        queue.enqueue_from_select(
            db.session,
            source,
            kind="copy",
            idempotency_key=key,
            payload=json_object("copy", QueuedJob.id),
            run_at=QueuedJob.run_at,
            org_id=None,
            max_attempts=2,
            test_mode=False,
            now=now,
        )
        db.session.commit()

    copies = db.session.scalars(select(QueuedJob).where(QueuedJob.kind == "copy")).all()
    assert sorted(c.idempotency_key for c in copies) == [f"copy:source:{n}" for n in range(3)]
    assert {(c.status, c.attempts, c.max_attempts) for c in copies} == {("pending", 0, 2)}
    assert sorted(c.payload["copy"] for c in copies) == sorted(sources)


def test_the_raw_completion_needs_the_lease(app, clock):
    now = clock()
    job_id = make_job(now, "raw").id
    assert claim("me", now) == [job_id]
    stamp = queue.ack.stamp(db.engine.dialect.name)
    postgres = db.engine.dialect.name == "postgresql"
    sql = queue.ack.pyformat(queue.ack.COMPLETE) if postgres else queue.ack.COMPLETE

    with db.engine.connect() as conn:
        cursor = conn.connection.dbapi_connection.cursor()
        for owner in ("stalled", "me"):
            cursor.execute(
                sql, {"job_id": job_id, "owner": owner, "at": stamp(now), "result": '{"ok": 1}'}
            )
            assert cursor.rowcount == (1 if owner == "me" else 0)
        conn.connection.dbapi_connection.commit()

    row = reload(job_id)
    assert (row.status, row.result, row.lease_owner, row.completed_at) == (
        "completed",
        {"ok": 1},
        None,
        now,
    )
