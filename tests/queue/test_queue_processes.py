"""The durable job queue under real worker processes (tests/workers/queue_worker.py).

Works on the session's SQLite file or, with TEST_DATABASE_URL, its PostgreSQL database.
The workers use the real wall clock, so the parent enqueues with `system_now()`.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from webapp import queue
from webapp.core.clock import system_now
from webapp.core.extensions import db
from webapp.models.queue import QueuedJob

REPO = Path(__file__).resolve().parents[2]
START_TIMEOUT = 60.0


class Worker:
    """One `python -m tests.workers.queue_worker` process and its files."""

    def __init__(self, tmp: Path, mode: str, owner: str, url: str, *extra: str) -> None:
        self.owner = owner
        self.ready = tmp / f"{owner}.ready"
        self.go = tmp / f"{owner}.go"
        self.out = tmp / f"{owner}.out"
        self.claimed = tmp / f"{owner}.claimed"
        self.log = tmp / f"{owner}.log"
        command = [
            sys.executable,
            "-m",
            "tests.workers.queue_worker",
            mode,
            "--url",
            url,
            "--owner",
            owner,
            "--ready",
            str(self.ready),
            "--go",
            str(self.go),
            "--out",
            str(self.out),
            "--claimed",
            str(self.claimed),
            *extra,
        ]
        with open(self.log, "wb") as log:
            self.process = subprocess.Popen(command, cwd=REPO, stdout=log, stderr=subprocess.STDOUT)

    def start(self) -> None:
        self.go.touch()

    def output(self) -> str:
        return self.log.read_text(errors="replace")[-3000:]

    def wait(self, timeout: float) -> int:
        try:
            return self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            pytest.fail(f"worker {self.owner} still running after {timeout}s:\n{self.output()}")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(timeout=10)


@pytest.fixture
def spawn(tmp_path: Path, database_url: str) -> Iterator[Callable[..., Worker]]:
    """Start worker processes; whatever is still running is killed afterwards."""
    workers: list[Worker] = []

    def start(mode: str, owner: str, *extra: str) -> Worker:
        worker = Worker(tmp_path, mode, owner, database_url, *extra)
        workers.append(worker)
        return worker

    try:
        yield start
    finally:
        for worker in workers:
            worker.stop()


def wait_until(
    condition: Callable[[], bool], timeout: float, what: str, workers: list[Worker]
) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        for worker in workers:
            if worker.process.poll() is not None:
                pytest.fail(
                    f"worker {worker.owner} exited early ({worker.process.returncode}) "
                    f"while waiting for {what}:\n{worker.output()}"
                )
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout}s waiting for {what}")
        time.sleep(0.02)


def all_ready(workers: list[Worker]) -> None:
    wait_until(
        lambda: all(w.ready.exists() for w in workers), START_TIMEOUT, "workers to start", workers
    )


def stored_jobs() -> list[QueuedJob]:
    """The rows as stored now, leaving no transaction open while workers run."""
    db.session.expire_all()
    jobs = list(db.session.scalars(select(QueuedJob).order_by(QueuedJob.id)))
    db.session.rollback()
    return jobs


@pytest.mark.slow
def test_it_completes_every_job_exactly_once_with_four_worker_processes(app, spawn):
    now = system_now()
    new = (queue.NewJob("test.noop", f"exactly-once:{n}", {"n": n}, now) for n in range(2000))
    assert queue.enqueue_many(db.session, new, now=now) == 2000
    db.session.commit()

    workers = [spawn("drain", f"drain{n}", "--limit", "25", "--timeout", "150") for n in range(4)]
    all_ready(workers)
    for worker in workers:
        worker.start()
    codes = {w.owner: w.wait(timeout=120) for w in workers}

    assert codes == dict.fromkeys(codes, 0), f"{codes}\n" + "\n".join(w.output() for w in workers)
    done_by = {w.owner: [int(line) for line in w.out.read_text().split()] for w in workers}
    times_done = Counter(job_id for ids in done_by.values() for job_id in ids)
    jobs = stored_jobs()
    assert len(jobs) == 2000
    assert sorted(times_done) == [j.id for j in jobs]
    assert set(times_done.values()) == {1}, [i for i, n in times_done.items() if n > 1][:20]
    assert {(j.status, j.attempts) for j in jobs} == {("completed", 1)}
    owner_of = {job_id: owner for owner, ids in done_by.items() for job_id in ids}
    assert all(j.result == {"by": owner_of[j.id]} for j in jobs)
    assert sum(1 for ids in done_by.values() if ids) >= 2, {
        o: len(ids) for o, ids in done_by.items()
    }


def read_claim(worker: Worker) -> list[dict]:
    return json.loads(worker.claimed.read_text())


@pytest.mark.slow
def test_it_hands_the_job_of_a_killed_worker_to_another_after_its_lease(app, spawn):
    now = system_now()
    job, _ = queue.enqueue(db.session, "test.noop", {}, idempotency_key="killed-mid-job", now=now)
    db.session.commit()
    holder = spawn("hold", "holder", "--lease", "3")
    rescuer = spawn("reclaim", "rescuer", "--timeout", "60")
    all_ready([holder, rescuer])

    holder.start()
    wait_until(holder.claimed.exists, 20, "the holder to claim", [holder])
    [claimed] = read_claim(holder)
    lease_expires_at = datetime.fromisoformat(claimed["lease_expires_at"])
    assert claimed["id"] == job.id
    os.kill(holder.process.pid, signal.SIGKILL)
    assert holder.wait(timeout=10) == -signal.SIGKILL

    [row] = stored_jobs()
    assert (row.status, row.lease_owner, row.attempts) == ("processing", "holder", 1)
    assert system_now() < lease_expires_at, "the lease ran out before the rescuer could try"

    rescuer.start()
    assert rescuer.wait(timeout=30) == 0, rescuer.output()
    attempts = [json.loads(line) for line in rescuer.out.read_text().splitlines()]
    early = [a for a in attempts if datetime.fromisoformat(a["now"]) <= lease_expires_at]
    assert early, "the rescuer never tried while the lease was held"
    assert all(a["ids"] == [] for a in early)
    assert attempts[-1]["ids"] == [job.id]
    assert datetime.fromisoformat(attempts[-1]["now"]) - lease_expires_at < timedelta(seconds=5)

    [row] = stored_jobs()
    assert (row.status, row.attempts, row.lease_owner, row.result) == (
        "completed",
        2,
        None,
        {"by": "rescuer"},
    )
