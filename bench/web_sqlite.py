"""Benchmark: the served app on one SQLite file under concurrent clients, scheduler on.

    .venv/bin/python bench/web_sqlite.py [--duration 20] [--clients 20] [--workers 3]

Builds a fresh SQLite database (or uses --database-url), with one workspace: an owner, an API
key, 300 leads and an active email sequence with 300 contacts waiting to be enrolled. Starts
`autopilot serve --workers N` (gunicorn, each worker running the scheduler) on 127.0.0.1 and
lets `--clients` threads hammer it for `--duration` seconds, without pause:

- api_get     GET  /api/v1/leads            (API key; half of the clients)
- api_post    POST /api/v1/leads            (API key, a new lead each time)
- form_post   POST /f/<token>               (the public lead form, no session)
- page_get    GET  / and /leads             (signed in)
- page_post   POST /leads/<id>/notes        (signed in, CSRF token)

A quarter into the run the scheduled jobs run through `POST /api/v1/jobs/<name>/run` (the
runner the scheduler calls at a tick, under its lock): the 15-minute sequence job enrols the
300 contacts and sends their first emails (to the local outbox), acknowledging each, while
the load goes on.

Prints on lines of their own: `web_sqlite_5xx: N` (must be 0), `web_sqlite_requests: N`,
`web_sqlite_jobs_failed: N` (job runs that failed, must be 0) and the p95 latency of each
endpoint as `p95_<endpoint>_ms: N`.
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import requests  # noqa: E402

from bench.web_clients import (  # noqa: E402
    EMAIL,
    PASSWORD,
    SERVICE_TOKEN,
    Seeded,
    Tally,
    drive,
)

# Server settings: no provider at all (hermetic, the local outbox) and an API limit high
# enough to count every request (the limiter writes) without refusing any.
SERVER_ENV = {
    "SECRET_KEY": "bench-secret",
    "SERVICE_TOKEN": SERVICE_TOKEN,
    "API_REQUESTS_PER_MINUTE": "1000000",
    "LOG_LEVEL": "WARNING",
}
HERMETIC = ("SMTP_HOST", "TWILIO_ACCOUNT_SID", "OPENAI_API_KEY", "STRIPE_WEBHOOK_SECRET")


def seed(now: datetime, *, leads: int = 300, contacts: int = 300) -> Seeded:
    """The workspace the clients use; call inside an app context on the target database."""
    from sqlalchemy import insert, select

    from webapp.core.extensions import db
    from webapp.models import Lead, Membership
    from webapp.services.accounts import people
    from webapp.services.accounts.api_keys import create_api_key
    from webapp.services.leads.forms import form_token
    from webapp.services.messaging import sequence_lifecycle, sequences

    user, org = people.sign_up(
        db.session,
        email=EMAIL,
        name="Bench Owner",
        password=PASSWORD,
        workspace="Bench Bakery",
        timezone="Europe/London",
        now=now - timedelta(days=30),
    )
    owner = db.session.scalars(select(Membership).where(Membership.user_id == user.id)).one()
    _row, key = create_api_key(db.session, owner, "Bench", now=now - timedelta(days=1))
    campaign = sequences.create_sequence(
        db.session,
        org.id,
        name="Welcome",
        schedule=open_all_day(now),
        actor_id=None,
        now=now - timedelta(days=2),
    )
    sequences.add_step(
        db.session,
        campaign,
        channel="email",
        subject="Welcome, {{firstName|there}}!",
        body="Hi {{firstName|there}},\n\nThanks for joining {{companyName}}.",
        delay_value=0,
        delay_unit="minutes",
        actor_id=None,
        now=now - timedelta(days=2),
    )
    sequence_lifecycle.activate_sequence(
        db.session, campaign, actor_id=None, now=now - timedelta(days=2)
    )
    db.session.flush()

    def lead(i: int, created: datetime) -> dict:
        return {
            "org_id": org.id,
            "full_name": f"Contact {i}",
            "email": f"contact{i}@bench.example",
            "company": "",
            "source": "csv",
            "status": "new",
            "score": 10,
            "score_reasons": [],
            "notes": "",
            "extra": {},
            "search_text": f"contact {i} contact{i}@bench.example",
            "created_at": created,
            "updated_at": created,
        }

    # Leads from before the sequence started (never enrolled), then contacts that joined after.
    rows = [lead(i, now - timedelta(days=3)) for i in range(leads)]
    rows += [lead(leads + i, now - timedelta(hours=1)) for i in range(contacts)]
    db.session.execute(insert(Lead), rows)
    lead_ids = list(db.session.scalars(select(Lead.id).where(Lead.org_id == org.id).limit(50)))
    seeded = Seeded(key, form_token(SERVER_ENV["SECRET_KEY"], org.id), lead_ids)
    db.session.commit()
    return seeded


def open_all_day(now: datetime) -> dict:
    """A send window open every day, read in a zone where `now` is about noon: the default
    (weekdays 09:00–18:00 in the workspace's zone) would hold every email at other hours."""
    offset = 12 - now.astimezone(UTC).hour  # -11..12 hours east of UTC
    name = "Etc/GMT" if offset == 0 else f"Etc/GMT{-offset:+d}"  # Etc/GMT-3 is UTC+3
    return {"days": list(range(7)), "start": "00:00", "end": "23:59", "timezone": name}


# --- the server ---------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """`autopilot serve --workers N` (scheduler on) on 127.0.0.1, output to `log`."""

    def __init__(self, database_url: str, workers: int, log: Path) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log = log
        env = {k: v for k, v in os.environ.items() if k not in HERMETIC}
        env.update(SERVER_ENV, DATABASE_URL=database_url, PYTHONPATH=str(ROOT))
        env["PUBLIC_URL"] = self.base
        command = [sys.executable, "-c", "from jobs.cli import main; main()", "serve"]
        command += ["--host", "127.0.0.1", "--port", str(self.port), "--workers", str(workers)]
        with open(log, "w") as out:
            self.proc = subprocess.Popen(
                command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT
            )

    def wait_ready(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"the server exited {self.proc.returncode}:\n{self.output()}")
            try:
                if requests.get(f"{self.base}/login", timeout=2).status_code == 200:
                    return
            except requests.ConnectionError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"the server did not answer in {timeout} s:\n{self.output()}")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()  # gunicorn: graceful stop of every worker
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""


