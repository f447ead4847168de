"""Lease locks: one holder at a time, taken over only after expiry, renewed by a heartbeat."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

from sqlalchemy import select

from jobs import locks
from webapp.core.extensions import db
from webapp.models import SchedulerLock

TTL = timedelta(seconds=30)


def lock_row(name: str = "job:demo") -> SchedulerLock | None:
    with db.engine.connect() as conn:
        row = conn.execute(select(SchedulerLock).where(SchedulerLock.name == name)).one_or_none()
    return row


def wait_for(predicate, timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.02)
    return predicate()


def test_it_takes_a_free_lock(app, clock):
    assert locks.acquire(db.engine, "job:demo", "alpha", now=clock(), ttl=TTL)
    row = lock_row()
    assert row.holder == "alpha"
    assert row.acquired_at == clock()
    assert row.expires_at == clock() + TTL


def test_it_refuses_a_second_holder_while_the_lease_is_live(app, clock):
    assert locks.acquire(db.engine, "job:demo", "alpha", now=clock(), ttl=TTL)
    assert not locks.acquire(
        db.engine, "job:demo", "beta", now=clock() + TTL - timedelta(seconds=1), ttl=TTL
    )
    assert lock_row().holder == "alpha"


def test_it_lets_another_holder_take_over_after_expiry(app, clock):
    assert locks.acquire(db.engine, "job:demo", "alpha", now=clock(), ttl=TTL)
    later = clock() + TTL + timedelta(seconds=1)
    assert locks.acquire(db.engine, "job:demo", "beta", now=later, ttl=TTL)
    row = lock_row()
    assert row.holder == "beta"
    assert row.expires_at == later + TTL


def test_it_keeps_different_locks_apart(app, clock):
    assert locks.acquire(db.engine, "job:one", "alpha", now=clock(), ttl=TTL)
    assert locks.acquire(db.engine, "job:two", "beta", now=clock(), ttl=TTL)


def test_it_extends_the_lease_when_the_holder_renews(app, clock):
    assert locks.acquire(db.engine, "job:demo", "alpha", now=clock(), ttl=TTL)
    later = clock() + timedelta(seconds=20)
    assert locks.renew(db.engine, "job:demo", "alpha", now=later, ttl=TTL)
    assert lock_row().expires_at == later + TTL
    # Renewed, so the lease is still live where the first one would have expired.
    assert not locks.acquire(
        db.engine, "job:demo", "beta", now=clock() + TTL + timedelta(seconds=1), ttl=TTL
    )


def test_it_refuses_a_renewal_from_a_non_holder(app, clock):
    assert locks.acquire(db.engine, "job:demo", "alpha", now=clock(), ttl=TTL)
    assert not locks.renew(
        db.engine, "job:demo", "beta", now=clock() + timedelta(seconds=5), ttl=TTL
    )
    assert lock_row().expires_at == clock() + TTL


def test_it_refuses_a_renewal_once_the_lease_was_taken_over(app, clock):
    assert locks.acquire(db.engine, "job:demo", "alpha", now=clock(), ttl=TTL)
    assert locks.acquire(db.engine, "job:demo", "beta", now=clock() + 2 * TTL, ttl=TTL)
    assert not locks.renew(db.engine, "job:demo", "alpha", now=clock() + 2 * TTL, ttl=TTL)
    assert lock_row().holder == "beta"


def test_it_releases_only_for_the_holder(app, clock):
    assert locks.acquire(db.engine, "job:demo", "alpha", now=clock(), ttl=TTL)
    locks.release(db.engine, "job:demo", "beta")
    assert lock_row().holder == "alpha"
    locks.release(db.engine, "job:demo", "alpha")
    assert lock_row() is None
    assert locks.acquire(db.engine, "job:demo", "beta", now=clock(), ttl=TTL)


def test_it_gives_a_free_lock_to_exactly_one_of_many_threads(app, clock):
    engine = db.engine  # threads have no app context
    start = threading.Barrier(8)
    won: list[str] = []
    errors: list[BaseException] = []

    def contend(holder: str) -> None:
        try:
            start.wait(timeout=10)
            if locks.acquire(engine, "job:demo", holder, now=clock(), ttl=TTL):
                won.append(holder)
        except BaseException as exc:  # reported below; a thread's exception is otherwise lost
            errors.append(exc)

    threads = [threading.Thread(target=contend, args=(f"t{i}",)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert errors == []
    assert len(won) == 1
    assert lock_row().holder == won[0]


def test_it_renews_the_lease_on_each_heartbeat(app, clock):
    assert locks.acquire(db.engine, "job:demo", "alpha", now=clock(), ttl=TTL)
    beats = []
    heartbeat = locks.Heartbeat(
        db.engine, "job:demo", "alpha", ttl=TTL, interval=0.05, clock=clock, on_beat=beats.append
    ).start()
    try:
        later = clock.advance(seconds=10)
        assert wait_for(lambda: lock_row().expires_at == later + TTL)
        assert wait_for(lambda: later in beats)
        assert not heartbeat.lost.is_set()
    finally:
        heartbeat.stop()


def test_it_keeps_beating_when_a_beat_callback_fails(app, clock):
    assert locks.acquire(db.engine, "job:demo", "alpha", now=clock(), ttl=TTL)
    calls = []

    def flaky(at) -> None:
        calls.append(at)
        if len(calls) == 1:
            raise RuntimeError("database busy")

    heartbeat = locks.Heartbeat(
        db.engine, "job:demo", "alpha", ttl=TTL, interval=0.05, clock=clock, on_beat=flaky
    ).start()
    try:
        assert wait_for(lambda: len(calls) >= 3)
        assert not heartbeat.lost.is_set()
    finally:
        heartbeat.stop()


def test_it_marks_the_lease_lost_when_another_holder_took_over(app, clock):
    assert locks.acquire(db.engine, "job:demo", "alpha", now=clock(), ttl=TTL)
    heartbeat = locks.Heartbeat(
        db.engine, "job:demo", "alpha", ttl=TTL, interval=0.05, clock=clock
    ).start()
    try:
        # alpha stalled past its lease; beta takes over; alpha's next beat notices.
        assert locks.acquire(db.engine, "job:demo", "beta", now=clock() + 2 * TTL, ttl=TTL)
        assert heartbeat.lost.wait(5)
        assert lock_row().holder == "beta"
    finally:
        heartbeat.stop()
