"""Reliability of sequence sending, with real parts: worker processes
(tests/workers/sequence_worker.py) on the session's database (SQLite, or PostgreSQL with
TEST_DATABASE_URL) sending to a real aiosmtpd server in this process.

- a worker killed with SIGKILL in the middle of 5,000 sends, then restarted: every message
  arrives; duplicates (same Message-ID) only for messages in flight at the kill;
- two workers at once: every message exactly once;
- the SMTP server down for a while: jobs back off, the breaker opens, nothing fails before
  its last attempt, and everything is delivered once it is back (time driven by the clock).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, insert, select

from tests.fakes import smtp_server
from tests.messaging.factories import ANY_TIME, WELCOME, make_sequence
from webapp.core.clock import system_now
from webapp.core.extensions import db
from webapp.models import CircuitBreaker, Lead, QueuedJob
from webapp.models.sequence import Send
from webapp.services.messaging import (
    dispatch,
    step_jobs,
    triggering,
)

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
BATCH = 50

smtp_sink = smtp_server.smtp_sink  # the fixture
use_smtp = smtp_server.use_smtp


class Worker:
    """One `python -m tests.workers.sequence_worker` process."""

    def __init__(
        self,
        tmp: Path,
        name: str,
        url: str,
        port: int,
        *,
        timeout: float = 150.0,
        batch: int = BATCH,
        lease: int = 3,
    ) -> None:
        self.ready, self.go, self.log = (
            tmp / f"{name}.ready",
            tmp / f"{name}.go",
            tmp / f"{name}.log",
        )
        command = [
            sys.executable,
            "-m",
            "tests.workers.sequence_worker",
            "--url",
            url,
            "--smtp-port",
            str(port),
            "--owner",
            name,
            "--ready",
            str(self.ready),
            "--go",
            str(self.go),
            "--batch",
            str(batch),
            "--lease",
            str(lease),
            "--timeout",
            str(timeout),
        ]
        with open(self.log, "wb") as log:
            self.process = subprocess.Popen(command, cwd=REPO, stdout=log, stderr=subprocess.STDOUT)

    def wait_ready(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while not self.ready.exists():
            if self.process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"worker did not start:\n{self.output()}")
            time.sleep(0.05)

    def output(self) -> str:
        return self.log.read_text(errors="replace")[-3000:]

    def wait(self, timeout: float) -> int:
        try:
            return self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            pytest.fail(f"worker still running after {timeout}s:\n{self.output()}")

    def kill(self) -> None:
        if self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)


def due_emails(org, count: int) -> object:
    """A one-email sequence with `count` contacts enrolled and due now (real clock)."""
    now = system_now()
    campaign = make_sequence(
        org, steps=[WELCOME[0]], schedule=ANY_TIME, activated=now - timedelta(hours=1)
    )
    org_id = org.id
    db.session.commit()  # no read snapshot older than the contacts below (SQLite)
    with db.engine.begin() as conn:
        conn.execute(
            insert(Lead),
            [
                {
                    "org_id": org_id,
                    "full_name": f"Contact {i}",
                    "email": f"contact{i}@example.com",
                    "company": "",
                    "source": "csv",
                    "status": "new",
                    "score": 0,
                    "score_reasons": [],
                    "notes": "",
                    "extra": {},
                    "search_text": f"contact {i}",
                    "created_at": now - timedelta(minutes=5),
                    "updated_at": now,
                }
                for i in range(count)
            ],
        )
    db.session.commit()
    assert triggering.trigger_new_contacts(db.session, org_id=org_id, now=now).enrolled == count
    db.session.commit()
    return campaign


def final_state(campaign) -> dict:
    db.session.expire_all()
    jobs = dict(
        db.session.execute(
            select(QueuedJob.status, func.count())
            .where(QueuedJob.kind == step_jobs.KIND)
            .group_by(QueuedJob.status)
        ).all()
    )
    sends = dict(
        db.session.execute(
            select(Send.status, func.count())
            .where(Send.campaign_id == campaign.id)
            .group_by(Send.status)
        ).all()
    )
    db.session.commit()
    return {"jobs": jobs, "sends": sends}


def test_a_worker_killed_mid_run_loses_nothing_and_repeats_only_what_was_in_flight(
    app, alice_org, smtp_sink, database_url, tmp_path
):
    total = 5000
    campaign = due_emails(alice_org, total)
    first = Worker(tmp_path, "first", database_url, smtp_sink.port)
    first.wait_ready()
    first.go.touch()
    # Kill it once a good part has gone out, in the middle of a batch.
    assert smtp_sink.wait_for(total // 3, timeout=120), first.output()
    first.kill()
    at_kill = len(smtp_sink.messages)
    assert at_kill < total, "the worker finished before it could be killed"

    second = Worker(tmp_path, "second", database_url, smtp_sink.port)
    second.wait_ready()
    second.go.touch()
    assert second.wait(180) == 0, second.output()

    ids = Counter(smtp_sink.message_ids())
    assert len(ids) == total  # every message arrived
    duplicates = sum(n - 1 for n in ids.values())
    print(f"killed after {at_kill} of {total} messages; {duplicates} delivered twice")
    # Only messages in flight at the kill (sent, not yet acknowledged) may arrive twice:
    # at most the batch the worker had claimed, in practice the one message on the wire.
    assert duplicates <= BATCH, f"{duplicates} duplicates"
    assert all(n <= 2 for n in ids.values())
    state = final_state(campaign)
    assert state["jobs"] == {"completed": total}
    assert state["sends"] == {"sent": total}


def test_two_workers_at_once_send_every_message_exactly_once(
    app, alice_org, smtp_sink, database_url, tmp_path
):
    total = 3000
    campaign = due_emails(alice_org, total)
    workers = [Worker(tmp_path, f"w{i}", database_url, smtp_sink.port) for i in range(2)]
    for worker in workers:
        worker.wait_ready()
    for worker in workers:
        worker.go.touch()
    for worker in workers:
        assert worker.wait(180) == 0, worker.output()
    ids = Counter(smtp_sink.message_ids())
    assert len(ids) == total and set(ids.values()) == {1}
    assert len(smtp_sink.messages) == total
    state = final_state(campaign)
    assert state["jobs"] == {"completed": total}
    assert state["sends"] == {"sent": total}
    # Both took part (claims interleave batch by batch).
    owners = Counter(r["by"] for r in db.session.scalars(select(QueuedJob.result)).all())
    assert set(owners) == {"w0", "w1"} and sum(owners.values()) == total


def test_an_smtp_outage_backs_off_opens_the_breaker_and_delivers_after(
    app, alice_org, smtp_sink, clock
):
    use_smtp(app, smtp_sink)
    total = 30
    campaign = make_sequence(alice_org, steps=[WELCOME[0]], schedule=ANY_TIME)
    org_id = alice_org.id
    db.session.commit()  # no read snapshot older than the contacts below (SQLite)
    with db.engine.begin() as conn:
        conn.execute(
            insert(Lead),
            [
                {
                    "org_id": org_id,
                    "full_name": f"C {i}",
                    "email": f"c{i}@example.com",
                    "company": "",
                    "source": "csv",
                    "status": "new",
                    "score": 0,
                    "score_reasons": [],
                    "notes": "",
                    "extra": {},
                    "search_text": "",
                    "created_at": clock() - timedelta(minutes=1),
                    "updated_at": clock(),
                }
                for i in range(total)
            ],
        )
    assert triggering.trigger_new_contacts(db.session, org_id=org_id, now=clock()).enrolled == total
    db.session.commit()

    smtp_sink.refuse()
    down_until = clock() + timedelta(minutes=20)
    attempts_seen = 0
    while clock() < down_until:
        dispatch.process_due(app, now=clock())
        db.session.expire_all()
        statuses = Counter(db.session.scalars(select(QueuedJob.status)).all())
        assert statuses.get("failed", 0) == 0  # nothing is failed before its last attempt
        assert statuses.get("completed", 0) == 0
        attempts_seen = max(attempts_seen, db.session.scalar(select(func.max(QueuedJob.attempts))))
        db.session.commit()
        clock.advance(seconds=20)
    breaker = db.session.scalars(
        select(CircuitBreaker).where(CircuitBreaker.provider == "smtp")
    ).one()
    assert breaker.state in ("open", "half_open")
    assert breaker.last_error_class == "INTEGRATION_OFFLINE"
    jobs = db.session.scalars(select(QueuedJob)).all()
    assert all(
        job.status == "pending" and job.run_at > job.created_at for job in jobs
    )  # backing off
    assert 1 <= attempts_seen < step_jobs.MAX_ATTEMPTS
    # The open breaker spared most jobs any attempt at all: only the trials reached the server.
    assert sum(job.attempts for job in jobs) < total * 2
    sends = db.session.scalars(select(Send).where(Send.campaign_id == campaign.id)).all()
    assert {s.status for s in sends} == {"queued"}
    db.session.commit()

    smtp_sink.resume()
    for _ in range(200):
        dispatch.process_due(app, now=clock())
        if final_state(campaign)["jobs"] == {"completed": total}:
            break
        clock.advance(seconds=30)
    assert final_state(campaign) == {"jobs": {"completed": total}, "sends": {"sent": total}}
    assert smtp_sink.wait_for(total)
    ids = Counter(smtp_sink.message_ids())
    assert len(ids) == total and set(ids.values()) == {1}
    db.session.expire_all()
    assert (
        db.session.scalars(
            select(CircuitBreaker.state).where(CircuitBreaker.provider == "smtp")
        ).one()
        == "closed"
    )
