"""Benchmark: a 3-rule segment over 1,000,000 contacts with events, on SQLite.

    .venv/bin/python bench/segments.py [--contacts 1000000] [--changes 300]

Builds a fresh SQLite file (migrated to head) holding one workspace of 1,000,000 contacts
(a fifth of them "won"), 300,000 tags (vip, newsletter, trial) and about 2,000,000 events
(order.placed, page.viewed, cart.abandoned over the last 60 days), bulk-inserted with
executemany. The inbox's search trigger is dropped in this throwaway database first: it
indexes names for the lead inbox, which this benchmark does not measure, and would
triple the load time.

The segment: status is won AND has the tag vip AND did order.placed at least 2 times in
the last 30 days. Printed:

- segment_full_1m_seconds: the segment created from scratch through the service (rules
  parsed and checked, compiled, matched, every membership row written, committed).
  Target ≤ 10 on SQLite.
- segment_match_1m_seconds: the compiled query alone (the ids, nothing written).
- baseline_full_1m_seconds: the fastest of two hand-written SQL queries for the same
  members (the correlated one the compiler's shape mirrors, and one that starts from the
  events and intersects), nothing written; its member count must be the same.
- segment_incremental_ms: median of re-evaluating one changed contact (a tag added or
  removed through the tags service, or an event stored and its signal sent), including
  the change itself and the commit. Target ≤ 5.
- baseline_incremental_ms: median of the hand-written query for one contact alone.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import text  # noqa: E402

from bench.databases import fresh_database  # noqa: E402

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
CHUNK = 20_000
EVENT_NAMES = ["order.placed", "order.placed", "page.viewed", "cart.abandoned"]
STATUSES = ["new", "contacted", "qualified", "won", "lost"]
RULES = {
    "kind": "group",
    "match": "all",
    "rules": [
        {"kind": "rule", "field": "status", "operator": "equals", "value": "won"},
        {"kind": "rule", "field": "tag", "operator": "equals", "value": "vip"},
        {
            "kind": "rule",
            "field": "event",
            "event": "order.placed",
            "operator": "at_least",
            "value": 2,
            "days": 30,
        },
    ],
}
CORRELATED = """
SELECT l.id FROM leads l
WHERE l.org_id = :org AND l.status = 'won'
  AND EXISTS (SELECT 1 FROM lead_tags t WHERE t.org_id = :org AND t.lead_id = l.id AND t.tag = 'vip')
  AND (SELECT count(*) FROM events e WHERE e.org_id = :org AND e.lead_id = l.id
       AND e.name = 'order.placed' AND e.occurred_at >= :since) >= 2
"""
INTERSECTED = """
SELECT e.lead_id FROM events e
WHERE e.org_id = :org AND e.name = 'order.placed' AND e.occurred_at >= :since
GROUP BY e.lead_id HAVING count(*) >= 2
INTERSECT SELECT t.lead_id FROM lead_tags t WHERE t.org_id = :org AND t.tag = 'vip'
INTERSECT SELECT l.id FROM leads l WHERE l.org_id = :org AND l.status = 'won'
"""
ONE = CORRELATED + " AND l.id = :lead"


def stamp(at: datetime) -> str:
    """SQLAlchemy's SQLite storage form of a UTC datetime (naive, microseconds)."""
    return at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


