"""`/healthz` needs no sign-in and monitoring polls it every few seconds: its cost must not
grow with the number of workspaces (it reads none of their rows) and it must not build an
Alembic migration context per request."""

from __future__ import annotations

from datetime import timedelta

from alembic.runtime import migration
from sqlalchemy import event

from tests.conftest import START
from tests.ops.factories import add_jobs
from tests.ops.test_healthz import add_node
from webapp.core.extensions import db
from webapp.models import Organization

WORKSPACE_TABLES = (
    "organizations",
    "circuit_breakers",
    "integration_credentials",
    "provisioning_runs",
    "queued_jobs",
    "health_alerts",
)


def statements_of_one_poll(client) -> list[str]:
    statements: list[str] = []

    def record(_conn, _cursor, statement, *_args) -> None:
        statements.append(statement.lower())

    db.session.rollback()
    event.listen(db.engine, "before_cursor_execute", record)
    try:
        assert client.get("/healthz").status_code == 200
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    return statements


def add_workspaces(first: int, last: int) -> None:
    db.session.rollback()  # the test client shares this session: end the poll's read
    for n in range(first, last):
        org = Organization(name=f"Shop {n}", timezone="UTC", created_at=START)
        db.session.add(org)
        db.session.flush()
        add_jobs(org, 2, run_at=START)
    db.session.commit()


def test_healthz_costs_the_same_for_10_and_200_workspaces(client, clock, monkeypatch):
    add_node(clock, timedelta(seconds=5))

    def no_context(*_args, **_kwargs):
        raise AssertionError("/healthz built an Alembic migration context")

    monkeypatch.setattr(migration.MigrationContext, "configure", no_context)
    add_workspaces(0, 10)
    at_10 = statements_of_one_poll(client)
    add_workspaces(10, 200)
    at_200 = statements_of_one_poll(client)

    assert len(at_10) == len(at_200)
    assert len(at_200) <= 10
    touched = [t for t in WORKSPACE_TABLES for s in at_200 if t in s]
    assert touched == [], f"/healthz read the workspaces' rows: {touched}"


def test_healthz_says_nothing_about_workspaces(client, clock):
    add_node(clock, timedelta(seconds=5))
    body = client.get("/healthz").get_json()
    assert "workspaces" not in body
    assert body["checks"]["migrations"]["ok"] is True
