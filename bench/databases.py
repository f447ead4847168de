"""A fresh database for one benchmark run: a SQLite file in a temporary folder, or a new
database on the PostgreSQL server of TEST_DATABASE_URL (dropped again by `drop()`)."""

from __future__ import annotations

import os
import re
import tempfile
import uuid
from collections.abc import Callable

from sqlalchemy import create_engine, text


def fresh_database(name: str, dialect: str | None = None) -> tuple[str, Callable[[], None]]:
    """(url, drop) for a new database named after the benchmark `name`. `dialect`: "sqlite"
    or "postgres"; by default PostgreSQL when TEST_DATABASE_URL is set, else SQLite."""
    base = os.environ.get("TEST_DATABASE_URL")
    if dialect == "sqlite" or (dialect is None and not base):
        folder = tempfile.mkdtemp(prefix=f"bench-{name}-")
        return f"sqlite:///{folder}/bench.db", lambda: None
    base = re.sub(r"^postgres(ql)?://", "postgresql+psycopg://", os.environ["TEST_DATABASE_URL"])
    database = f"bench_{name}_{uuid.uuid4().hex[:8]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{database}"'))

    def drop() -> None:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
        admin.dispose()

    return re.sub(r"/[^/]*$", f"/{database}", base), drop


def activate_with_emails(session, campaign, steps, now) -> None:
    """Give a bench's sequence its email steps ((subject, body, delay in days), the first
    sent at once) and activate it, through the product's own services."""
    from webapp.services.messaging import sequence_lifecycle, sequences

    for subject, body, delay in steps:
        sequences.add_step(
            session, campaign, channel="email", subject=subject, body=body,
            delay_value=delay, delay_unit="days" if delay else "minutes",
            actor_id=None, now=now,
        )  # fmt: skip
    sequence_lifecycle.activate_sequence(session, campaign, actor_id=None, now=now)


BENCH_EMAIL = "owner@bench.example"
BENCH_PASSWORD = "bench password 123"


def app_with_owner(url: str, workspace: str, since):
    """The app on `url`, migrated to head, with an owner (BENCH_EMAIL / BENCH_PASSWORD,
    signed up at `since`) of a new workspace named `workspace`. Returns (app, org id); the
    caller fills the workspace inside `app.app_context()`."""
    from flask_migrate import upgrade

    from jobs.cli import build_app
    from webapp.core.extensions import db
    from webapp.services.accounts import people

    app = build_app(
        {"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench", "SCHEDULER_ENABLED": False}
    )
    with app.app_context():
        upgrade()
        _user, org = people.sign_up(
            db.session,
            email=BENCH_EMAIL,
            name="Bench Owner",
            password=BENCH_PASSWORD,
            workspace=workspace,
            timezone="Europe/London",
            now=since,
        )
        db.session.commit()
        org_id = org.id
        db.session.remove()
    return app, org_id
