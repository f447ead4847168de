"""Benchmark: workspace health for 1,000 workspaces — the support view and the dashboard widget.

    .venv/bin/python bench/health.py [--workspaces 1000] [--runs 7] [--widget-runs 40]

Builds its own database (a fresh SQLite file, or a fresh database on the server of
TEST_DATABASE_URL), migrated to head, with 1,000 workspaces holding realistic rows: a
circuit breaker per provider (some failing, some open), ~60 queue jobs each (pending, late,
completed and failed over the last day), one or two setup runs (some failed), open and
resolved alerts, and the scheduled jobs' run history. Signs in through the login form of
the Flask test client and times full GET requests:

- the support view:  GET /support/health   (every workspace's health, worst first)
- the widget:        GET /health/widget     (HX-Request; one workspace)
- /healthz           (deployment checks plus the count of workspaces by status)

Before timing, the health job's part is done once (`refresh_health_rows`: one row per
workspace, which the support view reads) and its duration printed.

Prints min/median/max and, each on its own line, `support_health_1k_ms: N` (or `_10k_`
with `--workspaces 10000`, then also `healthz_10k_ms: N`) and `widget_median_ms: N`, each
with the figure measured before the health rows beside it. Bars at 10,000 workspaces:
support view ≤ 200 ms, /healthz ≤ 20 ms.
"""

from __future__ import annotations

import argparse
import random
import re
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import insert, text  # noqa: E402

from bench.databases import fresh_database  # noqa: E402

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
PASSWORD = "bench password 123"
SHOPS = "Bakery Studio Salon Cafe Florist Dental Fitness Garage Optics Tailor Deli Books Vets Print".split()
# Measured on this machine before the health rows (commit 9ae017b, SQLite, median of 3;
# 1k: the figures).
BEFORE_MS = {
    1000: {"support_health": 175.0, "healthz": 188.0},
    10000: {"support_health": 4088.0, "healthz": 3352.0, "widget_median": 14.7},
}
TOWNS = "Leeds York Bath Derby Hull Ely Wells Truro Perth Ayr Bury Diss Ripon Selby Wigan".split()


def rows_for(rng: random.Random, org_id: int, counters: dict) -> dict[str, list[dict]]:
    """One workspace's breakers, queue jobs, setup runs and alerts (drawn in that order)."""
    return {
        "breakers": _breakers(rng, org_id),
        "jobs": _jobs(rng, org_id, counters),
        "runs": _runs(rng, org_id),
        "alerts": _alerts(rng, org_id),
    }


def _breakers(rng: random.Random, org_id: int) -> list[dict]:
    out: list[dict] = []
    for provider in ("smtp", "twilio", "openai"):
        roll = rng.random()
        if roll < 0.5:
            continue  # never used
        state, failures, error_class = "closed", 0, None
        if roll > 0.97:
            state, failures, error_class = (
                "open",
                5,
                rng.choice(["THIRD_PARTY_AUTH_FAILED", "INTEGRATION_OFFLINE"]),
            )
        elif roll > 0.9:
            failures, error_class = (
                rng.randint(1, 4),
                rng.choice(["RATE_LIMITED", "TRANSIENT_NETWORK"]),
            )
        out.append(
            {
                "org_id": org_id,
                "provider": provider,
                "state": state,
                "consecutive_failures": failures,
                "opened_at": NOW - timedelta(seconds=30) if state == "open" else None,
                "retry_at": NOW + timedelta(seconds=30) if state == "open" else None,
                "last_success_at": NOW - timedelta(minutes=rng.randint(5, 600)),
                "last_failure_at": NOW - timedelta(minutes=rng.randint(0, 4))
                if error_class
                else None,
                "last_error_class": error_class,
                "last_error": f"{provider} said no" if error_class else None,
                "last_duration_ms": rng.randint(40, 900),
                "updated_at": NOW,
            }
        )
    return out


def _jobs(rng: random.Random, org_id: int, counters: dict) -> list[dict]:
    out: list[dict] = []
    backed_up = rng.random() < 0.02
    for n in range(rng.randint(30, 90) + (120 if backed_up else 0)):
        counters["job"] += 1
        roll = rng.random()
        if backed_up and n >= 30:
            status, run_at = "pending", NOW - timedelta(hours=rng.randint(1, 5))
        elif roll < 0.15:
            status, run_at = "pending", NOW + timedelta(minutes=rng.randint(-10, 3000))
        elif roll < 0.93:
            status, run_at = "completed", NOW - timedelta(minutes=rng.randint(1, 4000))
        else:
            status, run_at = "failed", NOW - timedelta(minutes=rng.randint(1, 4000))
        out.append(
            {
                "org_id": org_id,
                "kind": "sequence_send",
                "payload": {"send_id": counters["job"]},
                "idempotency_key": f"bench:{counters['job']}",
                "status": status,
                "attempts": 1,
                "max_attempts": 5,
                "run_at": run_at,
                "test_mode": False,
                "created_at": run_at - timedelta(minutes=1),
                "updated_at": run_at,
                "completed_at": run_at if status == "completed" else None,
                "error_class": "TRANSIENT_NETWORK" if status == "failed" else None,
            }
        )
    return out


