"""The durable job queue (webapp/queue/), one process, on the test database.

Multi-process claiming is tested with real processes in test_queue_processes.py.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from sqlalchemy import func, select, update

from tests.conftest import Clock, org_of
from webapp import queue
from webapp.core.extensions import db
from webapp.models.queue import STATUSES, QueuedJob


def make_job(
    now: datetime,
    key: str,
    *,
    kind: str = "email.send",
    run_at: datetime | None = None,
    org_id: int | None = None,
    max_attempts: int = 5,
) -> QueuedJob:
    job, created = queue.enqueue(
        db.session,
        kind,
        {"key": key},
        idempotency_key=key,
        now=now,
        run_at=run_at,
        org_id=org_id,
        max_attempts=max_attempts,
    )
    assert created
    db.session.commit()
    return job


def claim(owner: str, now: datetime, **kwargs) -> list[int]:
    jobs = queue.claim(db.session, owner, now=now, **kwargs)
    db.session.commit()
    return [j.id for j in jobs]


def reload(job_id: int) -> QueuedJob:
    """The row as stored, not as this session last saw it."""
    db.session.expire_all()
    return db.session.get(QueuedJob, job_id)


def row_count() -> int:
    return db.session.scalar(select(func.count()).select_from(QueuedJob))


# --- enqueue ------------------------------------------------------------------------------


def test_it_enqueues_a_job_once_per_idempotency_key(app, clock):
    now = clock()
    first, created = queue.enqueue(
        db.session,
        "email.send",
        {"to": "a@example.com"},
        idempotency_key="enrollment:7:step:2",
        now=now,
    )
    db.session.commit()
    assert created is True
    assert (first.status, first.attempts, first.run_at) == ("pending", 0, now)

    again, created = queue.enqueue(
        db.session,
        "email.send",
        {"to": "other@example.com"},
        idempotency_key="enrollment:7:step:2",
        now=clock.advance(minutes=5),
    )
    db.session.commit()
    assert created is False
    assert again.id == first.id
    assert reload(first.id).payload == {"to": "a@example.com"}
    assert reload(first.id).created_at == now
    assert row_count() == 1


def test_it_enqueues_many_skipping_used_keys(app, clock):
    now = clock()
    make_job(now, "k1")
    later = now + timedelta(hours=1)
    jobs = [
        queue.NewJob("sms.send", key, {"n": key}, later) for key in ("k1", "k2", "k3", "k4", "k3")
    ]

    created = queue.enqueue_many(db.session, jobs, now=now, chunk=2)
    db.session.commit()

    assert created == 3
    assert row_count() == 4
    rows = {j.idempotency_key: j for j in db.session.scalars(select(QueuedJob))}
    assert rows["k1"].kind == "email.send"
    assert {rows[k].run_at for k in ("k2", "k3", "k4")} == {later}
    assert queue.enqueue_many(db.session, jobs, now=now) == 0
    twice = queue.NewJob("sms.send", "k5", {}, later)
    assert queue.enqueue_many(db.session, [twice, twice], now=now) == 1


# --- claim --------------------------------------------------------------------------------


def test_it_claims_due_jobs_oldest_first_up_to_the_limit(app, clock):
    now = clock()
    oldest = make_job(now, "oldest", run_at=now - timedelta(minutes=3))
    middle = make_job(now, "middle", run_at=now - timedelta(minutes=2))
    newer = make_job(now, "newer", run_at=now - timedelta(minutes=1))
    due_now = make_job(now, "due-now", run_at=now)
    future = make_job(now, "future", run_at=now + timedelta(minutes=1))

    assert claim("w1", now, limit=3, lease_seconds=90) == [oldest.id, middle.id, newer.id]

    for job_id in (oldest.id, middle.id, newer.id):
        job = reload(job_id)
        assert (job.status, job.lease_owner, job.attempts) == ("processing", "w1", 1)
        assert job.lease_expires_at == now + timedelta(seconds=90)
    assert reload(due_now.id).status == "pending"
    assert claim("w2", now, limit=10) == [due_now.id]
    assert reload(future.id).status == "pending"
    assert reload(future.id).attempts == 0


def test_it_hands_out_jobs_that_can_be_read_after_the_claim_commits(app, clock):
    now = clock()
    make_job(now, "read-me")
    [job] = queue.claim(db.session, "w1", now=now)
    db.session.commit()

    assert (job.payload, job.attempts, job.lease_owner) == ({"key": "read-me"}, 1, "w1")
    assert not db.session().in_transaction()


def test_it_claims_only_the_kinds_and_org_asked_for(app, clock, alice_org, charlie):
    now = clock()
    charlie_org = org_of(charlie)
    alice_email = make_job(now, "a-email", kind="email.send", org_id=alice_org.id)
    alice_sms = make_job(now, "a-sms", kind="sms.send", org_id=alice_org.id)
    charlie_email = make_job(now, "c-email", kind="email.send", org_id=charlie_org.id)
    make_job(now, "global", kind="email.send")

    assert claim("w", now, kinds=["email.send"], org_id=alice_org.id) == [alice_email.id]
    assert claim("w", now, kinds=["sms.send", "whatsapp.send"]) == [alice_sms.id]
    assert claim("w", now, org_id=charlie_org.id) == [charlie_email.id]
    assert queue.counts(db.session)["pending"] == 1


def test_it_hands_an_expired_lease_to_another_worker_and_ignores_the_stale_one(app, clock):
    now = clock()
    job = make_job(now, "slow")
    assert claim("w1", now, lease_seconds=60) == [job.id]

    assert claim("w2", clock.advance(seconds=59)) == []
    assert claim("w2", clock.advance(seconds=2)) == [job.id]
    taken = reload(job.id)
    assert (taken.status, taken.lease_owner, taken.attempts) == ("processing", "w2", 2)

    assert queue.complete(db.session, job.id, "w1", now=clock(), result={"by": "w1"}) is False
    assert (
        queue.fail(
            db.session, job.id, "w1", now=clock(), error="boom", error_class="TRANSIENT_NETWORK"
        )
        is None
    )
    assert queue.extend_lease(db.session, job.id, "w1", now=clock()) is False
    db.session.commit()
    still = reload(job.id)
    assert (still.status, still.lease_owner, still.result, still.completed_at) == (
        "processing",
        "w2",
        None,
        None,
    )
    assert still.last_error is None

    assert queue.complete(db.session, job.id, "w2", now=clock(), result={"by": "w2"}) is True
    db.session.commit()
    assert reload(job.id).result == {"by": "w2"}


def test_it_completes_a_job_for_the_worker_holding_it(app, clock):
    now = clock()
    job = make_job(now, "done")
    claim("w1", now)
    done_at = clock.advance(seconds=3)

    assert (
        queue.complete(db.session, job.id, "w1", now=done_at, result={"message_id": "m-1"}) is True
    )
    db.session.commit()

    row = reload(job.id)
    assert (row.status, row.result, row.completed_at) == (
        "completed",
        {"message_id": "m-1"},
        done_at,
    )
    assert (row.lease_owner, row.lease_expires_at) == (None, None)
    assert queue.complete(db.session, job.id, "w1", now=done_at) is False
    assert claim("w2", clock.advance(hours=1)) == []


def test_it_renews_a_lease_for_its_holder(app, clock):
    now = clock()
    job = make_job(now, "long")
    claim("w1", now, lease_seconds=60)

    assert queue.extend_lease(
        db.session, job.id, "w1", now=clock.advance(seconds=50), lease_seconds=60
    )
    db.session.commit()

    assert reload(job.id).lease_expires_at == now + timedelta(seconds=110)
    assert claim("w2", clock.advance(seconds=30)) == []


# --- fail and retry -----------------------------------------------------------------------


def fail_after_claim(
    job_id: int, clock: Clock, error_class: str, error: str = "boom"
) -> tuple[str | None, QueuedJob]:
    """Claim the job when it is due, fail it, and return (status, stored row)."""
    clock.set(max(clock(), reload(job_id).run_at))
    assert claim("w", clock()) == [job_id]
    status = queue.fail(db.session, job_id, "w", now=clock(), error=error, error_class=error_class)
    db.session.commit()
    return status, reload(job_id)


def test_it_retries_a_transient_failure_after_an_exponential_jittered_backoff(app, clock):
    job = make_job(clock(), "flaky")

    for attempt, ceiling in ((1, 10), (2, 20), (3, 40), (4, 80)):
        status, row = fail_after_claim(
            job.id, clock, "TRANSIENT_NETWORK", error=f"reset #{attempt}"
        )
        assert status == "pending"
        assert (row.status, row.attempts, row.lease_owner, row.lease_expires_at) == (
            "pending",
            attempt,
            None,
            None,
        )
        assert (row.error_class, row.last_error) == ("TRANSIENT_NETWORK", f"reset #{attempt}")
        delay = (row.run_at - clock()).total_seconds()
        assert ceiling / 2 <= delay <= ceiling, (attempt, delay)
        assert claim("other", clock() + timedelta(seconds=delay) - timedelta(milliseconds=1)) == []


def test_it_jitters_the_backoff_of_jobs_failing_together(app, clock):
    now = clock()
    for n in range(20):
        make_job(now, f"burst:{n}")
    ids = claim("w", now, limit=20)
    for job_id in ids:
        assert (
            queue.fail(
                db.session, job_id, "w", now=now, error="timeout", error_class="TRANSIENT_NETWORK"
            )
            == "pending"
        )
    db.session.commit()

    delays = [(reload(job_id).run_at - now).total_seconds() for job_id in ids]
    assert all(5 <= d <= 10 for d in delays), delays
    assert len(set(delays)) > 10


def test_it_backs_off_longer_after_a_rate_limit(app, clock):
    job = make_job(clock(), "limited")

    for ceiling in (60, 120):
        status, row = fail_after_claim(job.id, clock, "RATE_LIMITED")
        assert status == "pending"
        assert ceiling / 2 <= (row.run_at - clock()).total_seconds() <= ceiling


def test_it_spreads_the_backoff_over_half_to_all_of_the_ceiling():
    rng = random.Random(7)
    samples = [queue.backoff_seconds(3, "TRANSIENT_NETWORK", rng) for _ in range(500)]
    assert 20 <= min(samples) < 22
    assert 38 < max(samples) <= 40
    assert queue.backoff_seconds(60, "RATE_LIMITED", rng) <= queue.MAX_DELAY_SECONDS


def test_it_fails_a_configuration_error_at_once(app, clock):
    job = make_job(clock(), "misconfigured")

    status, row = fail_after_claim(job.id, clock, "CONFIGURATION_ERROR", error="x" * 5000)

    assert status == "failed"
    assert (row.status, row.attempts, row.error_class) == ("failed", 1, "CONFIGURATION_ERROR")
    assert row.last_error == "x" * 2000
    assert (row.lease_owner, row.lease_expires_at) == (None, None)
    assert claim("w", clock.advance(days=1)) == []


def test_it_fails_a_retryable_error_on_the_last_attempt(app, clock):
    job = make_job(clock(), "two-tries", max_attempts=2)

    assert fail_after_claim(job.id, clock, "TRANSIENT_NETWORK")[0] == "pending"
    status, row = fail_after_claim(job.id, clock, "TRANSIENT_NETWORK")

    assert status == "failed"
    assert (row.status, row.attempts) == ("failed", 2)
    assert claim("w", clock.advance(days=1)) == []


class TakeOverAfterRead:
    """A session in which another worker takes the job over right after fail() reads it.

    Stands in for a worker on another connection whose claim commits between fail()'s
    read and its write (PostgreSQL, READ COMMITTED).
    """

    def __init__(self, session, job_id: int, now: datetime) -> None:
        self._session, self._job_id, self._now = session, job_id, now
        self.took_over = False

    def __getattr__(self, name: str):
        return getattr(self._session, name)

    def _then_take_over(self, result):
        if not self.took_over:
            self.took_over = True
            rows = result.all()
            self._session.execute(
                update(QueuedJob)
                .where(QueuedJob.id == self._job_id)
                .values(
                    lease_owner="w2",
                    attempts=QueuedJob.attempts + 1,
                    lease_expires_at=self._now + timedelta(minutes=2),
                )
                .execution_options(synchronize_session=False)
            )
            return FrozenRows(rows)
        return result

    def scalars(self, *args, **kwargs):
        return self._then_take_over(self._session.scalars(*args, **kwargs))


class FrozenRows:
    def __init__(self, rows: list) -> None:
        self._rows = rows

    def one_or_none(self):
        assert len(self._rows) <= 1
        return self._rows[0] if self._rows else None


def test_it_reports_a_lost_lease_when_a_takeover_lands_while_failing(app, clock):
    now = clock()
    job = make_job(now, "raced")
    claim("w1", now, lease_seconds=60)
    racing = TakeOverAfterRead(db.session(), job.id, now)

    status = queue.fail(
        racing, job.id, "w1", now=now, error="boom", error_class="CONFIGURATION_ERROR"
    )
    db.session.commit()

    assert racing.took_over
    assert status is None
    row = reload(job.id)
    assert (row.status, row.lease_owner, row.error_class) == ("processing", "w2", None)


def test_it_cancels_only_pending_jobs(app, clock, alice_org, charlie):
    now = clock()
    pending = make_job(now, "pending", org_id=alice_org.id, run_at=now + timedelta(hours=1))
    running = make_job(now, "running", org_id=alice_org.id)
    claim("w", now, lease_seconds=7 * 86400)

    assert (
        queue.cancel(db.session, pending.id, now=now, reason="paused", org_id=org_of(charlie).id)
        is False
    )
    assert queue.cancel(db.session, running.id, now=now, reason="paused") is False
    assert (
        queue.cancel(
            db.session, pending.id, now=now, reason="Contact unsubscribed", org_id=alice_org.id
        )
        is True
    )
    db.session.commit()

    row = reload(pending.id)
    assert (row.status, row.last_error, row.error_class) == (
        "cancelled",
        "Contact unsubscribed",
        "CANCELLED",
    )
    assert reload(running.id).status == "processing"
    assert queue.cancel(db.session, pending.id, now=now, reason="again") is False
    assert claim("w2", clock.advance(days=1)) == []


def test_it_cancels_every_pending_job_matching_conditions(app, clock, alice_org, charlie):
    now = clock()
    charlie_org = org_of(charlie)
    alice_jobs = [
        make_job(now, f"a{n}", org_id=alice_org.id, run_at=now + timedelta(minutes=n))
        for n in range(3)
    ]
    alice_sms = make_job(
        now, "a-sms", kind="sms.send", org_id=alice_org.id, run_at=now + timedelta(days=1)
    )
    charlie_job = make_job(now, "c", org_id=charlie_org.id, run_at=now + timedelta(days=1))
    assert claim("w", now, limit=1) == [alice_jobs[0].id]

    cancelled = queue.cancel_where(
        db.session,
        QueuedJob.org_id == alice_org.id,
        QueuedJob.kind == "email.send",
        now=now,
        reason="Campaign paused",
    )
    db.session.commit()

    assert cancelled == 2
    assert [reload(j.id).status for j in alice_jobs] == ["processing", "cancelled", "cancelled"]
    assert reload(alice_jobs[1].id).last_error == "Campaign paused"
    assert reload(alice_sms.id).status == "pending"
    assert reload(charlie_job.id).status == "pending"


def test_it_retries_a_failed_job_with_fresh_attempts(app, clock, alice_org, charlie):
    job = make_job(clock(), "retry-me", org_id=alice_org.id, max_attempts=1)
    fail_after_claim(job.id, clock, "AUTH_FAILED")
    later = clock.advance(days=2)

    assert queue.retry(db.session, job.id, now=later, org_id=org_of(charlie).id) is False
    assert queue.retry(db.session, job.id, now=later, org_id=alice_org.id) is True
    db.session.commit()

    row = reload(job.id)
    assert (row.status, row.attempts, row.run_at) == ("pending", 0, later)
    assert queue.retry(db.session, job.id, now=later) is False
    assert claim("w", later) == [job.id]
    assert reload(job.id).attempts == 1


# --- housekeeping -------------------------------------------------------------------------


def test_it_returns_jobs_with_expired_leases_to_pending(app, clock):
    now = clock()
    short = make_job(now, "short")
    long = make_job(now, "long")
    claim("w1", now, limit=1, lease_seconds=60)
    claim("w2", now, limit=1, lease_seconds=600)

    recovered = queue.recover_stale(db.session, now=clock.advance(seconds=120))
    db.session.commit()

    assert recovered == 1
    row = reload(short.id)
    assert (row.status, row.lease_owner, row.lease_expires_at, row.error_class) == (
        "pending",
        None,
        None,
        "LEASE_EXPIRED",
    )
    assert row.last_error
    assert reload(long.id).status == "processing"
    assert queue.complete(db.session, short.id, "w1", now=clock()) is False
    assert claim("w3", clock()) == [short.id]
    assert reload(short.id).attempts == 2


def test_it_fails_a_job_whose_worker_died_on_its_last_attempt(app, clock):
    now = clock()
    poison = make_job(now, "kills-its-worker", max_attempts=2)
    assert claim("w1", now, lease_seconds=60) == [poison.id]
    assert claim("w2", clock.advance(seconds=61), lease_seconds=60) == [poison.id]

    assert claim("w3", clock.advance(seconds=61)) == []
    assert queue.recover_stale(db.session, now=clock()) == 1
    db.session.commit()

    row = reload(poison.id)
    assert (row.status, row.attempts, row.error_class, row.lease_owner) == (
        "failed",
        2,
        "LEASE_EXPIRED",
        None,
    )
    assert claim("w3", clock.advance(days=1)) == []


def test_it_purges_old_finished_jobs_and_keeps_failed_and_recent_ones(app, clock):
    old = clock()
    done_old = make_job(old, "done-old")
    claim("w", old)
    queue.complete(db.session, done_old.id, "w", now=old)
    cancelled_old = make_job(old, "cancelled-old", run_at=old + timedelta(days=1))
    queue.cancel(db.session, cancelled_old.id, now=old, reason="paused")
    failed_old = make_job(old, "failed-old")
    fail_after_claim(failed_old.id, clock, "CONFIGURATION_ERROR")
    pending_old = make_job(old, "pending-old", run_at=old + timedelta(days=60))

    recent = clock.advance(days=39)
    done_recent = make_job(recent, "done-recent")
    claim("w", recent)
    queue.complete(db.session, done_recent.id, "w", now=recent)
    db.session.commit()

    purged = queue.purge_completed(
        db.session, older_than=clock.advance(days=1) - timedelta(days=30)
    )
    db.session.commit()

    assert purged == 2
    kept = set(db.session.scalars(select(QueuedJob.idempotency_key)))
    assert kept == {
        failed_old.idempotency_key,
        pending_old.idempotency_key,
        done_recent.idempotency_key,
    }


def test_it_counts_jobs_in_every_status(app, clock, alice_org):
    now = clock()
    assert queue.counts(db.session) == {**dict.fromkeys(STATUSES, 0), "total": 0}

    jobs = [make_job(now, f"j{n}", org_id=alice_org.id) for n in range(5)]
    make_job(now, "elsewhere")
    assert claim("w", now, limit=4, org_id=alice_org.id) == [j.id for j in jobs[:4]]
    queue.complete(db.session, jobs[0].id, "w", now=now)
    queue.fail(
        db.session, jobs[1].id, "w", now=now, error="bad key", error_class="CONFIGURATION_ERROR"
    )
    queue.cancel(db.session, jobs[4].id, now=now, reason="Contact deleted")
    db.session.commit()

    assert queue.counts(db.session, QueuedJob.org_id == alice_org.id) == {
        "pending": 0,
        "processing": 2,
        "completed": 1,
        "failed": 1,
        "cancelled": 1,
        "total": 5,
    }
    assert queue.counts(db.session)["pending"] == 1
    assert queue.counts(db.session, QueuedJob.kind == "nothing") == {
        **dict.fromkeys(STATUSES, 0),
        "total": 0,
    }