# --- the result ---------------------------------------------------------------------------


@dataclass
class Result:
    tally: Tally
    failed_runs: list[str]
    failed_queue_jobs: int
    outbox: int
    server_log: str

    @property
    def jobs_failed(self) -> int:
        http_failed = sum(1 for status in self.tally.jobs.values() if status not in (200, 409))
        return max(http_failed, len(self.failed_runs))

    def p95_ms(self, name: str) -> float:
        values = sorted(self.tally.latencies.get(name, []))
        if not values:
            return 0.0
        return values[min(len(values) - 1, int(0.95 * len(values)))] * 1000

    def lines(self) -> list[str]:
        out = [
            f"web_sqlite_5xx: {self.tally.server_errors}",
            f"web_sqlite_requests: {self.tally.requests}",
            f"web_sqlite_jobs_failed: {self.jobs_failed}",
        ]
        out += [f"p95_{name}_ms: {self.p95_ms(name):.0f}" for name in sorted(self.tally.latencies)]
        return out


def outcome(tally: Tally, server_log: str) -> Result:
    """What the database says about the jobs: failed runs and failed queue jobs, the outbox."""
    from sqlalchemy import func, select

    from webapp.core.extensions import db
    from webapp.models import JobRun, OutboxMessage, QueuedJob

    db.session.remove()
    failed = db.session.execute(
        select(JobRun.job, JobRun.error).where(JobRun.status == "failed")
    ).all()
    failed_jobs = db.session.scalar(
        select(func.count()).select_from(QueuedJob).where(QueuedJob.status == "failed")
    )
    outbox = db.session.scalar(select(func.count()).select_from(OutboxMessage))
    db.session.remove()
    return Result(
        tally,
        [f"{job}: {error}" for job, error in failed],
        failed_jobs or 0,
        outbox or 0,
        server_log,
    )


def run(
    database_url: str, seeded: Seeded, *, duration: float, clients: int, workers: int, log: Path
) -> Result:
    """Serve `database_url` (already seeded) and drive it; call inside an app context on it."""
    server = Server(database_url, workers, log)
    try:
        server.wait_ready()
        tally = drive(server.base, seeded, duration=duration, clients=clients)
    finally:
        server.stop()
    return outcome(tally, server.output())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=20.0, help="seconds of load")
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--database-url", help="default: a fresh SQLite file")
    args = parser.parse_args()

    from flask_migrate import upgrade

    from bench.databases import fresh_database
    from jobs.cli import build_app
    from webapp.core.extensions import db

    url, drop = (
        (args.database_url, lambda: None) if args.database_url else fresh_database("web", "sqlite")
    )
    app = build_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "SECRET_KEY": SERVER_ENV["SECRET_KEY"],
            "SCHEDULER_ENABLED": False,
        }
    )
    try:
        with app.app_context():
            upgrade()
            seeded = seed(datetime.now(UTC))
            db.session.remove()
            log = (
                Path(url.removeprefix("sqlite:///")).with_name("server.log")
                if url.startswith("sqlite")
                else Path("web_bench_server.log")
            )
            result = run(
                url,
                seeded,
                duration=args.duration,
                clients=args.clients,
                workers=args.workers,
                log=log,
            )
            db.engine.dispose()
        for name, counts in sorted(result.tally.statuses.items()):
            print(f"{name}: {dict(sorted(counts.items()))}")
        print(
            f"jobs: {result.tally.jobs}; failed runs: {result.failed_runs}; failed queue jobs: {result.failed_queue_jobs}; outbox: {result.outbox}"
        )
        locked = result.server_log.count("database is locked")
        print(f"'database is locked' in the server log: {locked} (log: {log})")
        for error in result.tally.errors[:5]:
            print(f"  e.g. {error}")
        for line in result.lines():
            print(line)
    finally:
        drop()


if __name__ == "__main__":
    main()
