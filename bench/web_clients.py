"""The clients of bench/web_sqlite.py: threads that sign in and send requests back to back
until a deadline, a thread that runs the scheduled jobs midway, and their tally."""

from __future__ import annotations

import re
import threading
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field

import requests

PASSWORD = "bench password 123"
EMAIL = "owner@bench.example"
SERVICE_TOKEN = "bench-service-token"
JOBS = ("automation", "coach", "health_alerts", "provisioning", "housekeeping")
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


@dataclass
class Seeded:
    api_key: str
    form_token: str
    lead_ids: list[int]


@dataclass
class Tally:
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    statuses: dict[str, Counter] = field(default_factory=lambda: defaultdict(Counter))
    errors: list[str] = field(default_factory=list)
    jobs: dict[str, int] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, name: str, seconds: float, status: int) -> None:
        with self.lock:
            self.latencies[name].append(seconds)
            self.statuses[name][status] += 1

    @property
    def requests(self) -> int:
        return sum(sum(c.values()) for c in self.statuses.values())

    @property
    def server_errors(self) -> int:
        return sum(n for c in self.statuses.values() for s, n in c.items() if s >= 500)


def _timed(
    tally: Tally, name: str, http: requests.Session, method: str, url: str, **options
) -> requests.Response | None:
    started = time.perf_counter()
    try:
        response = http.request(method, url, timeout=60, **options)
    except requests.RequestException as exc:  # no answer at all counts as a server error
        tally.add(name, time.perf_counter() - started, 599)
        with tally.lock:
            tally.errors.append(f"{name}: {type(exc).__name__}: {exc}")
        return None
    tally.add(name, time.perf_counter() - started, response.status_code)
    if response.status_code >= 500:
        with tally.lock:
            tally.errors.append(f"{name}: {response.status_code} {_gist(response.text)}")
    return response


def _gist(text: str) -> str:
    """A one-line gist of an answer: its JSON, or an HTML page's title."""
    title = re.search(r"<title>([^<]*)</title>", text)
    return title.group(1) if title else " ".join(text.split())[:200]


def _sign_in(base: str) -> tuple[requests.Session, str]:
    http = requests.Session()
    token = CSRF.search(http.get(f"{base}/login", timeout=30).text).group(1)
    answer = http.post(
        f"{base}/login",
        data={"email": EMAIL, "password": PASSWORD, "csrf_token": token},
        timeout=30,
        allow_redirects=False,
    )
    if answer.status_code != 302:
        raise RuntimeError(f"sign-in answered {answer.status_code}")
    page = http.get(f"{base}/leads", timeout=30)
    return http, CSRF.search(page.text).group(1)


def client(role: str, n: int, base: str, seeded: Seeded, deadline: float, tally: Tally) -> None:
    """One client: its role's requests back to back until the deadline."""
    http = requests.Session()
    api = {"Authorization": f"Bearer {seeded.api_key}"}
    csrf = ""
    if role.startswith("page"):
        try:
            http, csrf = _sign_in(base)
        except (requests.RequestException, RuntimeError, AttributeError) as exc:
            tally.add("sign_in", 0.0, 599)
            with tally.lock:
                tally.errors.append(f"sign-in: {type(exc).__name__}: {exc}")
            return
    i = 0
    while time.monotonic() < deadline:
        i += 1
        name, method, url, options = _request(role, n, i, base, seeded, csrf)
        if name.startswith("api"):
            options["headers"] = api
        _timed(tally, name, http, method, url, **options)


def _request(role: str, n: int, i: int, base: str, seeded: Seeded, csrf: str) -> tuple:
    """The i-th request of client n: (endpoint name, method, URL, requests options)."""
    if role == "api_get":
        query = {"per_page": 20, "page": 1 + i % 3} if i % 2 else {"q": "contact 1"}
        return "api_get", "GET", f"{base}/api/v1/leads", {"params": query}
    if role == "api_post":
        body = {"email": f"api-{n}-{i}@bench.example", "name": f"Api Lead {n}-{i}"}
        return "api_post", "POST", f"{base}/api/v1/leads", {"json": body}
    if role == "form_post":
        form = {"email": f"form-{n}-{i}@bench.example", "name": f"Form Lead {n}-{i}"}
        options = {"data": form, "headers": {"Accept": "application/json"}}
        return "form_post", "POST", f"{base}/f/{seeded.form_token}", options
    if i % 3:
        return "page_get", "GET", f"{base}{'/leads' if i % 2 else '/'}", {}
    lead_id = seeded.lead_ids[(n * 7 + i) % len(seeded.lead_ids)]
    form = {"notes": f"Called back ({n}-{i}).", "csrf_token": csrf}
    url = f"{base}/leads/{lead_id}/notes"
    return "page_post", "POST", url, {"data": form, "allow_redirects": False}


def run_jobs(base: str, start_at: float, tally: Tally) -> None:
    """The scheduled jobs, through the runner, while the load goes on."""
    time.sleep(max(0.0, start_at - time.monotonic()))
    headers = {"Authorization": f"Bearer {SERVICE_TOKEN}"}
    for name in JOBS:
        try:
            answer = requests.post(f"{base}/api/v1/jobs/{name}/run", headers=headers, timeout=120)
            tally.jobs[name] = answer.status_code
            if answer.status_code not in (200, 409):
                tally.errors.append(f"job {name}: {answer.status_code} {answer.text[:300]}")
        except requests.RequestException as exc:
            tally.jobs[name] = 599
            tally.errors.append(f"job {name}: {exc}")


def roles(clients: int) -> list[str]:
    """Half read the API; the rest write through the API, the form and signed-in pages."""
    mix = ["api_get"] * (clients - clients // 2)
    others = ("api_post", "page", "form_post", "page")
    mix += [others[i % len(others)] for i in range(clients // 2)]
    return mix


def drive(base: str, seeded: Seeded, *, duration: float, clients: int) -> Tally:
    tally = Tally()
    deadline = time.monotonic() + duration
    threads = [
        threading.Thread(target=client, args=(role, n, base, seeded, deadline, tally), daemon=True)
        for n, role in enumerate(roles(clients))
    ]
    threads.append(
        threading.Thread(
            target=run_jobs, args=(base, time.monotonic() + duration / 4, tally), daemon=True
        )
    )
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=duration + 180)
    return tally
