"""Benchmark: enrol 100,000 new contacts into a 3-step sequence, then drain the backlog.

    .venv/bin/python bench/enroll.py [--contacts 100000] [--no-drain]

Builds its own database (a fresh SQLite file, or a fresh database on the server of
TEST_DATABASE_URL): one workspace with an active 3-step email sequence and 100,000
contacts created after it was activated. Times `trigger_new_contacts` (the 15-minute
job's enrolment: enrolments, queue rows and sends in bulk), then drains the 100,000 due
first-step jobs to the local outbox through `process_due` (claim, render, deliver, mark
each message on its own, queue step 2), watching peak memory.

Prints on lines of their own: `enroll_100k_seconds: N`, `drain_100k_seconds: N` and
`peak_memory_mb: N` (the process's peak RSS; the target is under 300 MB).
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import func, insert, select, text

from bench.databases import activate_with_emails, fresh_database

NOW = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)  # a Tuesday, inside office hours
ZONES = (None, None, "Europe/London", "America/New_York", "Asia/Tokyo")


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def build(contacts: int) -> int:
    """One workspace, an active 3-step sequence, and `contacts` new contacts. Returns the org id."""
    from webapp.core.extensions import db
    from webapp.models import Lead

    org_id = _welcome_sequence(db.session)
    db.session.commit()
    db.session.remove()
    created = NOW - timedelta(hours=1)
    with db.engine.begin() as conn:
        for start in range(0, contacts, 5000):
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
                        "score": 10,
                        "score_reasons": [],
                        "timezone": ZONES[i % len(ZONES)],
                        "notes": "",
                        "extra": {},
                        "search_text": f"contact {i}",
                        "created_at": created,
                        "updated_at": created,
                    }
                    for i in range(start, min(start + 5000, contacts))
                ],
            )
    with db.engine.connect() as conn:
        conn.execute(text("ANALYZE"))
    return org_id


def _welcome_sequence(session) -> int:
    """A workspace with an active three-step email sequence for new contacts, sent in each
    contact's own office hours; returns its id."""
    from webapp.models import Organization
    from webapp.services.messaging import sequences

    org = Organization(
        name="Bench Bakery", timezone="Europe/London", created_at=NOW - timedelta(days=30)
    )
    session.add(org)
    session.flush()
    schedule = {
        "days": [0, 1, 2, 3, 4],
        "start": "09:00",
        "end": "18:00",
        "timezone_mode": "contact",
    }
    campaign = sequences.create_sequence(
        session,
        org.id,
        name="Welcome",
        schedule=schedule,
        actor_id=None,
        now=NOW - timedelta(days=1),
    )
    steps = (
        (
            "Welcome, {{firstName|there}}!",
            "Hi {{firstName|there}},\n\nThanks for joining {{companyName}}.\n\n"
            "Our menu: https://bench.example/menu",
            0,
        ),
        ("How was it?", "Hello again {{customerName}}.", 3),
        ("A treat for you", "{{firstName|Friend}}, 10% off this week at {{companyName}}.", 7),
    )
    activate_with_emails(session, campaign, steps, NOW - timedelta(days=1))
    return org.id


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contacts", type=int, default=100_000)
    parser.add_argument("--no-drain", action="store_true", help="only time the enrolment")
    args = parser.parse_args()

    from flask_migrate import upgrade

    from jobs.cli import build_app
    from webapp.core.extensions import db
    from webapp.models import QueuedJob
    from webapp.services.messaging import triggering

    url, drop = fresh_database("enroll")
    app = build_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "SECRET_KEY": "bench",
            "CLOCK": lambda: NOW,
            "SCHEDULER_ENABLED": False,
            "LOG_LEVEL": "WARNING",
        }
    )
    try:
        with app.app_context():
            upgrade()
            t0 = time.perf_counter()
            org_id = build(args.contacts)
            print(
                f"built {args.contacts:,} contacts in {time.perf_counter() - t0:.1f} s ({db.engine.dialect.name}); "
                f"peak so far {peak_mb():.0f} MB"
            )
            db.session.remove()

            started = time.perf_counter()
            result = triggering.trigger_new_contacts(db.session, org_id=org_id, now=NOW)
            db.session.commit()
            enroll_seconds = time.perf_counter() - started
            jobs = db.session.scalar(select(func.count()).select_from(QueuedJob))
            print(
                f"enrolled {result.enrolled:,} ({jobs:,} queue rows) in {enroll_seconds:.1f} s; "
                f"peak {peak_mb():.0f} MB"
            )
            assert result.enrolled == args.contacts, result
            assert triggering.trigger_new_contacts(db.session, org_id=org_id, now=NOW).enrolled == 0
            db.session.commit()
            db.session.remove()

            drain_seconds = None if args.no_drain else _drain(app)
            db.engine.dispose()
        print(f"enroll_100k_seconds: {enroll_seconds * 100_000 / args.contacts:.1f}")
        if drain_seconds is not None:
            print(f"drain_100k_seconds: {drain_seconds * 100_000 / args.contacts:.1f}")
        print(f"peak_memory_mb: {peak_mb():.0f}")
    finally:
        drop()


def _drain(app) -> float:
    """Send every message due by tomorrow through the engine; returns the seconds it took."""
    from webapp.core.extensions import db
    from webapp.models import OutboxMessage, QueuedJob
    from webapp.services.messaging import dispatch

    started = time.perf_counter()
    processed = dispatch.process_due(app, now=NOW + timedelta(days=1))
    drain_seconds = time.perf_counter() - started
    outbox = db.session.scalar(select(func.count()).select_from(OutboxMessage))
    left = db.session.scalar(
        select(func.count())
        .select_from(QueuedJob)
        .where(QueuedJob.status == "pending", QueuedJob.run_at <= NOW + timedelta(days=1))
    )
    print(
        f"drained: {processed.sent:,} sent ({outbox:,} in the outbox), {processed.failed} failed, "
        f"{left} still due, in {drain_seconds:.1f} s ({processed.sent / drain_seconds:,.0f}/s)"
    )
    db.session.remove()
    return drain_seconds


if __name__ == "__main__":
    main()