def _runs(rng: random.Random, org_id: int) -> list[dict]:
    out: list[dict] = []
    for attempt in range(rng.choice([1, 1, 2])):
        failed = attempt == 0 and rng.random() < 0.05
        out.append(
            {
                "org_id": org_id,
                "trigger": "wizard" if attempt == 0 else "rerun",
                "status": "failed" if failed else "succeeded",
                "progress": 40 if failed else 100,
                "current_step": "phone_number" if failed else None,
                "attempts": 3 if failed else 0,
                "error": "No number available in this area." if failed else None,
                "fix": "Pick another area code and re-run setup." if failed else None,
                "created_at": NOW - timedelta(days=30 - attempt),
                "updated_at": NOW - timedelta(days=30 - attempt),
            }
        )
    return out


def _alerts(rng: random.Random, org_id: int) -> list[dict]:
    out: list[dict] = []
    for kind in ("delivery_rate", "ai_cost_spike"):
        if rng.random() < 0.08:
            out.append(
                {
                    "org_id": org_id,
                    "kind": kind,
                    "status": "resolved",
                    "open_kind": None,
                    "first_seen_at": NOW - timedelta(days=3),
                    "last_seen_at": NOW - timedelta(days=2),
                    "resolved_at": NOW - timedelta(days=2),
                    "notified_at": NOW - timedelta(days=3),
                    "detail": {"title": f"{kind} (resolved)"},
                }
            )
        if rng.random() < 0.04:
            out.append(
                {
                    "org_id": org_id,
                    "kind": kind,
                    "status": "open",
                    "open_kind": kind,
                    "first_seen_at": NOW - timedelta(hours=2),
                    "last_seen_at": NOW,
                    "resolved_at": None,
                    "notified_at": NOW - timedelta(hours=2),
                    "detail": {
                        "title": "Only 88% of messages were delivered in the last 24 hours",
                        "text": "",
                        "fix": "Open the outbox.",
                        "link": "/automation",
                    },
                }
            )
    return out


def build(url: str, workspaces: int) -> dict:
    from flask_migrate import upgrade

    from jobs.cli import build_app
    from webapp.core.extensions import db
    from webapp.models import JobRun, Organization, SchedulerNode

    app = build_app(
        {"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench", "SCHEDULER_ENABLED": False}
    )
    rng = random.Random(7)
    started = time.perf_counter()
    with app.app_context():
        upgrade()
        _sign_up_people(db.session)
        with db.engine.begin() as conn:
            conn.execute(
                insert(Organization),
                [
                    {
                        "name": f"{rng.choice(TOWNS)} {rng.choice(SHOPS)} {n}",
                        "timezone": "Europe/London",
                        "created_at": NOW - timedelta(days=rng.randint(1, 400)),
                    }
                    for n in range(workspaces - 1)
                ],
            )
            org_ids = [r[0] for r in conn.execute(text("SELECT id FROM organizations ORDER BY id"))]
            totals = _insert_workspace_rows(conn, rng, org_ids)
            conn.execute(insert(JobRun), _job_history())
            conn.execute(
                insert(SchedulerNode).values(
                    id="bench:1", hostname="bench", pid=1, started_at=NOW, seen_at=NOW
                )
            )
        if db.engine.dialect.name == "postgresql":
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(text("VACUUM ANALYZE"))
        else:
            with db.engine.begin() as conn:
                conn.execute(text("ANALYZE"))
        db.engine.dispose()
    print(
        f"built {workspaces:,} workspaces ({', '.join(f'{v:,} {k}' for k, v in totals.items())}) "
        f"in {time.perf_counter() - started:.1f} s",
        flush=True,
    )
    return {"owner": "owner@health-bench.example", "support": "support@health-bench.example"}


def _sign_up_people(session) -> None:
    """The owner of the first workspace, and a support person who sees every workspace."""
    from webapp.models import Membership
    from webapp.services.accounts import people as accounts

    _owner, first_org = accounts.sign_up(
        session,
        email="owner@health-bench.example",
        name="Bench Owner",
        password=PASSWORD,
        workspace="Bench Bakery",
        timezone="Europe/London",
        now=NOW - timedelta(days=60),
    )
    support = accounts.create_user(
        session,
        "support@health-bench.example",
        "Bench Support",
        PASSWORD,
        now=NOW - timedelta(days=60),
    )
    session.flush()
    session.add(Membership(org_id=first_org.id, user_id=support.id, role="support", created_at=NOW))
    session.commit()


