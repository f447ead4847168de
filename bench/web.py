"""Benchmark: the server CPU a request of the signed-in pages, beside hello-world Flask.

    .venv/bin/python bench/web.py [--requests 1000] [--rounds 3] [--connections 16] [--workers 2]

Builds a fresh SQLite database migrated to head and fills it as `autopilot demo` does (the
demo workspace: an active autopilot, its campaigns, 60 days of results, reports, leads).
Serves it with `autopilot serve --workers 2 --no-scheduler` (gunicorn, gthread, 4 threads
a worker) on 127.0.0.1, signs in through the login form, and drives each page with a
bounded load generator: `--connections` keep-alive connections on loopback (asyncio, raw
HTTP/1.1, so the generator costs little CPU), `--requests` requests a page after a warm-up:

- dashboard   GET /                         (signed in)
- inbox       GET /leads
- search      GET /leads?q=…                (HX-Request: true, the results partial)
- widget      GET /health/widget            (HX-Request: true)

Then serves a hello-world Flask app under the same gunicorn settings (same server class,
workers, threads, access log) and drives it the same way: the ceiling of the stack.

Server CPU a request = the gunicorn workers' CPU time (utime + stime from /proc, the
arbiter excluded) over the page's requests ÷ requests; robust on a shared machine, unlike
rps and latency, which are printed too. The pages are driven `--rounds` times, interleaved,
and each prints its median round: `web_<page>_cpu_ms: X` (with `_cpu_ms_min` and
`_cpu_ms_max` of the rounds beside it), `web_<page>_p95_ms: X`, `web_<page>_rps: X`,
`web_<page>_conn_mean_ms_min` / `_max` (the connections' mean latencies: a connection stays
with the gunicorn worker that accepted it, so a wide spread means an uneven split, and the
p95 follows the busier worker), and `web_loadgen_cpu_ms: X` (the generator's own CPU a
request: it is not the cap when this is small beside the pages' and hello's rps is far
above the pages'). Bars (issue 17): dashboard ≤ 5 ms CPU and p95 ≤ 60 ms, inbox
and search ≤ 5 ms, widget ≤ 3 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import requests  # noqa: E402

from bench.databases import BENCH_EMAIL as EMAIL  # noqa: E402
from bench.databases import BENCH_PASSWORD as PASSWORD  # noqa: E402
from bench.databases import app_with_owner, fresh_database  # noqa: E402
from bench.web_sqlite import free_port  # noqa: E402

CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
HTMX = {"HX-Request": "true"}
# The generator is one browser: the User-Agent it signed in with on every request. (Flask-Login's
# session protection marks a session seen from another browser "not fresh", which re-issues
# the cookie; a generator that dropped the header would pay that on every request.)
BROWSER = {"User-Agent": "bench-web/1 (one browser)"}
FIGURES = ("cpu_ms", "cpu_ms_min", "cpu_ms_max", "p95_ms", "rps")
FIGURES += ("conn_mean_ms_min", "conn_mean_ms_max")
PAGES = {
    "dashboard": ("/", {}),
    "inbox": ("/leads", {}),
    "search": ("/leads?q=smith", HTMX),
    "widget": ("/health/widget", HTMX),
}
HELLO = """
from flask import Flask
from jobs.serve import AutopilotServer

app = Flask("hello")

@app.get("/")
def hello():
    return "Hello, world!"

class Hello(AutopilotServer):
    def load(self):
        return app

Hello({"bind": "127.0.0.1:%d", "workers": %d, "threads": %d,
       "worker_class": "jobs.fair_worker.FairThreadWorker",
       "accesslog": "-", "timeout": 120, "graceful_timeout": 20}).run()
