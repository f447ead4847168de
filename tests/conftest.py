"""Shared fixtures: a real database (SQLite file, or PostgreSQL from TEST_DATABASE_URL),
the app and client, a travelling clock, the personas, and the loopback-only guard.

Personas (house style): alice owns workspace "Alice Bakes"; bob is staff there; charlie
owns "Charlie Cuts" and must never see anything of Alice's.
"""

from __future__ import annotations

import os
import re
import socket
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit, urlunsplit

import pytest
from flask import Flask, has_app_context
from flask.testing import FlaskClient
from sqlalchemy import create_engine, text

from jobs.cli import build_app
from webapp.core.extensions import db
from webapp.models import Membership, Organization, User
from webapp.services.accounts import people as accounts

PASSWORD = "correct horse battery"
START = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)  # a Monday


# --- the loopback guard -----------------------------------------------------------------

_real_connect = socket.socket.connect
_real_connect_ex = socket.socket.connect_ex


def _loopback(address) -> bool:
    if isinstance(address, str | bytes):  # AF_UNIX path
        return True
    host = address[0]
    if host in ("localhost", "::1") or str(host).startswith("127."):
        return True
    return False


def _guarded(real):
    def connect(self, address):
        if self.family in (socket.AF_INET, socket.AF_INET6) and not _loopback(address):
            raise AssertionError(f"test tried to connect to {address!r}: only loopback is allowed")
        return real(self, address)

    return connect


@pytest.fixture(autouse=True)
def loopback_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail any test that opens a connection to anything but this machine."""
    monkeypatch.setattr(socket.socket, "connect", _guarded(_real_connect))
    monkeypatch.setattr(socket.socket, "connect_ex", _guarded(_real_connect_ex))


# --- the database -----------------------------------------------------------------------


def _with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A fresh database for this test session, migrated to head with Alembic."""
    base = os.environ.get("TEST_DATABASE_URL")
    if not base:
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"
        _migrate(url)
        yield url
        return
    base = re.sub(r"^postgres(ql)?://", "postgresql+psycopg://", base)
    name = f"autopilot_test_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = _with_database(base, name)
    try:
        _migrate(url)
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _migrate(url: str) -> None:
    from flask_migrate import upgrade

    app = build_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "test"})
    with app.app_context():
        upgrade()
        db.engine.dispose()


def _wipe(app: Flask) -> None:
    with app.app_context():
        db.session.remove()
        tables = [t.name for t in reversed(db.metadata.sorted_tables)]
        with db.engine.begin() as conn:
            # DELETE is far cheaper than TRUNCATE for the handful of rows a test leaves.
            for table in tables:
                conn.execute(text(f"DELETE FROM {table}"))
            if db.engine.dialect.name == "postgresql":
                conn.execute(
                    text("SELECT setval(c.oid, 1, false) FROM pg_class c WHERE c.relkind = 'S'")
                )
        db.engine.dispose()


# --- the clock --------------------------------------------------------------------------


class Clock:
    """A clock tests move by hand: `clock.set(dt)`, `clock.advance(minutes=5)`."""

    def __init__(self, at: datetime = START) -> None:
        self.at = at

    def __call__(self) -> datetime:
        return self.at

    def set(self, at: datetime) -> None:
        self.at = at

    def advance(self, **delta: float) -> datetime:
        self.at += timedelta(**delta)
        return self.at


@pytest.fixture
def clock() -> Clock:
    return Clock()


# --- the app ----------------------------------------------------------------------------


@pytest.fixture
def app_config(database_url: str, clock: Clock) -> dict:
    return {
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SECRET_KEY": "test-secret",
        "TESTING": True,
        "CLOCK": clock,
        "SCHEDULER_ENABLED": False,
        # Hermetic: a developer's .env must never make tests talk to real providers.
        "OPENAI_API_KEY": None,
        "SMTP_HOST": None,
        "TWILIO_ACCOUNT_SID": None,
        "SERVICE_TOKEN": None,
        "PUBLIC_URL": "http://127.0.0.1:8000",  # not the address a local `make run` served
    }


