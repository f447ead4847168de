"""A request with an API key: its reads never become a write (issue 10, item 1). The key's
last use is recorded at most once a minute, and the request count is a short write of its
own, so on SQLite a GET answers beside another writer instead of "database is locked"."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import select

from tests.conftest import START
from webapp.core.db import write_engine
from webapp.core.extensions import db
from webapp.models import ApiKey, Membership
from webapp.services.accounts import api_keys


@pytest.fixture
def app_config(app_config: dict) -> dict:
    # A lock wait longer than this fails the request: short enough to tell waiting from not.
    return {**app_config, "SQLITE_BUSY_TIMEOUT_MS": 3000}


@pytest.fixture
def key(alice, alice_org) -> str:
    m = db.session.scalars(select(Membership).where(Membership.user_id == alice.id)).one()
    _row, secret = api_keys.create_api_key(db.session, m, "Website", now=START)
    db.session.commit()
    return secret


def _last_used():
    db.session.remove()
    return db.session.scalars(select(ApiKey.last_used_at)).one()


@contextmanager
def write_lock_held(release_after: float | None = None) -> Iterator[None]:
    """On SQLite another connection holds the write lock from entry until exit (or for
    `release_after` seconds); elsewhere nothing."""
    if db.engine.dialect.name != "sqlite":
        yield
        return
    ready, release = threading.Event(), threading.Event()
    engine = write_engine(db.engine)

    def hold() -> None:
        with engine.connect() as conn:
            conn.begin()  # BEGIN IMMEDIATE
            ready.set()
            release.wait(release_after if release_after is not None else 30)
            conn.rollback()

    thread = threading.Thread(target=hold, daemon=True)
    thread.start()
    assert ready.wait(10)
    try:
        yield
    finally:
        release.set()
        thread.join(10)


def test_the_last_use_is_recorded_at_most_once_a_minute(client, clock, key):
    headers = {"X-API-Key": key}
    assert client.get("/api/v1/leads", headers=headers).status_code == 200
    assert _last_used() == START
    clock.advance(seconds=59)
    assert client.get("/api/v1/leads", headers=headers).status_code == 200
    assert _last_used() == START  # was stamped on every request
    clock.advance(seconds=1)
    assert (
        client.post("/api/v1/leads", json={"email": "ana@example.com"}, headers=headers).status_code
        == 201
    )
    assert _last_used() == START.replace(minute=1)


def test_a_get_that_needs_no_write_answers_while_another_process_writes(app, client, clock, key):
    app.config["API_REQUESTS_PER_MINUTE"] = 0  # no count to keep
    headers = {"X-API-Key": key}
    assert client.get("/api/v1/leads", headers=headers).status_code == 200  # stamps
    clock.advance(seconds=30)
    db.session.remove()
    with write_lock_held():  # held for the whole request: a write would fail after 3 s
        started = time.monotonic()
        response = client.get("/api/v1/leads", headers=headers)
        assert response.status_code == 200, response.get_data(as_text=True)[:300]
        assert time.monotonic() - started < 2


def test_a_counted_get_waits_for_the_lock_instead_of_failing(client, key):
    db.session.remove()
    with write_lock_held(release_after=0.5):
        response = client.get("/api/v1/leads", headers={"X-API-Key": key})
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    assert _last_used() == START