def load(conn, org_id: int, contacts: int, rng: random.Random) -> tuple[int, int]:
    """Bulk-insert contacts, tags and events through the DBAPI. Returns (tags, events)."""
    raw = conn.connection.driver_connection
    raw.execute("DROP TRIGGER IF EXISTS leads_search_insert")
    raw.execute("PRAGMA cache_size = -400000")  # 400 MB for the load's index pages
    created = stamp(NOW - timedelta(days=200))
    lead_sql = (
        "INSERT INTO leads (id, org_id, full_name, email, company, source, status, score, "
        "score_reasons, notes, extra, search_text, created_at, updated_at) "
        "VALUES (?, ?, ?, ?, '', 'form', ?, ?, '[]', '', '{}', '', ?, ?)"
    )
    tag_sql = "INSERT INTO lead_tags (org_id, lead_id, tag, created_at) VALUES (?, ?, ?, ?)"
    event_sql = (
        "INSERT INTO events (org_id, lead_id, name, properties, message_id, source, "
        "occurred_at, received_at) VALUES (?, ?, ?, '{}', ?, 'api', ?, ?)"
    )
    tags = events = 0
    for start in range(1, contacts + 1, CHUNK):
        ids = range(start, min(start + CHUNK, contacts + 1))
        raw.executemany(
            lead_sql,
            [
                (
                    i,
                    org_id,
                    f"Contact {i}",
                    f"c{i}@example.com",
                    rng.choice(STATUSES),
                    i % 100,
                    created,
                    created,
                )
                for i in ids
            ],
        )
        tag_rows, event_rows = [], []
        for i in ids:
            for tag, share in (("vip", 0.2), ("newsletter", 0.08), ("trial", 0.02)):
                if rng.random() < share:
                    tag_rows.append((org_id, i, tag, created))
            for _ in range(rng.choice((0, 0, 1, 2, 2, 3, 4))):
                at = stamp(NOW - timedelta(seconds=rng.randrange(60 * 86400)))
                events += 1
                event_rows.append((org_id, i, rng.choice(EVENT_NAMES), f"m{events}", at, at))
        raw.executemany(tag_sql, tag_rows)
        raw.executemany(event_sql, event_rows)
        tags += len(tag_rows)
    return tags, events


