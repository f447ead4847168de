"""A run whose process died stops saying "running" once its lease is gone (issue 10, item 3).

Before: `resume_abandoned` looked at the current period only and pruning skipped running
rows, so a killed manual run, or a scheduled run killed and not resumed within its slot,
stayed "running" in the history forever (and kept the page's "Run now" busy).
"""

from __future__ import annotations

from datetime import timedelta

from jobs import locks
from jobs.runner import resume_abandoned, run_job
from tests.jobs.test_runner import DAY, Tally, register, runs
from webapp.core.extensions import db
from webapp.models import JobRun
from webapp.services.ops import job_history

TTL = timedelta(seconds=90)


def killed_run(clock, *, period: str, holder: str, trigger: str = "schedule", age=None) -> None:
    """A run row left `running` by `holder`, which held the job's lock until it was killed
    (now, or `age` ago)."""
    killed_at = clock() - (age or timedelta(0))
    db.session.add(
        JobRun(
            job="tally",
            period=period,
            trigger=trigger,
            status="running",
            holder=holder,
            attempt=1,
            started_at=killed_at - timedelta(seconds=5),
            heartbeat_at=killed_at,
            summary={},
        )
    )
    db.session.commit()
    assert locks.acquire(db.engine, "job:tally", holder, now=killed_at, ttl=TTL)


def test_a_killed_manual_run_is_marked_abandoned_once_its_lease_ran_out(app, clock):
    job = register(app, "tally", Tally()).func
    killed_run(clock, period="manual:2026-11-23T09:59", holder="dead:1", trigger="manual")

    assert resume_abandoned(app) == []
    assert [r.status for r in runs("tally")] == ["running"]  # its lease is live: maybe alive

    clock.advance(seconds=91)
    assert resume_abandoned(app) == []  # a manual run is not run again, only closed

    [run] = runs("tally")
    assert run.status == "abandoned"
    assert "stopped before finishing" in run.error
    assert run.finished_at == run.heartbeat_at  # its last sign of life
    assert job.contexts == []


def test_a_run_whose_lock_passed_to_another_run_is_abandoned_even_while_that_one_runs(app, clock):
    register(app, "tally", Tally())
    killed_run(clock, period="2026-11-22", holder="dead:1", age=timedelta(days=1))
    # Today's run holds the job's lock now (alive, mid-run).
    killed_run(clock, period=DAY, holder="alive:2")

    job_history.mark_abandoned(db.session, now=clock())
    db.session.commit()

    assert [(r.period, r.status) for r in runs("tally")] == [
        ("2026-11-22", "abandoned"),
        (DAY, "running"),
    ]


def test_a_tick_of_the_same_period_takes_over_an_abandoned_run(app, clock):
    job = register(app, "tally", Tally()).func
    killed_run(clock, period=DAY, holder="dead:1")
    clock.advance(seconds=91)
    job_history.mark_abandoned(db.session, now=clock())  # say, by housekeeping
    db.session.commit()

    assert resume_abandoned(app) == ["tally"]

    [run] = runs("tally")
    assert (run.status, run.attempt, run.error) == ("succeeded", 2, None)
    assert len(job.contexts) == 1


def test_housekeeping_closes_dead_runs_of_any_period_and_prunes_them(app, clock):
    register(app, "tally", Tally())
    killed_run(clock, period="2026-08-01", holder="dead:1", age=timedelta(days=120))
    for day in range(25):  # enough later runs that the dead one is not among the latest kept
        at = clock() - timedelta(days=100 - day)
        db.session.add(
            JobRun(
                job="tally",
                period=f"later-{day:02d}",
                trigger="schedule",
                status="succeeded",
                holder="h",
                attempt=1,
                started_at=at,
                heartbeat_at=at,
                finished_at=at,
                summary={},
            )
        )
    db.session.commit()

    assert run_job(app, "housekeeping").status == "succeeded"

    periods = [r.period for r in runs("tally")]
    assert "2026-08-01" not in periods  # closed as abandoned, then pruned like the rest
    assert all(r.status != "running" for r in runs("tally"))
    [housekeeping] = runs("housekeeping")
    assert housekeeping.summary["runs_abandoned"] == 1
