"""Benchmark: the lead inbox of a workspace with 200,000 leads, through the real app over HTTP.

    .venv/bin/python bench/inbox.py [--leads 200000] [--requests 60] [--keep]
                                    [--reuse DATABASE_URL]

Builds its own database (a fresh SQLite file, or a fresh database on the server of
TEST_DATABASE_URL), migrated to head, with one workspace holding 200,000 leads with
realistic names, emails, phones, companies, statuses, sources, scores (by the app's own
`score_lead`) and arrival dates over a year. Serves the app with gunicorn
(`autopilot serve`) in a child process on 127.0.0.1, signs in through the login form and
times full page loads of the inbox:

- first page:    GET /leads
- search:        GET /leads?q=…   (surnames, first names, an exact address, a company,
                 a phone number typed the local way, a domain, a term found nowhere)
- filtered page: GET /leads?status=…&min_score=…&source=…&sort=… (a rotating mix)

Prints the median and p95 of each and, on its own line, `inbox_p95_ms: N` (the worst p95;
with 1,000,000 leads or more also `inbox_p95_ms_1m: N`). The leads are loaded with the
indexes dropped and built again after (a million leads in a few minutes); `--keep` keeps the
database and prints its URL, so `--reuse URL` times it again without building it.
Targets: median ≤ 50 ms and p95 ≤ 100 ms each.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import signal
import socket
import statistics
import subprocess
import sys
import time
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, insert, text  # noqa: E402

from bench.databases import BENCH_EMAIL as EMAIL  # noqa: E402
from bench.databases import BENCH_PASSWORD as PASSWORD  # noqa: E402
from bench.databases import app_with_owner, fresh_database  # noqa: E402
from webapp.models.lead import LEAD_SEARCH_FTS  # noqa: E402

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
CHUNK = 5_000

FIRST = """james mary john patricia robert jennifer michael linda william elizabeth david barbara richard
susan joseph jessica thomas sarah charles karen christopher nancy daniel lisa matthew betty anthony
margaret mark sandra donald ashley steven kimberly paul emily andrew donna joshua michelle kenneth carol
kevin amanda brian melissa george deborah timothy stephanie ronald rebecca edward sharon jason laura
jeffrey cynthia ryan kathleen jacob amy gary angela nicholas shirley eric anna jonathan brenda stephen
pamela larry emma justin nicole scott helen brandon samantha benjamin katherine samuel christine
olivia noah amelia oliver isla harry ava jack mia charlie ella leo grace oscar freya arthur lily
muhammad sofia priya arjun wei mei yuki hiro lucas chloe hugo camille mateo lucia sven ingrid""".split()
LAST = """smith jones williams taylor brown davies evans wilson thomas johnson roberts robinson thompson
wright walker white edwards hughes green hall lewis harris clarke patel jackson wood turner martin
cooper hill ward morris moore clark lee king baker harrison morgan allen james scott phillips watson
davis parker price bennett young griffiths mitchell kelly cook carter richardson bailey collins bell
shaw murphy miller cox richards khan marshall anderson simpson ellis adams singh begum wilkinson
foster chapman powell webb rogers gray mason ali hunt hussain campbell matthews owen palmer holmes
mills barnes knight lloyd butler russell barker fisher stevens jenkins murray dixon harvey garcia
nguyen kim chen wang silva santos rossi muller dubois novak kowalski ivanov yilmaz okafor mensah""".split()
COMPANY_WORDS = """bakery studio consulting builders dental fitness legal design print garden motors
salon cafe florist plumbing roofing cleaning catering tutoring travel optics vets pharmacy estates
logistics events media software accounting joinery electrics bikes""".split()
FREE_MAIL = (
    ["gmail.com"] * 10
    + ["yahoo.com"] * 3
    + ["outlook.com"] * 3
    + ["hotmail.co.uk"] * 2
    + ["icloud.com"] * 2
)
STATUSES = ["new"] * 45 + ["contacted"] * 25 + ["qualified"] * 15 + ["won"] * 8 + ["lost"] * 7
SOURCES = (
    ["form"] * 35
    + ["csv"] * 20
    + ["referral"] * 10
    + ["facebook"] * 10
    + ["google_ads"] * 10
    + ["api"] * 10
    + ["manual"] * 5
)
ZONES = [None] * 8 + ["Europe/London", "America/New_York"]


def make_lead(rng: random.Random, n: int, org_id: int) -> dict:
    from webapp.services.leads.fields import search_text_for
    from webapp.services.leads.scoring import score_lead

    first, last = rng.choice(FIRST), rng.choice(LAST)
    company = f"{last.title()} {rng.choice(COMPANY_WORDS).title()}" if rng.random() < 0.6 else ""
    if company and rng.random() < 0.7:
        domain = re.sub(r"[^a-z]", "", company.lower()) + rng.choice([".co.uk", ".com", ".io"])
    else:
        domain = rng.choice(FREE_MAIL)
    sep = rng.choice([".", "", "_", "."])
    email = f"{first}{sep}{last}{n if rng.random() < 0.8 else ''}@{domain}".lower()
    phone = f"+447{rng.choice('1234589')}{rng.randrange(10**8):08d}" if rng.random() < 0.7 else None
    lead = SimpleNamespace(  # what scoring reads, without the ORM's bookkeeping per row
        full_name=f"{first.title()} {last.title()}",
        email=email,
        phone=phone,
        company=company,
        source=rng.choice(SOURCES),
        extra={"_seen": 2 if rng.random() < 0.05 else 1},
        unsubscribed_at=None,
    )
    score, reasons = score_lead(lead)
    created = NOW - timedelta(seconds=rng.randrange(365 * 86400))
    return {
        "org_id": org_id,
        "full_name": lead.full_name,
        "email": email,
        "phone": phone,
        "company": company,
        "source": lead.source,
        "status": rng.choice(STATUSES),
        "score": score,
        "score_reasons": reasons,
        "timezone": rng.choice(ZONES),
        "notes": "",
        "extra": lead.extra,
        "search_text": search_text_for(lead),
        "created_at": created,
        "updated_at": created,
    }


def build(url: str, leads: int) -> dict:
    """Migrate, create the owner and workspace, bulk-insert the leads. Returns search terms."""

    from webapp.core.extensions import db
    from webapp.models import Lead

    app, org_id = app_with_owner(url, "Bench Bakery", NOW - timedelta(days=400))
    rng = random.Random(42)
    with app.app_context():
        sample: list[dict] = []
        started = time.perf_counter()
        with db.engine.begin() as conn, indexes_built_after(conn):
            for start in range(0, leads, CHUNK):
                rows = [make_lead(rng, n, org_id) for n in range(start, min(start + CHUNK, leads))]
                conn.execute(insert(Lead), rows)
                sample.extend(rng.sample(rows, 3))
            print(f"inserted {leads:,} leads in {time.perf_counter() - started:.1f} s", flush=True)
        print(f"indexed them by {time.perf_counter() - started:.1f} s", flush=True)
        # What a running server keeps up to date by itself: statistics for the planner and, on
        # PostgreSQL, autovacuum's visibility map (index-only scans need it after a bulk load).
        if db.engine.dialect.name == "postgresql":
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(text("VACUUM ANALYZE leads"))
        else:
            with db.engine.begin() as conn:
                conn.execute(text("ANALYZE"))
        db.engine.dispose()
    with_phone = [r for r in sample if r["phone"]]
    companies = [r["company"] for r in sample if r["company"]]
    return {
        "leads": leads,
        "exact_emails": [r["email"] for r in sample[:20]],
        "phones": ["0" + r["phone"][3:7] + " " + r["phone"][7:] for r in with_phone[:10]],
        "companies": companies[:10],
    }


@contextmanager
def indexes_built_after(conn):
    """Drop the leads' secondary indexes (and SQLite's search triggers) for a bulk load and
    build them again after it: one sort per index instead of a million random inserts."""
    if conn.dialect.name == "sqlite":
        conn.execute(text("PRAGMA cache_size = -262144"))  # 256 MB for the index sorts
        objects = conn.execute(
            text(
                "SELECT type, name, sql FROM sqlite_master WHERE tbl_name = 'leads'"
                " AND type IN ('index', 'trigger') AND sql IS NOT NULL ORDER BY type"
            )
        ).all()  # indexes sort before triggers
    else:
        objects = conn.execute(
            text(
                "SELECT 'index', indexname, indexdef FROM pg_indexes WHERE tablename = 'leads'"
                " AND indexname NOT IN (SELECT conname FROM pg_constraint)"
            )
        ).all()
    for kind, name, _sql in objects:
        conn.execute(text(f"DROP {kind.upper()} {name}"))
    yield
    for _kind, _name, sql in objects:
        conn.execute(text(sql))
    if any(kind == "trigger" for kind, _name, _sql in objects):
        conn.execute(text(f"INSERT INTO {LEAD_SEARCH_FTS}({LEAD_SEARCH_FTS}) VALUES ('rebuild')"))


def terms_from(url: str) -> dict:
    """Search terms taken from the leads of an existing bench database (`--reuse`)."""
    engine = create_engine(url)
    with engine.connect() as conn:
        rows = conn.execute(
            text("SELECT email, phone, company FROM leads WHERE id % 9973 = 0 ORDER BY id LIMIT 40")
        ).all()
        leads = conn.scalar(text("SELECT count(*) FROM leads"))
    engine.dispose()
    return {
        "leads": leads,
        "exact_emails": [r.email for r in rows[:20]],
        "phones": ["0" + r.phone[3:7] + " " + r.phone[7:] for r in rows if r.phone][:10],
        "companies": [r.company for r in rows if r.company][:10],
    }


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def serve(url: str) -> tuple[subprocess.Popen, str]:
    port = free_port()
    env = {**os.environ, "DATABASE_URL": url, "SECRET_KEY": "bench", "LOG_LEVEL": "WARNING"}
    env.pop("TEST_DATABASE_URL", None)
    autopilot = str(Path(sys.executable).with_name("autopilot"))
    proc = subprocess.Popen(
        [
            autopilot,
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            "1",
            "--threads",
            "4",
            "--no-scheduler",
        ],
        env=env,
        cwd=str(ROOT),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return proc, f"http://127.0.0.1:{port}"
        except OSError:
            time.sleep(0.2)
    proc.kill()
    raise SystemExit("the server did not start")


def sign_in(base: str):
    import requests

    session = requests.Session()
    page = session.get(f"{base}/login").text
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    answer = session.post(
        f"{base}/login",
        data={"email": EMAIL, "password": PASSWORD, "csrf_token": token},
        allow_redirects=False,
    )
    assert answer.status_code == 302, answer.text[:300]
    return session


def timed(session, base: str, queries: list[dict], n: int) -> list[float]:
    times = []
    for i in range(n):
        params = queries[i % len(queries)]
        started = time.perf_counter()
        response = session.get(f"{base}/leads", params=params)
        times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, (params, response.status_code)
        assert "Showing" in response.text or "No leads match" in response.text, params
    return times


def server_cpu_seconds(pid: int) -> float:
    """CPU time used so far by the server and its workers (Linux /proc), to tell the app's
    own cost apart from waiting for a busy machine."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(entry.name) == pid or int(fields[1]) == pid:  # fields[1] is the parent pid
            total += (int(fields[11]) + int(fields[12])) / tick
    return total


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[max(0, round(0.95 * len(ordered)) - 1)]


