"""Benchmark: draining a due backlog of sequence emails, and the send rate against the
size of the due backlog.

    .venv/bin/python bench/drain.py [--backlog 100000] [--due 1000000] [--sample 5000]

Uses bench/dispatch.py's workspace (a 3-step email sequence, contacts enrolled so their
first email is due), its SMTP sink in a process of its own and its baseline (the same
mail built with the compat32 MIME classes, sent with smtplib over one connection).

- Drain: `--backlog` messages due at once, drained by `process_due` with no limit in a
  fresh process (what the scheduled job's worker is), every message acknowledged on its
  own. Prints `drain_<n>_msg_per_s:` and `drain_peak_rss_mb:` (that process's peak
  resident memory, with `drain_start_rss_mb:` beside it: the app loaded, before the
  drain), and the bare loop's rate over the same number of messages in the same run.
- Backlog size: the same `--sample` messages taken from a backlog of 10,000 due and from
  one of `--due` due, each in a fresh process: `dispatch_rate_10k_due:` and
  `dispatch_rate_<n>_due:` (messages a second). The claim reads due work as ordered index
  ranges (webapp/queue/due.py), so the two should match.

SQLite (a fresh file) and, with TEST_DATABASE_URL, PostgreSQL (a fresh database).
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.databases import fresh_database
from bench.dispatch import NOW, Sink, _app, baseline, build, same_messages, sink_capacity


def _short(n: int) -> str:
    return f"{n // 1_000_000}m" if n % 1_000_000 == 0 else f"{n // 1000}k"


def _status_kb(field: str) -> int:
    """VmRSS (now) or VmHWM (the peak) of this process. Not getrusage's ru_maxrss: Linux
    carries it over from the forked parent (this bench, holding the prepared mail) across
    exec, so a spawned child would report its parent's peak."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(f"{field}:"):
                return int(line.split()[1])
    return 0


def _drain(url: str, port: int, limit: int | None, answer) -> None:
    """In a fresh process: load the app, then send `limit` due messages (all, if None)."""
    from webapp.services.messaging import process_due

    app = _app(url, port)
    with app.app_context():
        start_kb = _status_kb("VmRSS")
        started = time.perf_counter()
        result = process_due(app, now=NOW, limit=limit)
        seconds = time.perf_counter() - started
    peak_kb = _status_kb("VmHWM")
    answer.send((result.sent, result.failed, seconds, start_kb, peak_kb))


def drain_in_child(url: str, port: int, limit: int | None) -> tuple:
    parent, child = multiprocessing.Pipe()
    process = multiprocessing.get_context("spawn").Process(
        target=_drain, args=(url, port, limit, child)
    )
    process.start()
    facts = parent.recv()
    process.join()
    return facts


def backlog(dialect: str, port: int, due: int):
    """A fresh database with `due` first emails due at NOW; returns (url, drop)."""
    from flask_migrate import upgrade

    from webapp.core.extensions import db

    url, drop = fresh_database("drain", dialect)
    app = _app(url, port)
    with app.app_context():
        upgrade()
        started = time.perf_counter()
        enrolled = build(due)
        assert enrolled == due, enrolled
        print(f"  built {due:,} due in {time.perf_counter() - started:.0f} s", flush=True)
        db.session.remove()
        db.engine.dispose()
    return url, drop


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backlog", type=int, default=100_000)
    parser.add_argument("--due", type=int, default=1_000_000)
    parser.add_argument("--sample", type=int, default=5_000)
    parser.add_argument("--skip", choices=["drain", "due"], default=None)
    args = parser.parse_args()
    dialects = ["sqlite"] + (["postgresql"] if os.environ.get("TEST_DATABASE_URL") else [])
    prepared = same_messages(max(args.backlog, args.sample, 5000))
    sink = Sink()
    try:
        print(f"sink_capacity: {sink_capacity(sink.port, prepared, 5000):.0f}")
        for dialect in dialects:
            name = "sqlite" if dialect == "sqlite" else "postgres"
            if args.skip != "drain":
                url, drop = backlog(dialect, sink.port, args.backlog)
                try:
                    sink.ask("clear")
                    sent, failed, seconds, start_kb, peak_kb = drain_in_child(url, sink.port, None)
                finally:
                    drop()
                assert sent == args.backlog and not failed, (sent, failed)
                assert sink.wait_for(sent)[1] == sent  # each Message-ID arrived once
                base = args.backlog / baseline(sink.port, args.backlog, prepared)
                print(
                    f"{name}: drained {sent:,} in {seconds:.1f} s; the bare loop {base:,.0f} msg/s"
                )
                print(f"drain_{_short(args.backlog)}_msg_per_s_{name}: {sent / seconds:.0f}")
                print(f"drain_start_rss_mb_{name}: {start_kb / 1024:.0f}")
                print(f"drain_peak_rss_mb_{name}: {peak_kb / 1024:.0f}")
            if args.skip != "due":
                for due in (10_000, args.due):
                    url, drop = backlog(dialect, sink.port, due)
                    try:
                        sent, _failed, seconds, _s, _p = drain_in_child(url, sink.port, args.sample)
                    finally:
                        drop()
                    assert sent == args.sample, sent
                    print(f"dispatch_rate_{_short(due)}_due_{name}: {sent / seconds:.0f}")
    finally:
        sink.stop()


if __name__ == "__main__":
    main()
