"""Benchmark: 20,000 sequence emails end to end, beside a bare smtplib loop.

    .venv/bin/python bench/dispatch.py [--messages 20000]

A local aiosmtpd sink (tests/fakes/smtp_server.py) runs in its own process. For each
database — SQLite (a fresh file) and, when TEST_DATABASE_URL is set, PostgreSQL (a fresh
database on that server) — the benchmark builds a workspace with a 3-step email sequence
and 20,000 enrolled contacts whose first email is due, then times `process_due` draining
them: claim in batches, render, SMTP over one connection per batch, and for each message
mark its job completed, record the send and queue step 2, committed on its own.

Beside it, in the same run and against the same sink, the baseline (DESIGN.md,
"Benchmarks"): the fastest honest way to do the same work, a bare loop that builds each
message with the email package's compat32 MIME classes (multipart/alternative, a text and
an HTML part, the same headers as the engine's mail: From, To, Subject, Date, Message-ID
and the List-Unsubscribe pair) and sends it with smtplib over ONE connection. Its content
(the rendered text and HTML with the tracked links) is prepared before its clock starts,
so the ratio is what the engine itself costs; a minimal-mail loop is printed beside it for
reference. Each database's run is compared with baselines measured right before it.

The sink's own capacity is measured too: a raw loop that sends pre-built bytes and does
nothing else. A baseline close to it means the sink caps both sides and the ratio says
little.

Prints on lines of their own: `sink_capacity: X` (messages per second), then
`dispatch_ratio_sqlite: X` and, with TEST_DATABASE_URL, `dispatch_ratio_postgres: X`
(ours ÷ baseline, messages per second).
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import smtplib
import sys
import time
from datetime import UTC, datetime, timedelta
from email.charset import QP, Charset
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.policy import compat32
from email.utils import formatdate
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import func, insert, select, text

from bench.databases import activate_with_emails, fresh_database

NOW = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)  # a Tuesday, inside office hours
BODY = (
    "Hi {name},\n\nThanks for joining Bench Bakery. Our menu: https://bench.example/menu\n\n"
    "See you soon!"
)


# --- the sink, in its own process -------------------------------------------------------------


def _sink_process(conn) -> None:
    from tests.fakes.smtp_server import SmtpSink

    sink = SmtpSink().start()
    conn.send(sink.port)
    while True:
        command = conn.recv()
        if command == "count":
            ids = [m.message_id for m in sink.messages]
            conn.send((len(ids), len(set(ids))))
        elif command == "clear":
            sink.messages.clear()
            conn.send(True)
        else:
            sink.stop()
            conn.send(True)
            return


class Sink:
    def __init__(self) -> None:
        self.conn, child = multiprocessing.Pipe()
        self.process = multiprocessing.get_context("spawn").Process(
            target=_sink_process, args=(child,), daemon=True
        )
        self.process.start()
        self.port = self.conn.recv()

    def ask(self, command: str):
        self.conn.send(command)
        return self.conn.recv()

    def wait_for(self, count: int, timeout: float = 60) -> tuple[int, int]:
        deadline = time.monotonic() + timeout
        while True:
            got = self.ask("count")
            if got[0] >= count or time.monotonic() > deadline:
                return got
            time.sleep(0.05)

    def stop(self) -> None:
        self.ask("stop")
        self.process.join(5)


# --- the baseline -----------------------------------------------------------------------------


def same_messages(messages: int) -> list[tuple[str, str, str, dict]]:
    """The bytes our engine sends, prepared before the clock starts: the baseline sends the
    same mail (subject, text and HTML parts, the unsubscribe headers), so the ratio measures
    what the engine adds — claiming, rendering, tracking links, marking each message."""
    from webapp.services.marketing.email_layout import LayoutBrand, compile_layout
    from webapp.services.messaging.templating import text_to_html
    from webapp.services.messaging.tracking import LinkMaker

    links = LinkMaker("https://bench.example", "bench")
    layout = compile_layout(LayoutBrand("Bench Bakery"))  # the frame of a workspace with no brand
    prepared = []
    for i in range(messages):
        text_part = BODY.format(name="Contact")  # {{firstName}} of "Contact i"
        decorated = links.decorate_email(
            i + 1,
            text_part,
            text_to_html(text_part),
            org_name="Bench Bakery",
            layout=layout,
            subject="Welcome, Contact!",
        )
        prepared.append(("Welcome, Contact!", decorated.text, decorated.html, decorated.headers))
    return prepared


UTF8_QP = Charset("utf-8")
UTF8_QP.body_encoding = QP  # what the engine's mail uses
SENDER = "Bench Bakery <hello@bench.example>"
SMTP_LINES = compat32.clone(linesep="\r\n")  # what smtplib's send_message writes


def compat32_message(i: int, subject: str, text_part: str, html_part: str, headers: dict):
    """One message built the cheapest correct way: the compat32 MIME classes."""
    msg = MIMEMultipart("alternative")
    msg.attach(MIMEText(text_part, "plain", UTF8_QP))
    msg.attach(MIMEText(html_part, "html", UTF8_QP))
    msg["From"] = SENDER
    msg["To"] = f"contact{i}@example.com"
    msg["Subject"] = subject
    msg["Date"] = formatdate()
    msg["Message-ID"] = f"<baseline-{i}@bench.example>"
    for name, value in headers.items():
        msg[name] = value
    return msg


def baseline(port: int, messages: int, prepared: list | None = None, first: int = 0) -> float:
    """Seconds a bare smtplib loop over one connection takes to build and send `messages`."""
    started = time.perf_counter()
    with smtplib.SMTP("127.0.0.1", port, local_hostname="bench.example") as smtp:
        for i in range(first, first + messages):
            if prepared is None:  # a minimal message
                text_part = BODY.format(name=f"Contact {i}")
                msg = compat32_message(i, "Welcome, there!", text_part, f"<p>{text_part}</p>", {})
            else:
                msg = compat32_message(i, *prepared[i])
            smtp.send_message(msg)
    return time.perf_counter() - started


def sink_capacity(port: int, prepared: list, messages: int) -> float:
    """Messages a second the sink takes when the client does nothing but send ready bytes."""
    ready = [
        (f"contact{i}@example.com", compat32_message(i, *prepared[i]).as_bytes(policy=SMTP_LINES))
        for i in range(messages)
    ]
    with smtplib.SMTP("127.0.0.1", port, local_hostname="bench.example") as smtp:
        started = time.perf_counter()
        for to, data in ready:
            smtp.sendmail("hello@bench.example", [to], data)
        seconds = time.perf_counter() - started
    return messages / seconds


# --- ours --------------------------------------------------------------------------------------


def build(messages: int) -> int:
    from webapp.core.extensions import db
    from webapp.services.messaging import triggering

    org_id = _welcome_sequence(db.session)
    db.session.commit()
    db.session.remove()  # no snapshot older than the contacts below
    created = NOW - timedelta(hours=1)
    insert_contacts(db.engine, org_id, messages, created)
    enrolled = triggering.trigger_new_contacts(db.session, org_id=org_id, now=NOW).enrolled
    db.session.commit()
    with db.engine.connect() as conn:
        conn.execute(text("ANALYZE"))
    return enrolled


def insert_contacts(engine, org_id: int, count: int, created) -> None:
    """`count` subscribed email contacts, inserted 5,000 a statement."""
    from webapp.models import Lead

    with engine.begin() as conn:
        for start in range(0, count, 5000):
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
                        "notes": "",
                        "extra": {},
                        "search_text": f"contact {i}",
                        "created_at": created,
                        "updated_at": created,
                    }
                    for i in range(start, min(start + 5000, count))
                ],
            )


def _welcome_sequence(session) -> int:
    """A workspace with an active three-step email sequence for new contacts; returns its id."""
    from webapp.models import Organization
    from webapp.services.messaging import sequences

    org = Organization(
        name="Bench Bakery", timezone="Europe/London", created_at=NOW - timedelta(days=30)
    )
    session.add(org)
    session.flush()
    schedule = {"days": [0, 1, 2, 3, 4], "start": "09:00", "end": "18:00"}
    campaign = sequences.create_sequence(
        session,
        org.id,
        name="Welcome",
        schedule=schedule,
        actor_id=None,
        now=NOW - timedelta(days=1),
    )
    steps = (
        ("Welcome, {{firstName|there}}!", BODY.replace("{name}", "{{firstName|there}}"), 0),
        ("How was it?", "Hello again {{customerName}}.", 3),
        ("A treat for you", "{{firstName|Friend}}, 10% off this week.", 7),
    )
    activate_with_emails(session, campaign, steps, NOW - timedelta(days=1))
    return org.id


def ours(dialect: str, sink: Sink, messages: int, prepared: list, rounds: int) -> dict:
    """Drain the due messages through `process_due` in `rounds` slices, each right after the
    baseline loop sends the same slice, so both see the same machine load."""
    from flask_migrate import upgrade

    from webapp.core.extensions import db
    from webapp.models import QueuedJob
    from webapp.services.messaging import (
        dispatch,
    )

    url, drop = fresh_database("dispatch", dialect)
    app = _app(url, sink.port)
    try:
        with app.app_context():
            upgrade()
            enrolled = build(messages)
            assert enrolled == messages, enrolled
            db.session.remove()
            slice_size = -(-messages // rounds)
            ours_seconds = base_seconds = 0.0
            sent = failed = batches = 0
            for first in range(0, messages, slice_size):
                size = min(slice_size, messages - first)
                base_seconds += baseline(sink.port, size, prepared, first)
                started = time.perf_counter()
                result = dispatch.process_due(app, now=NOW, limit=size)
                ours_seconds += time.perf_counter() - started
                sent, failed, batches = (
                    sent + result.sent,
                    failed + result.failed,
                    batches + result.batches,
                )
            completed = db.session.scalar(
                select(func.count()).select_from(QueuedJob).where(QueuedJob.status == "completed")
            )
            db.session.remove()
            db.engine.dispose()
        received, distinct = sink.wait_for(2 * messages)
        return {
            "sent": sent,
            "failed": failed,
            "completed": completed,
            "received": received,
            "distinct_message_ids": distinct,
            "seconds": ours_seconds,
            "baseline_seconds": base_seconds,
            "batches": batches,
        }
    finally:
        drop()


def _app(url: str, smtp_port: int):
    """The app the engine runs in: mail to the sink, no rate limit, the clock at NOW."""
    from jobs.cli import build_app

    return build_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "SECRET_KEY": "bench",
            "CLOCK": lambda: NOW,
            "SCHEDULER_ENABLED": False,
            "LOG_LEVEL": "WARNING",
            "SMTP_HOST": "127.0.0.1",
            "SMTP_PORT": smtp_port,
            "SMTP_STARTTLS": False,
            "SMTP_SSL": False,
            "SMTP_FROM": "Bench Bakery <hello@bench.example>",
            "EMAIL_PER_MINUTE": 0,
            "PUBLIC_URL": "https://bench.example",
        }
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=20_000)
    parser.add_argument(
        "--rounds", type=int, default=10, help="interleaved slices (evens out machine load)"
    )
    args = parser.parse_args()
    dialects = ["sqlite"] + (["postgres"] if os.environ.get("TEST_DATABASE_URL") else [])
    prepared = same_messages(args.messages)
    sink = Sink()
    try:
        capacity = sink_capacity(sink.port, prepared, min(args.messages, 5000))
        print(f"sink_capacity: {capacity:.0f}")
        for dialect in dialects:
            sink.ask("clear")
            minimal_seconds = baseline(sink.port, args.messages // 4)
            sink.ask("clear")
            facts = ours(
                "sqlite" if dialect == "sqlite" else "postgresql",
                sink,
                args.messages,
                prepared,
                args.rounds,
            )
            n = args.messages
            # The sink got the baseline's copies and ours: every Message-ID of ours arrived once.
            assert (
                facts["sent"] == facts["completed"] == n
                and facts["received"] == facts["distinct_message_ids"] == 2 * n
            ), facts
            rate, base_rate = n / facts["seconds"], n / facts["baseline_seconds"]
            minimal_rate = (args.messages // 4) / minimal_seconds
            print(
                f"{dialect}: ours {rate:,.0f} msg/s ({facts['seconds']:.1f} s, {facts['batches']} batches); "
                f"bare compat32 + smtplib loop sending the same mail {base_rate:,.0f} msg/s ({facts['baseline_seconds']:.1f} s), "
                f"a minimal mail {minimal_rate:,.0f} msg/s; {n:,} jobs completed, each Message-ID received once"
            )
            print(f"  (against the minimal-mail loop the ratio is {rate / minimal_rate:.2f})")
            print(f"dispatch_ratio_{dialect}: {rate / base_rate:.2f}")
    finally:
        sink.stop()


if __name__ == "__main__":
    main()