"""


def build(url: str) -> None:
    """Migrate to head, sign the owner up and fill the workspace as `autopilot demo` does."""
    from webapp.core.extensions import db
    from webapp.models import Organization
    from webapp.services.demo import fill_demo_workspace

    now = datetime.now(UTC)
    app, org_id = app_with_owner(url, "Demo Bakery", now - timedelta(days=90))
    with app.app_context():
        fill_demo_workspace(db.session, db.session.get(Organization, org_id), now)
        db.session.commit()
        db.engine.dispose()


# --- the servers --------------------------------------------------------------------------


def start(command: list[str], env: dict, port: int, log: Path) -> subprocess.Popen:
    with open(log, "w") as out:
        proc = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"the server exited {proc.returncode}:\n{log.read_text()}")
        try:
            requests.get(f"http://127.0.0.1:{port}/", timeout=2)
            return proc
        except requests.ConnectionError:
            time.sleep(0.2)
    stop(proc)
    raise SystemExit(f"the server did not start:\n{log.read_text()}")


def serve_app(url: str, workers: int, threads: int, port: int, log: Path) -> subprocess.Popen:
    env = {**os.environ, "DATABASE_URL": url, "SECRET_KEY": "bench", "LOG_LEVEL": "WARNING"}
    env["PYTHONPATH"] = str(ROOT)
    for name in ("TEST_DATABASE_URL", "SMTP_HOST", "TWILIO_ACCOUNT_SID", "OPENAI_API_KEY"):
        env.pop(name, None)
    command = [sys.executable, "-c", "from jobs.cli import main; main()", "serve"]
    command += ["--host", "127.0.0.1", "--port", str(port), "--workers", str(workers)]
    command += ["--threads", str(threads)]
    return start([*command, "--no-scheduler"], env, port, log)


def serve_hello(workers: int, threads: int, port: int, log: Path) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return start([sys.executable, "-c", HELLO % (port, workers, threads)], env, port, log)


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)


def workers_cpu_seconds(arbiter: int) -> float:
    """CPU time used so far by the gunicorn workers (the arbiter's children), from /proc."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == arbiter:  # fields[1] is the parent pid
            total += (int(fields[11]) + int(fields[12])) / tick
    return total


def arbiter_of(proc: subprocess.Popen) -> int:
    """The gunicorn arbiter: `autopilot serve` runs it in-process (the pid itself)."""
    return proc.pid


# --- the load generator -------------------------------------------------------------------


async def _one(reader, writer, raw: bytes) -> tuple[int, bool]:
    """One request: its status, and whether the answer set a cookie."""
    writer.write(raw)
    status_line = await reader.readline()
    length, chunked, cookie = 0, False, False
    while (line := await reader.readline()) not in (b"\r\n", b""):
        name, _, value = line.decode("latin-1").partition(":")
        if name.lower() == "content-length":
            length = int(value)
        elif name.lower() == "transfer-encoding" and "chunked" in value.lower():
            chunked = True
        elif name.lower() == "set-cookie":
            cookie = True
    if chunked:
        while size := int((await reader.readline()).split(b";")[0], 16):
            await reader.readexactly(size + 2)
        await reader.readline()
    else:
        await reader.readexactly(length)
    return int(status_line.split()[1]), cookie


async def _load(port: int, raw: bytes, total: int, connections: int) -> tuple[list, list]:
    """Latencies by connection, and statuses."""
    latencies: list[list[float]] = [[] for _ in range(connections)]
    statuses: list[int] = []
    left = [total]

    async def connection(mine: list[float]) -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        while left[0] > 0:
            left[0] -= 1
            started = time.perf_counter()
            statuses.append(await _one(reader, writer, raw))
            mine.append(time.perf_counter() - started)
        writer.close()

    await asyncio.gather(*(connection(mine) for mine in latencies))
    return latencies, statuses


def drive(port: int, arbiter: int, path: str, headers: dict, n: int, connections: int) -> dict:
    lines = [f"GET {path} HTTP/1.1", f"Host: 127.0.0.1:{port}", "Connection: keep-alive"]
    lines += [f"{k}: {v}" for k, v in headers.items()]
    raw = ("\r\n".join(lines) + "\r\n\r\n").encode()
    asyncio.run(_load(port, raw, max(connections, n // 10), connections))  # warm-up
    cpu0, own0, wall0 = workers_cpu_seconds(arbiter), time.process_time(), time.perf_counter()
    latencies, statuses = asyncio.run(_load(port, raw, n, connections))
    wall = time.perf_counter() - wall0
    cpu, own = workers_cpu_seconds(arbiter) - cpu0, time.process_time() - own0
    bad = [s for s, _ in statuses if s != 200]
    if bad:
        raise SystemExit(f"{path}: {len(bad)} answers not 200, e.g. {bad[0]}")
    if any(cookie for _, cookie in statuses):  # the server re-signing a cookie a request
        raise SystemExit(f"{path}: answers set a cookie; the generator would not be one browser")
    ordered = sorted(t for mine in latencies for t in mine)
    # A connection stays with the worker that accepted it: the spread of the connections'
    # mean latencies shows how evenly gunicorn split them (the p95 follows the busier one).
    means = [sum(mine) / len(mine) * 1000 for mine in latencies if mine]
    return {
        "cpu_ms": cpu * 1000 / n,
        "p95_ms": ordered[min(n - 1, int(0.95 * n))] * 1000,
        "rps": n / wall,
        "loadgen_cpu_ms": own * 1000 / n,
        "conn_mean_ms_min": min(means),
        "conn_mean_ms_max": max(means),
    }


def median_round(rounds: list[dict]) -> dict:
    """The page's round of median CPU, with the CPU of the others beside it."""
    ordered = sorted(rounds, key=lambda figures: figures["cpu_ms"])
    return {
        **ordered[len(ordered) // 2],
        "cpu_ms_min": ordered[0]["cpu_ms"],
        "cpu_ms_max": ordered[-1]["cpu_ms"],
    }


def sign_in(port: int) -> str:
    """The session cookie of the owner, signed in through the login form."""
    base = f"http://127.0.0.1:{port}"
    http = requests.Session()
    http.headers.update(BROWSER)
    token = CSRF.search(http.get(f"{base}/login", timeout=30).text).group(1)
    data = {"email": EMAIL, "password": PASSWORD, "csrf_token": token}
    answer = http.post(f"{base}/login", data=data, timeout=30, allow_redirects=False)
    if answer.status_code != 302:
        raise SystemExit(f"sign-in answered {answer.status_code}")
    if http.get(f"{base}/", timeout=30).status_code != 200:
        raise SystemExit("the dashboard did not answer 200 after sign-in")
    return "; ".join(f"{c.name}={c.value}" for c in http.cookies)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=1000, help="timed requests a page")
    parser.add_argument("--rounds", type=int, default=3, help="rounds over the pages")
    parser.add_argument("--hello-requests", type=int, default=3000)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4, help="gunicorn threads a worker")
    args = parser.parse_args()

    url, drop = fresh_database("web", "sqlite")
    folder = Path(url.removeprefix("sqlite:///")).parent
    results: dict[str, dict] = {}
    try:
        build(url)
        port = free_port()
        proc = serve_app(url, args.workers, args.threads, port, folder / "server.log")
        try:
            cookie = {"Cookie": sign_in(port)}
            rounds: dict[str, list[dict]] = {page: [] for page in PAGES}
            for _round in range(args.rounds):  # interleaved: a noisy minute hits every page
                for page, (path, headers) in PAGES.items():
                    sent = {**BROWSER, **headers, **cookie}
                    figures = drive(
                        port, arbiter_of(proc), path, sent, args.requests, args.connections
                    )
                    rounds[page].append(figures)
            results.update({page: median_round(figures) for page, figures in rounds.items()})
        finally:
            stop(proc)
        port = free_port()
        proc = serve_hello(args.workers, args.threads, port, folder / "hello.log")
        try:
            results["hello"] = drive(
                port, arbiter_of(proc), "/", {}, args.hello_requests, args.connections
            )
        finally:
            stop(proc)
    finally:
        drop()
    print(
        f"gunicorn {args.workers} workers × {args.threads} threads, {args.connections} connections, SQLite, "
        f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs"
    )
    for page, figures in results.items():
        for key in FIGURES:
            if key not in figures:
                continue
            print(f"web_{page}_{key}: {figures[key]:.{0 if key == 'rps' else 2}f}")
    worst = max(figures["loadgen_cpu_ms"] for figures in results.values())
    print(f"web_loadgen_cpu_ms: {worst:.2f}")


if __name__ == "__main__":
    main()
