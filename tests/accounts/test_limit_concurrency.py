"""The limiter under real concurrency: threads, each with its own session and connection,
all released at once. Check-and-count is atomic, so exactly the limit gets through (before:
40 guesses against a limit of 5 let 11 through on PostgreSQL, a 40-post burst against 10
let 21 through)."""

from __future__ import annotations

import http.client
import socket
import threading
from collections import Counter
from collections.abc import Callable
from datetime import timedelta

import pytest
from flask import Flask
from werkzeug.serving import make_server

from tests.conftest import START
from webapp.core.extensions import db
from webapp.services.accounts import limits, people
from webapp.services.leads.forms import IP_LIMIT, form_token

THREADS = 40


@pytest.fixture
def app_config(app_config):
    # Room for every thread's connection, so all 40 really are at the database together.
    return {**app_config, "SQLALCHEMY_ENGINE_OPTIONS": {"pool_size": 5, "max_overflow": 45}}


def _together(app: Flask, attempt: Callable[[], str]) -> Counter:
    """Run `attempt` in THREADS threads released by one barrier; count what they answered."""
    barrier = threading.Barrier(THREADS)
    answers: list[str] = []
    lock = threading.Lock()

    def run() -> None:
        with app.app_context():
            try:
                barrier.wait(timeout=30)
                answer = attempt()
            except Exception as exc:
                answer = f"error: {exc!r}"[:200]
            finally:
                db.session.remove()
        with lock:
            answers.append(answer)

    threads = [threading.Thread(target=run) for _ in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not any(t.is_alive() for t in threads)
    return Counter(answers)


@pytest.mark.slow
def test_it_lets_exactly_the_limit_of_simultaneous_hits_through(app):
    def attempt() -> str:
        wait = limits.hit(
            db.session, "burst:form", limit=10, window=timedelta(minutes=1), now=START
        )
        return "allowed" if wait is None else "refused"

    assert _together(app, attempt) == {"allowed": 10, "refused": THREADS - 10}


@pytest.mark.slow
def test_it_evaluates_exactly_the_limit_of_simultaneous_guesses(app, alice):
    email = alice.email  # read here: the fixture's object belongs to this thread's session

    def attempt() -> str:
        try:
            people.authenticate(
                db.session,
                email,
                "a wrong guess",
                ip="127.0.0.1",
                now=START,
                max_failures=5,
                lockout=timedelta(minutes=15),
                address_failures=1000,
                address_window=timedelta(hours=1),
            )
        except people.BadCredentials:
            return "evaluated"
        except people.TooManyAttempts:
            return "refused"
        return "signed in"

    assert _together(app, attempt) == {"evaluated": 5, "refused": THREADS - 5}


@pytest.mark.slow
def test_a_burst_on_the_public_form_gets_exactly_its_limit_accepted(app, alice_org):
    """Over HTTP, through the whole request: a threaded server, 40 posts at once."""
    path = f"/f/{form_token(app.config['SECRET_KEY'], alice_org.id)}"
    db.session.commit()
    db.session.remove()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = make_server("127.0.0.1", port, app, threaded=True)
    serving = threading.Thread(target=server.serve_forever, daemon=True)
    serving.start()

    def attempt() -> str:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        try:
            body = "email=visitor%40example.com&name=Visitor"
            headers = {"Content-Type": "application/x-www-form-urlencoded"}
            conn.request("POST", path, body=body, headers=headers)
            return str(conn.getresponse().status)
        finally:
            conn.close()

    try:
        answers = _together(app, attempt)
    finally:
        server.shutdown()
        serving.join(timeout=10)
        server.server_close()
    limit = IP_LIMIT[0]
    assert answers == {"200": limit, "429": THREADS - limit}
