"""Scheduled jobs across real processes: one run per period, takeover after a crash; and the
in-process APScheduler as `start_scheduler` configures it."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from apscheduler.triggers.cron import CronTrigger
from sqlalchemy import select

from jobs.periods import Daily, EveryMinutes, Weekly
from jobs.runner import run_job
from jobs.schedule import JobSpec, start_scheduler, stop_scheduler
from webapp.core.extensions import db
from webapp.models import JobRun, SchedulerLock, SchedulerNode

ROOT = Path(__file__).resolve().parents[2]
JOB = "ticked"


class Ticker:
    """One `tests.workers.ticker` process; round i starts when `go(i)` is called."""

    def __init__(
        self, url: str, tmp: Path, name: str, *, starts: list[datetime], epoch: float, **opts: float
    ) -> None:
        self.name, self.tmp = name, tmp
        self.ready, self.result, self.err_path = (
            tmp / f"{name}.{ext}" for ext in ("ready", "result", "err")
        )
        options = {"sleep": 1.0, "ttl": 90.0, "heartbeat": 20.0, **opts}
        command = [
            sys.executable,
            "-m",
            "tests.workers.ticker",
            url,
            JOB,
            "--out",
            str(tmp / "executions.txt"),
            "--ready",
            str(self.ready),
            "--go",
            str(tmp / f"{name}.go"),
            "--result",
            str(self.result),
            "--epoch",
            repr(epoch),
        ]
        command += [arg for at in starts for arg in ("--start", at.isoformat())]
        command += [arg for key, value in options.items() for arg in (f"--{key}", str(value))]
        with open(self.err_path, "w") as err:
            self.proc = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=err)

    def go(self, round_no: int = 0) -> None:
        (self.tmp / f"{self.name}.go.{round_no}").touch()

    def outcome(self, round_no: int = 0, timeout: float = 30) -> dict:
        def lines() -> list[str]:
            text = self.result.read_text() if self.result.exists() else ""
            return [line for line in text.splitlines(keepends=True) if line.endswith("\n")]

        deadline = time.monotonic() + timeout
        while len(lines()) <= round_no:
            assert self.proc.poll() is None or len(lines()) > round_no, (
                f"{self.name} exited {self.proc.returncode}:\n{self.stderr()}"
            )
            assert time.monotonic() < deadline, f"{self.name}: no outcome for round {round_no}"
            time.sleep(0.02)
        return json.loads(lines()[round_no])

    def stderr(self) -> str:
        return self.err_path.read_text()[-3000:]


@pytest.fixture
def spawn(database_url: str, tmp_path: Path) -> Iterator:
    """Starts tickers on the test database; kills whatever is left at the end."""
    started: list[Ticker] = []

    def start(name: str, **kw) -> Ticker:
        ticker = Ticker(database_url, tmp_path, name, **kw)
        started.append(ticker)
        return ticker

    try:
        yield start
    finally:
        for ticker in started:
            if ticker.proc.poll() is None:
                ticker.proc.kill()
            ticker.proc.wait(timeout=10)


def wait_until_ready(tickers: list[Ticker], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not all(t.ready.exists() for t in tickers):
        for t in tickers:
            assert t.proc.poll() is None, f"{t.name} exited early:\n{t.stderr()}"
        assert time.monotonic() < deadline, "tickers did not get ready in time"
        time.sleep(0.05)


def wait_for(predicate, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def executions(tmp: Path) -> list[list[str]]:
    path = tmp / "executions.txt"
    return [line.split() for line in path.read_text().splitlines()] if path.exists() else []


def run_rows() -> list:
    with db.engine.connect() as conn:
        return list(conn.execute(select(JobRun).where(JobRun.job == JOB).order_by(JobRun.id)))


@pytest.mark.slow
def test_it_runs_each_period_once_across_four_processes(app, spawn, tmp_path):
    db.session.remove()  # hold no transaction while the processes run
    epoch = time.time()
    first_day = datetime(2026, 11, 23, 10, tzinfo=UTC)
    second_day = first_day + timedelta(days=1)
    racing = [spawn(f"p{i}", starts=[first_day, second_day], epoch=epoch) for i in range(4)]
    straggler = spawn("straggler", starts=[first_day], epoch=epoch)
    wait_until_ready([*racing, straggler])

    rounds = []
    for round_no in (0, 1):
        for ticker in racing:
            ticker.go(round_no)
        rounds.append(sorted(t.outcome(round_no)["status"] for t in racing))
        if round_no == 0:
            straggler.go()
            rounds.append([straggler.outcome()["status"]])

    # Losers of the race see the lock held, or (if the OS ran them late) the finished run.
    for statuses in (rounds[0], rounds[2]):
        assert statuses.count("succeeded") == 1, statuses
        assert set(statuses) <= {"succeeded", "locked", "already_ran"}, statuses
    assert rounds[1] == ["already_ran"]  # ticked after the first day's run had finished
    rows = run_rows()
    assert [(r.period, r.status, r.attempt) for r in rows] == [
        ("2026-11-23", "succeeded", 1),
        ("2026-11-24", "succeeded", 1),
    ]
    assert [(period, int(run_id)) for _pid, period, run_id in executions(tmp_path)] == [
        ("2026-11-23", rows[0].id),
        ("2026-11-24", rows[1].id),
    ]


@pytest.mark.slow
def test_it_takes_over_from_a_killed_process_only_after_its_lease_expired(app, spawn, tmp_path):
    db.session.remove()
    epoch = time.time()
    start = datetime(2026, 11, 25, 10, tzinfo=UTC)
    lease = {"ttl": 3.0, "heartbeat": 0.3}
    victim = spawn("victim", starts=[start], epoch=epoch, sleep=60, **lease)
    early = spawn("early", starts=[start], epoch=epoch, sleep=0.2, **lease)
    late = spawn("late", starts=[start], epoch=epoch, sleep=0.2, **lease)
    wait_until_ready([victim, early, late])

    victim.go()
    wait_for(lambda: len(executions(tmp_path)) == 1, 30, "the victim to start its job")
    time.sleep(0.5)  # a few heartbeats
    victim.proc.send_signal(signal.SIGKILL)
    victim.proc.wait(timeout=10)

    early.go()
    assert early.outcome()["status"] == "locked"

    with db.engine.connect() as conn:
        expires = conn.scalar(
            select(SchedulerLock.expires_at).where(SchedulerLock.name == f"job:{JOB}")
        )
    left = (expires - (start + timedelta(seconds=time.time() - epoch))).total_seconds()
    assert 0 < left <= lease["ttl"]
    time.sleep(left + 0.3)
    late.go()
    outcome = late.outcome()

    assert outcome["status"] == "succeeded"
    [row] = run_rows()
    assert (row.period, row.status, row.attempt) == ("2026-11-25", "succeeded", 2)
    assert row.holder.split(":")[1] == str(late.proc.pid)
    assert "attempt 2" in row.summary["resumed"]
    assert row.summary["pid"] == late.proc.pid
    assert [(int(pid), run_id) for pid, _period, run_id in executions(tmp_path)] == [
        (victim.proc.pid, str(row.id)),
        (late.proc.pid, str(row.id)),
    ]


def test_it_starts_apscheduler_in_utc_with_every_job(app, clock):
    specs = app.extensions["jobs"].specs
    for name, schedule in (
        ("nightly", Daily(2)),
        ("weekly", Weekly(0, 9)),
        ("quarterly", EveryMinutes(15)),
    ):
        specs[name] = JobSpec(
            name=name, title=name.title(), description="", schedule=schedule, func=lambda ctx: {}
        )

    scheduler = start_scheduler(app)
    try:
        assert scheduler.running
        assert str(scheduler.timezone) == "UTC"
        for name, spec in specs.items():
            job = scheduler.get_job(name)
            assert job is not None, name
            assert job.func is run_job and job.args == (app, name)
            assert (job.coalesce, job.max_instances) == (True, 1)
            assert isinstance(job.trigger, CronTrigger) and str(job.trigger.timezone) == "UTC"
            assert job.next_run_time.utcoffset() == timedelta(0)
            minimum = 60 if isinstance(spec.schedule, EveryMinutes) else 3600
            assert job.misfire_grace_time >= minimum, name
        assert str(scheduler.get_job("housekeeping").trigger) == str(EveryMinutes(60, 5).trigger())
        assert scheduler.get_job("_node_heartbeat") is not None
        assert scheduler.get_job("_resume_abandoned").args == (app,)
        nodes = db.session.scalars(select(SchedulerNode)).all()
        assert [(n.seen_at, n.pid) for n in nodes] == [(clock(), os.getpid())]
        db.session.rollback()
    finally:
        stop_scheduler(app)

    assert not scheduler.running
    assert db.session.scalars(select(SchedulerNode)).all() == []
    assert "scheduler" not in app.extensions
