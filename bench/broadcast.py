"""Benchmark: a 100,000-recipient email broadcast end to end, beside the bare smtplib loop.

    .venv/bin/python bench/broadcast.py [--recipients 100000] [--rounds 10]

A broadcast's recipients are sequence messages to the dispatcher (services/broadcasts), so
this is the sequence send path at broadcast size: a workspace with `--recipients`
subscribed contacts, a broadcast to all of them started with `send_now` (the audience
expanded by three INSERT … SELECT statements: `broadcast_expand_seconds`), then
`process_due` drains it — claim in batches, render, tracked links, SMTP over one
connection, each message acknowledged on its own (crash-safe: a restart resumes from the
last acknowledged message; tests/broadcasts/test_crash.py kills a sender to prove it).

The sink, the baseline and the sink's own capacity are bench/dispatch.py's, imported: the
same mail (subject, text and HTML parts with the tracked links, the unsubscribe headers)
built with the compat32 MIME classes and sent with smtplib over ONE connection, measured
in slices interleaved with ours so both see the same machine load.

Prints `sink_capacity: X` (messages per second), `broadcast_expand_seconds_<db>: X`,
`sink_headroom_<db>: X` (the sink's capacity ÷ the faster side's rate: above 1, the sink
caps neither side), and
`broadcast_ratio_<db>: X` (ours ÷ baseline, messages per second) for SQLite and, with
TEST_DATABASE_URL, PostgreSQL; the first database's is also printed as `broadcast_ratio: X`.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import func, select, text

from bench.databases import fresh_database
from bench.dispatch import (
    BODY,
    NOW,
    Sink,
    _app,
    baseline,
    insert_contacts,
    same_messages,
    sink_capacity,
)

MESSAGE = {
    "name": "Winter menu",
    "channel": "email",
    "subject": "Welcome, {{firstName|there}}!",  # the same mail as bench/dispatch.py's
    "body": BODY.replace("{name}", "{{firstName|there}}"),
}


def build(recipients: int) -> tuple[int, float]:
    """A workspace with `recipients` contacts and a broadcast to all of them, started at
    NOW. Returns (recipients queued, seconds the start took)."""
    from webapp.core.extensions import db
    from webapp.models import Organization
    from webapp.services.broadcasts import create_broadcast, send_now

    org = Organization(
        name="Bench Bakery", timezone="Europe/London", created_at=NOW - timedelta(days=30)
    )
    db.session.add(org)
    db.session.commit()
    org_id = org.id
    db.session.remove()  # no snapshot older than the contacts below
    created = NOW - timedelta(days=1)
    insert_contacts(db.engine, org_id, recipients, created)
    with db.engine.connect() as conn:
        conn.execute(text("ANALYZE"))
    broadcast = create_broadcast(db.session, org_id, MESSAGE, actor_id=None, now=NOW)
    db.session.commit()
    started = time.perf_counter()
    queued = send_now(db.session, broadcast, actor_id=None, now=NOW)
    db.session.commit()
    seconds = time.perf_counter() - started
    with db.engine.connect() as conn:
        conn.execute(text("ANALYZE"))
    return queued, seconds


def ours(dialect: str, sink: Sink, recipients: int, prepared: list, rounds: int) -> dict:
    from flask_migrate import upgrade

    from webapp.core.extensions import db
    from webapp.models import QueuedJob
    from webapp.services.messaging import process_due

    url, drop = fresh_database("broadcast", dialect)
    app = _app(url, sink.port)
    try:
        with app.app_context():
            upgrade()
            queued, expand_seconds = build(recipients)
            assert queued == recipients, queued
            db.session.remove()
            slice_size = -(-recipients // rounds)
            ours_seconds = base_seconds = 0.0
            sent = batches = 0
            for first in range(0, recipients, slice_size):
                size = min(slice_size, recipients - first)
                base_seconds += baseline(sink.port, size, prepared, first)
                started = time.perf_counter()
                result = process_due(app, now=NOW, limit=size)
                ours_seconds += time.perf_counter() - started
                sent, batches = sent + result.sent, batches + result.batches
            completed = db.session.scalar(
                select(func.count()).select_from(QueuedJob).where(QueuedJob.status == "completed")
            )
            db.session.remove()
            db.engine.dispose()
        received, distinct = sink.wait_for(2 * recipients, timeout=120)
        return {
            "sent": sent,
            "completed": completed,
            "received": received,
            "distinct_message_ids": distinct,
            "seconds": ours_seconds,
            "baseline_seconds": base_seconds,
            "expand_seconds": expand_seconds,
            "batches": batches,
        }
    finally:
        drop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--recipients", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=10)
    args = parser.parse_args()
    n = args.recipients
    dialects = ["sqlite"] + (["postgresql"] if os.environ.get("TEST_DATABASE_URL") else [])
    prepared = same_messages(n)
    sink = Sink()
    try:
        capacity = sink_capacity(sink.port, prepared, min(n, 5000))
        print(f"sink_capacity: {capacity:.0f}")
        headline = None
        for dialect in dialects:
            sink.ask("clear")
            facts = ours(dialect, sink, n, prepared, args.rounds)
            # The sink got the baseline's copies and ours: every Message-ID of ours arrived once.
            assert (
                facts["sent"] == facts["completed"] == n
                and facts["received"] == facts["distinct_message_ids"] == 2 * n
            ), facts
            rate, base_rate = n / facts["seconds"], n / facts["baseline_seconds"]
            name = "sqlite" if dialect == "sqlite" else "postgres"
            print(
                f"{name}: ours {rate:,.0f} msg/s ({facts['seconds']:.1f} s, {facts['batches']} "
                f"batches); bare compat32 + smtplib loop sending the same mail {base_rate:,.0f} "
                f"msg/s ({facts['baseline_seconds']:.1f} s); sink capacity {capacity:,.0f} msg/s; "
                f"{n:,} recipients, each Message-ID received once"
            )
            print(f"broadcast_expand_seconds_{name}: {facts['expand_seconds']:.2f}")
            # Above 1, the sink takes more than either side sends: it caps neither.
            print(f"sink_headroom_{name}: {capacity / max(rate, base_rate):.2f}")
            print(f"broadcast_ratio_{name}: {rate / base_rate:.2f}")
            headline = headline or rate / base_rate
        print(f"broadcast_ratio: {headline:.2f}")
    finally:
        sink.stop()


if __name__ == "__main__":
    main()