def request_kinds(terms: dict) -> dict[str, list[dict]]:
    """The queries timed, by kind: the first page, searches (names, exact emails, companies,
    phones, no match) and filtered pages."""
    searches = (
        [
            {"q": t}
            for t in ("smith", "patel", "olivia", "jones", "okafor", "gmail", "ingrid", "baker")
        ]
        + [{"q": t} for t in terms["exact_emails"][:8]]
        + [{"q": t} for t in terms["companies"][:4]]
        + [{"q": t} for t in terms["phones"][:4]]
        + [{"q": "zzqxy"}, {"q": "no such person"}]
    )
    filters = [
        {"status": "qualified"},
        {"status": "won", "sort": "score"},
        {"min_score": "70"},
        {"source": "referral", "status": "new"},
        {"status": "contacted", "since": "2026-06-01", "until": "2026-08-31"},
        {"sort": "name", "status": "lost"},
        {"source": "facebook", "min_score": "50", "sort": "oldest"},
    ]
    return {"first page": [{}], "search": searches, "filtered page": filters}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--leads", type=int, default=200_000)
    parser.add_argument(
        "--requests", type=int, default=60, help="timed requests per kind (at least 50)"
    )
    parser.add_argument(
        "--reuse",
        metavar="DATABASE_URL",
        help="time an inbox an earlier run built (kept, not dropped)",
    )
    parser.add_argument(
        "--keep", action="store_true", help="keep the database built (for a later --reuse)"
    )
    args = parser.parse_args()
    n = max(50, args.requests)

    if args.reuse:
        url, drop = re.sub(r"^postgres(ql)?://", "postgresql+psycopg://", args.reuse), lambda: None
    else:
        url, drop = fresh_database("inbox")
        print(f"database: {url}", flush=True)
        if args.keep:
            drop = lambda: None  # noqa: E731
    proc = None
    try:
        terms = terms_from(url) if args.reuse else build(url, args.leads)
        proc, base = serve(url)
        session = sign_in(base)
        kinds = request_kinds(terms)
        for queries in kinds.values():  # warm the server, its pool and the page cache
            timed(session, base, queries, min(len(queries), 20))
        results, cpu = {}, {}
        for name, queries in kinds.items():
            before = server_cpu_seconds(proc.pid)
            results[name] = timed(session, base, queries, n)
            cpu[name] = (server_cpu_seconds(proc.pid) - before) * 1000 / n
        print(
            f"{terms['leads']:,} leads in one workspace, {n} requests each, "
            f"{'PostgreSQL' if url.startswith('postgresql') else 'SQLite'}, gunicorn on 127.0.0.1, "
            f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs"
        )
        for name, times in results.items():
            print(
                f"{name:<14} median {statistics.median(times):6.1f} ms   p95 {p95(times):6.1f} ms   "
                f"max {max(times):6.1f} ms   server CPU {cpu[name]:5.1f} ms/request"
            )
        worst = max(p95(times) for times in results.values())
        print(f"inbox_p95_ms: {worst:.1f}")
        if terms["leads"] >= 1_000_000:
            print(f"inbox_p95_ms_1m: {worst:.1f}")
    finally:
        if proc is not None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
        drop()


if __name__ == "__main__":
    main()