def timed(fn) -> tuple[float, object]:
    started = time.perf_counter()
    result = fn()
    return time.perf_counter() - started, result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--contacts", type=int, default=1_000_000)
    parser.add_argument("--changes", type=int, default=300)
    args = parser.parse_args()

    from jobs.cli import build_app
    from webapp.core import signals
    from webapp.core.extensions import db

    url, drop = fresh_database("segments", "sqlite")
    app = build_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench", "CLOCK": lambda: NOW})
    rng = random.Random(7)
    with app.app_context():
        org_id = build(db, args.contacts, rng)
        segment, params = full(db, org_id)
        signals.segment_entered.connect(_count_entered, sender=app)
        incremental(db, org_id, segment, params, args.changes, rng)
        print(f"load average during the run: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
        db.engine.dispose()
    drop()
    if url.startswith("sqlite:///"):
        shutil.rmtree(Path(url.removeprefix("sqlite:///")).parent, ignore_errors=True)


def build(db, contacts: int, rng: random.Random) -> int:
    """Migrate, create the workspace, load its contacts. Returns the workspace id."""
    from flask_migrate import upgrade

    from webapp.services.accounts import people as accounts

    upgrade()
    _user, org = accounts.sign_up(
        db.session,
        email="owner@segments-bench.example",
        name="Bench",
        password="bench pw 123",
        workspace="Bench Shop",
        timezone="UTC",
        now=NOW - timedelta(days=400),
    )
    db.session.commit()
    org_id = org.id
    db.session.commit()  # no read snapshot left open while another connection loads
    with db.engine.begin() as conn:
        seconds, (tags, events) = timed(lambda: load(conn, org_id, contacts, rng))
    print(f"loaded {contacts:,} contacts, {tags:,} tags, {events:,} events in {seconds:.1f} s")
    db.session.execute(text("ANALYZE"))
    db.session.commit()
    return org_id


def full(db, org_id: int):
    """The baselines, the compiled query, and the segment created from scratch."""
    from webapp.services.segments.compiler import Context, matching
    from webapp.services.segments.manage import create_segment
    from webapp.services.segments.rules import parse_rules

    params = {"org": org_id, "since": stamp(NOW - timedelta(days=30))}
    baselines = {}
    for name, sql in (("correlated", CORRELATED), ("intersected", INTERSECTED)):
        # Best of two: the first run also warms the page cache for everything after it.
        runs = [
            timed(lambda sql=sql: set(db.session.execute(text(sql), params).scalars()))
            for _ in range(2)
        ]
        seconds, ids = min(runs, key=lambda r: r[0])
        baselines[name] = (seconds, ids)
        print(f"baseline {name}: {len(ids):,} members in {seconds:.2f} s")
    db.session.commit()
    expected = baselines["correlated"][1]
    assert baselines["intersected"][1] == expected

    tree = parse_rules(RULES, {})
    match_s, ids = timed(lambda: set(db.session.scalars(matching(tree, Context(org_id, NOW, {})))))
    assert ids == expected, "the compiled query found other members"
    db.session.commit()

    def create(name: str, rules: dict):
        segment = create_segment(db.session, org_id, name, rules, actor_id=None, now=NOW)
        db.session.commit()
        return segment

    cpu_start = time.process_time()
    full_s, segment = timed(lambda: create("Won VIPs", RULES))
    full_cpu = time.process_time() - cpu_start
    assert segment.member_count == len(expected)
    print(f"segment: {segment.member_count:,} members")
    print(f"segment_full_1m_seconds: {full_s:.2f}")
    print(f"segment_full_1m_cpu_seconds: {full_cpu:.2f}")
    print(f"segment_match_1m_seconds: {match_s:.2f}")
    print(f"baseline_full_1m_seconds: {min(s for s, _ in baselines.values()):.2f}")
    # A large membership too: every won contact (a fifth), all rows written.
    won_rules = {"kind": "group", "match": "all", "rules": [RULES["rules"][0]]}
    big_s, big = timed(lambda: create("Won", won_rules))
    print(f"segment_full_1m_won_seconds: {big_s:.2f} ({big.member_count:,} members written)")
    return segment, params


def incremental(db, org_id: int, segment, params: dict, changes: int, rng: random.Random):
    """Real changes, one contact at a time: a tag added to a contact without it, removed
    from one with it, or a new order; each re-evaluates the segment for that contact."""
    from webapp.services.segments import add_tag, remove_tag
    from webapp.services.segments.membership import Change, evaluate_contact

    def ids(sql: str) -> list[int]:
        found = list(db.session.execute(text(sql), {"o": org_id}).scalars())
        db.session.commit()
        return found

    tagged = set(ids("SELECT lead_id FROM lead_tags WHERE org_id = :o AND tag = 'vip'"))
    won = ids("SELECT id FROM leads WHERE org_id = :o AND status = 'won' LIMIT 20000")
    order = text(
        "INSERT INTO events (org_id, lead_id, name, properties, message_id, source, "
        "occurred_at, received_at) VALUES (:o, :l, 'order.placed', '{}', :m, 'api', :at, :at)"
    )
    ours, cpu, base = [], [], []
    for n in range(changes):
        lead_id = rng.choice(won)
        wall_start, cpu_start = time.perf_counter(), time.process_time()
        if n % 3 == 0 and lead_id not in tagged:
            add_tag(db.session, org_id, lead_id, "vip", now=NOW)
            tagged.add(lead_id)
        elif n % 3 == 1 and lead_id in tagged:
            remove_tag(db.session, org_id, lead_id, "vip", now=NOW)
            tagged.discard(lead_id)
        else:
            db.session.execute(order, {"o": org_id, "l": lead_id, "m": f"b{n}", "at": stamp(NOW)})
            evaluate_contact(
                db.session, org_id, lead_id, Change(events=frozenset({"order.placed"})), NOW
            )
        db.session.commit()
        ours.append((time.perf_counter() - wall_start) * 1000)
        cpu.append((time.process_time() - cpu_start) * 1000)
        started = time.perf_counter()
        db.session.execute(text(ONE), {**params, "lead": lead_id}).first()
        db.session.commit()
        base.append((time.perf_counter() - started) * 1000)
    final = set(db.session.execute(text(CORRELATED), params).scalars())
    stored = set(
        db.session.execute(
            text("SELECT lead_id FROM segment_members WHERE segment_id = :s AND exited_at IS NULL"),
            {"s": segment.id},
        ).scalars()
    )
    assert stored == final, "incremental membership drifted from the rules"
    print(f"changes: {changes}, entered signals: {len(_ENTERED)}, stored = rules: yes")
    print(f"segment_incremental_ms: {statistics.median(ours):.2f}")
    print(f"baseline_incremental_ms: {statistics.median(base):.2f}")
    print(f"segment_incremental_p95_ms: {sorted(ours)[int(len(ours) * 0.95)]:.2f}")
    print(f"segment_incremental_cpu_ms: {statistics.median(cpu):.2f}")


_ENTERED: list[int] = []


def _count_entered(_app, *, lead_id: int, **_: object) -> None:
    _ENTERED.append(lead_id)


if __name__ == "__main__":
    main()