class ClosingClient(FlaskClient):
    """A test client that closes each response before returning it, as a server does once
    it has sent it: work registered with `response.call_on_close` (after-response work)
    runs then, in the request's test, instead of whenever the response is garbage-collected
    (which was in the middle of a later test, inside its app's route compilation).
    `buffered=False` (a streamed response) leaves closing to the test."""

    def open(self, *args, **kwargs):
        if kwargs.get("buffered") is False:
            return super().open(*args, **kwargs)
        response = super().open(*args, **kwargs, buffered=False)
        response.get_data()
        # A server has ended the request's session (teardown) before it closes the response.
        # Here the request shares the test's app context and so its session: end what the
        # request left open (a write transaction begun after its commit holds SQLite's
        # lock), as teardown's rollback would, before the after-response work runs.
        if has_app_context():
            db.session.rollback()
        response.close()
        return response


@pytest.fixture
def app(app_config: dict) -> Iterator[Flask]:
    application = build_app(app_config)
    application.test_client_class = ClosingClient
    ctx = application.app_context()
    ctx.push()
    try:
        yield application
    finally:
        db.session.remove()
        ctx.pop()
        _wipe(application)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


# --- factories and personas -------------------------------------------------------------


def make_user(
    email: str, name: str, *, workspace: str | None = None, now: datetime = START
) -> User:
    """A user; with `workspace`, also the owner of a new workspace of that name."""
    if workspace:
        user, _org = accounts.sign_up(
            db.session,
            email=email,
            name=name,
            password=PASSWORD,
            workspace=workspace,
            timezone="Europe/London",
            now=now,
        )
    else:
        user = accounts.create_user(db.session, email, name, PASSWORD, now=now)
    db.session.commit()
    return user


def add_member(user: User, org: Organization, role: str, now: datetime = START) -> Membership:
    m = Membership(org_id=org.id, user_id=user.id, role=role, created_at=now)
    db.session.add(m)
    db.session.commit()
    return m


def org_of(user: User) -> Organization:
    return accounts.user_workspaces(db.session, user)[0]


@pytest.fixture
def alice(app: Flask) -> User:
    return make_user("alice@example.com", "Alice Owner", workspace="Alice Bakes")


@pytest.fixture
def alice_org(alice: User) -> Organization:
    return org_of(alice)


@pytest.fixture
def bob(app: Flask, alice_org: Organization) -> User:
    user = make_user("bob@example.com", "Bob Staff")
    add_member(user, alice_org, "staff")
    return user


@pytest.fixture
def charlie(app: Flask) -> User:
    return make_user("charlie@example.com", "Charlie Outsider", workspace="Charlie Cuts")


@pytest.fixture
def support_user(app: Flask) -> User:
    user = make_user("sam@example.com", "Sam Support")
    org = Organization(name="Support", timezone="UTC", created_at=START)
    db.session.add(org)
    db.session.commit()
    add_member(user, org, "support")
    return user


def login(client: FlaskClient, user: User, password: str = PASSWORD) -> None:
    """Sign in through the real form (CSRF token included)."""
    page = client.get("/login")
    token = csrf_from(page.get_data(as_text=True))
    response = client.post(
        "/login", data={"email": user.email, "password": password, "csrf_token": token}
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:500]


def csrf_from(html: str) -> str:
    match = (
        re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html)  # WTForms' field
        or re.search(r'type="hidden" name="csrf_token" value="([^"]+)"', html)  # written by hand
        or re.search(r'"X-CSRFToken": "([^"]+)"', html)
    )
    assert match, "no CSRF token on the page"
    return match.group(1)


def csrf_token(client: FlaskClient, path: str = "/") -> str:
    return csrf_from(client.get(path, follow_redirects=True).get_data(as_text=True))
