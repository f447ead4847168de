"""Migration 0014: failed sign-ins move into the rate limiter's hits and back, so a lockout
in progress survives an upgrade and a downgrade."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import text

from jobs.cli import build_app
from tests.test_migrations import _fresh_postgres
from webapp.core.extensions import db

BEFORE = "0012_health_alerts"
AFTER = "0014_one_rate_limiter"
AT = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)


@pytest.fixture(
    params=["sqlite", "postgresql"] if os.environ.get("TEST_DATABASE_URL") else ["sqlite"]
)
def database(request, tmp_path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'migrate.db'}"
    else:
        yield from _fresh_postgres()


def test_it_moves_login_failures_into_hits_and_back(database):
    app = build_app({"SQLALCHEMY_DATABASE_URI": database, "SECRET_KEY": "x"})
    with app.app_context():
        try:
            upgrade(revision=BEFORE)
            with db.engine.begin() as conn:
                conn.execute(
                    text("INSERT INTO login_failures (email, ip, at) VALUES (:e, :ip, :at)"),
                    [
                        {"e": "a@example.com", "ip": "10.0.0.1", "at": AT},
                        {"e": "b@example.com", "ip": "10.0.0.2", "at": AT},
                    ],
                )
                conn.execute(
                    text("INSERT INTO rate_limit_hits (bucket, at) VALUES ('lead-form:ip:x', :at)"),
                    {"at": AT},
                )

            upgrade(revision=AFTER)
            with db.engine.connect() as conn:
                rows = conn.execute(
                    text("SELECT bucket, event FROM rate_limit_hits ORDER BY bucket")
                ).all()
            buckets = [bucket for bucket, _event in rows]
            assert buckets == [
                "lead-form:ip:x",
                "sign-in:email:a@example.com",
                "sign-in:email:b@example.com",
                "sign-in:ip:10.0.0.1",
                "sign-in:ip:10.0.0.2",
            ]
            events = {bucket: event for bucket, event in rows}
            assert events["sign-in:email:a@example.com"] == events["sign-in:ip:10.0.0.1"]
            assert events["sign-in:email:a@example.com"] != events["sign-in:email:b@example.com"]
            assert len(set(events.values())) == 3

            downgrade(revision=BEFORE)
            with db.engine.connect() as conn:
                failures = conn.execute(
                    text("SELECT email, ip FROM login_failures ORDER BY email")
                ).all()
                hits = conn.execute(text("SELECT bucket FROM rate_limit_hits")).scalars().all()
            assert [tuple(f) for f in failures] == [
                ("a@example.com", "10.0.0.1"),
                ("b@example.com", "10.0.0.2"),
            ]
            assert hits == ["lead-form:ip:x"]
        finally:
            db.session.remove()
            db.engine.dispose()