def _insert_workspace_rows(conn, rng: random.Random, org_ids: list[int]) -> dict[str, int]:
    """Every workspace's rows (`rows_for`), inserted in batches; returns the count per kind."""
    from webapp.models import CircuitBreaker, HealthAlert, QueuedJob
    from webapp.models.provisioning import ProvisioningRun

    counters = {"job": 0}
    tables = {
        "breakers": CircuitBreaker,
        "jobs": QueuedJob,
        "runs": ProvisioningRun,
        "alerts": HealthAlert,
    }
    batch: dict[str, list[dict]] = {key: [] for key in tables}
    totals = dict.fromkeys(tables, 0)
    for org_id in org_ids:
        for key, rows in rows_for(rng, org_id, counters).items():
            batch[key].extend(rows)
        if len(batch["jobs"]) > 5000 or org_id == org_ids[-1]:
            for key, model in tables.items():
                if batch[key]:
                    conn.execute(insert(model), batch[key])
                    totals[key] += len(batch[key])
                    batch[key] = []
    return totals


def _job_history() -> list[dict]:
    """The scheduled jobs' runs: every 15 or 60 minutes, all succeeded."""
    runs = []
    for job, minutes in (("automation", 15), ("health_alerts", 15), ("housekeeping", 60)):
        for n in range(1, 200):
            at = NOW - timedelta(minutes=minutes * n)
            runs.append(
                {
                    "job": job,
                    "period": f"{at:%Y-%m-%dT%H:%M}",
                    "org_id": None,
                    "trigger": "schedule",
                    "status": "succeeded",
                    "holder": "bench",
                    "attempt": 1,
                    "started_at": at,
                    "heartbeat_at": at,
                    "finished_at": at,
                    "duration_ms": 120,
                    "summary": {},
                }
            )
    return runs


def timed(client, path: str, runs: int, headers: dict | None = None) -> tuple[list[float], str]:
    times, body = [], ""
    client.get(path, headers=headers)  # warm: templates compiled, connections opened
    for _ in range(runs):
        started = time.perf_counter()
        response = client.get(path, headers=headers)
        times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, (path, response.status_code)
        body = response.get_data(as_text=True)
    return times, body


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workspaces", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--widget-runs", type=int, default=40)
    args = parser.parse_args()

    url, drop = fresh_database("health")
    try:
        people = build(url, args.workspaces)
        from jobs.cli import build_app

        app = build_app(
            {
                "SQLALCHEMY_DATABASE_URI": url,
                "SECRET_KEY": "bench",
                "SCHEDULER_ENABLED": False,
                "WTF_CSRF_ENABLED": False,
                "CLOCK": lambda: NOW,
            }
        )
        with app.app_context():
            from webapp.core.extensions import db
            from webapp.services.ops.health_rows import refresh_health_rows

            started = time.perf_counter()
            refresh_health_rows(db.session, now=NOW)
            db.session.commit()
            print(f"health rows written in {(time.perf_counter() - started) * 1000:.0f} ms")
        support, owner = app.test_client(), app.test_client()
        for client, email in ((support, people["support"]), (owner, people["owner"])):
            response = client.post("/login", data={"email": email, "password": PASSWORD})
            assert response.status_code == 302, response.status_code

        support_ms, html = timed(support, "/support/health", args.runs)
        rows = len(re.findall(r'<tr id="ws-', html))
        statuses = re.findall(r'data-status="(\w+)"', html)
        widget_ms, _ = timed(
            owner, "/health/widget", args.widget_runs, headers={"HX-Request": "true"}
        )
        healthz_ms, _ = timed(owner, "/healthz", args.runs)
        page_ms, _ = timed(owner, "/health", args.runs)
        dialect = url.split(":", 1)[0]
        print(
            f"database: {dialect}; {args.workspaces:,} workspaces; first page shows {rows} rows "
            f"({statuses.count('unhealthy')} unhealthy, {statuses.count('degraded')} degraded on it)"
        )
        for name, values in (
            ("support view", support_ms),
            ("widget", widget_ms),
            ("/healthz", healthz_ms),
            ("health page", page_ms),
        ):
            print(
                f"{name:>13}: min {min(values):.1f} ms, median {statistics.median(values):.1f} ms, "
                f"max {max(values):.1f} ms ({len(values)} runs)"
            )
        report(args.workspaces, support_ms, healthz_ms, widget_ms)
    finally:
        drop()


def report(workspaces: int, support_ms, healthz_ms, widget_ms) -> None:
    """The `name: value` lines, each with the figure before the health rows beside it."""
    size = f"{workspaces // 1000}k" if workspaces % 1000 == 0 else str(workspaces)
    before = BEFORE_MS.get(workspaces, {})
    figures = {"support_health": support_ms, "healthz": healthz_ms, "widget_median": widget_ms}
    for name, values in figures.items():
        label = "widget_median_ms" if name == "widget_median" else f"{name}_{size}_ms"
        was = f" (before: {before[name]:.0f})" if name in before else ""
        print(f"{label}: {statistics.median(values):.1f}{was}")


if __name__ == "__main__":
    main()
