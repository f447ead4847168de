"""Benchmark: 10,000 workflow runs waiting on a timer that comes due at once.

    .venv/bin/python bench/workflows.py [--runs 10000] [--workers 4]

Builds a fresh database (SQLite; PostgreSQL too when TEST_DATABASE_URL is set), one
workspace of N contacts and an active workflow "wait 1 hour, tag the contact, exit". Every
contact's run is started through the service and its first step run through the work
engine, so N runs are parked on a timer job due an hour later. Then the clock moves past
the hour and the resume tick runs them. Printed:

- workflow_resumes_per_s (SQLite): runs resumed and finished per second by one
  `run_due_steps` call: each job's lease, the one conditional UPDATE that ends its wait,
  the step log, the tag, the completion and the job's record. Target ≥ 500.
- baseline_bare_updates_per_s: the same rows put through a bare loop of the same
  conditional UPDATE (waiting → completed), committed every 200 rows — the floor of any
  engine that writes each run once.
- workflow_steps_run_twice (PostgreSQL, --workers processes resuming the same runs at
  once): step-log rows of a visit beyond the first, and runs not completed. Must be 0.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import text  # noqa: E402

from bench.databases import fresh_database  # noqa: E402

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
DUE = NOW + timedelta(hours=1, seconds=1)
FLOW = {
    "trigger": {"kind": "manual"},
    "steps": [
        {"id": "wait_an_hour", "kind": "wait", "hours": 1},
        {"id": "tag", "kind": "update", "action": "add_tag", "value": "resumed"},
        {"id": "done", "kind": "exit"},
    ],
}


def _app(url: str):
    from jobs.cli import build_app

    return build_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench", "CLOCK": lambda: NOW})


def build(url: str, runs: int) -> None:
    """Migrate, create the workspace, its contacts and N runs parked on their timer."""
    from flask_migrate import upgrade

    from webapp.core.extensions import db
    from webapp.services.accounts import people as accounts
    from webapp.services.workflows import create_workflow, run_due_steps, set_status, start_run

    app = _app(url)
    with app.app_context():
        upgrade()
        _user, org = accounts.sign_up(
            db.session,
            email="owner@workflows-bench.example",
            name="Bench",
            password="bench pw 123",
            workspace="Bench Shop",
            timezone="UTC",
            now=NOW - timedelta(days=1),
        )
        db.session.commit()
        org_id = org.id
        db.session.execute(
            text(
                "INSERT INTO leads (org_id, full_name, email, company, source, status, score,"
                " score_reasons, extra, search_text, notes, created_at, updated_at)"
                " VALUES (:org, :name, :email, '', 'manual', 'new', 0, '[]', '{}', :search, '', :at, :at)"
            ),
            [
                {
                    "org": org_id,
                    "name": f"c{n}",
                    "search": f"c{n}",
                    "email": f"c{n}@bench.example",
                    "at": NOW,
                }
                for n in range(runs)
            ],
        )
        workflow = create_workflow(
            db.session,
            org_id,
            name="Bench",
            definition=FLOW,
            reentry="once",
            actor_id=None,
            now=NOW,
        )
        set_status(db.session, workflow, "active", actor_id=None, now=NOW)
        lead_ids = db.session.scalars(text("SELECT id FROM leads WHERE org_id = :o"), {"o": org_id})
        for lead_id in list(lead_ids):
            start_run(db.session, workflow, lead_id, key="", trigger={}, now=NOW)
        db.session.commit()
        started = time.perf_counter()
        run_due_steps(db.engine, owner="bench-setup", clock=lambda: NOW, batch_size=500)
        waiting = db.session.scalar(
            text("SELECT count(*) FROM workflow_executions WHERE status = 'waiting'")
        )
        print(f"parked {waiting:,} runs on their timer in {time.perf_counter() - started:.1f} s")
        db.engine.dispose()


def resume(url: str, owner: str) -> int:
    from webapp.core.extensions import db
    from webapp.services.workflows import run_due_steps

    app = _app(url)
    with app.app_context():
        result = run_due_steps(db.engine, owner=owner, clock=lambda: DUE, batch_size=200)
        db.engine.dispose()
    return result.completed if hasattr(result, "completed") else 0


def check(url: str) -> tuple[int, int]:
    from sqlalchemy import create_engine

    engine = create_engine(url)
    with engine.connect() as conn:
        twice = conn.scalar(text("SELECT count(*) FROM workflow_step_logs WHERE visit > 1"))
        open_runs = conn.scalar(
            text("SELECT count(*) FROM workflow_executions WHERE status <> 'completed'")
        )
    engine.dispose()
    return twice, open_runs


def baseline(url: str) -> float:
    """The bare loop: the same rows, the same conditional UPDATE, a commit every 200."""
    from sqlalchemy import create_engine

    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("UPDATE workflow_executions SET status = 'waiting'"))
        ids = list(conn.scalars(text("SELECT id FROM workflow_executions ORDER BY id")))
    update = text(
        "UPDATE workflow_executions SET status = 'completed', updated_at = :at"
        " WHERE id = :id AND status = 'waiting' AND waiting_step = 'wait_an_hour'"
    )
    started = time.perf_counter()
    for i in range(0, len(ids), 200):
        with engine.begin() as conn:
            for run_id in ids[i : i + 200]:
                conn.execute(update, {"id": run_id, "at": DUE})
    seconds = time.perf_counter() - started
    engine.dispose()
    return len(ids) / seconds


def sqlite(runs: int) -> None:
    url, drop = fresh_database("workflows", "sqlite")
    build(url, runs)
    started = time.perf_counter()
    resume(url, "bench-sqlite")
    seconds = time.perf_counter() - started
    twice, open_runs = check(url)
    print(
        f"workflow_resumes_per_s: {runs / seconds:.0f}  (sqlite, {runs:,} runs in {seconds:.1f} s)"
    )
    print(f"baseline_bare_updates_per_s: {baseline(url):.0f}  (sqlite)")
    print(f"sqlite runs not completed: {open_runs}, steps run twice: {twice}")
    drop()


def postgres(runs: int, workers: int) -> None:
    url, drop = fresh_database("workflows", "postgres")
    try:
        build(url, runs)
        context = multiprocessing.get_context("spawn")
        started = time.perf_counter()
        with context.Pool(workers) as pool:
            pool.starmap(resume, [(url, f"bench-pg-{n}") for n in range(workers)])
        seconds = time.perf_counter() - started
        twice, open_runs = check(url)
        print(
            f"workflow_resumes_per_s_postgres_{workers}_workers: {runs / seconds:.0f}"
            f"  ({runs:,} runs in {seconds:.1f} s)"
        )
        print(f"workflow_steps_run_twice: {twice}  (runs not completed: {open_runs})")
        print(f"baseline_bare_updates_per_s_postgres: {baseline(url):.0f}  (one process)")
    finally:
        drop()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=10_000)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--postgres-only", action="store_true")
    args = parser.parse_args()
    if not args.postgres_only:
        sqlite(args.runs)
    if os.environ.get("TEST_DATABASE_URL"):
        postgres(args.runs, args.workers)
    print(f"load average during the run: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")


if __name__ == "__main__":
    main()
