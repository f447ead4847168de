"""`/healthz` proves the database takes writes (issue 10, item 5: it answered 200 while the
disk was full and every write failed). The failure is made real with a trigger that fails
every write of the probe's table as a full disk does: SQLite's "database or disk is full",
PostgreSQL's SQLSTATE 53100 (disk_full)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import select, text

from tests.ops.test_healthz import add_node
from webapp.core.extensions import db
from webapp.models import HealthProbe

SQLITE_TRIGGERS = [
    f"""CREATE TRIGGER disk_full_{op} BEFORE {op} ON health_probes
        BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END"""
    for op in ("INSERT", "UPDATE")
]
POSTGRES_TRIGGER = [
    """CREATE FUNCTION disk_full() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN RAISE EXCEPTION 'could not extend file "base/16384/2619": No space left on device'
             USING ERRCODE = 'disk_full'; END $$""",
    """CREATE TRIGGER disk_full BEFORE INSERT OR UPDATE ON health_probes
       FOR EACH ROW EXECUTE FUNCTION disk_full()""",
]


@pytest.fixture
def disk_full(app) -> Iterator[None]:
    sqlite = db.engine.dialect.name == "sqlite"
    with db.engine.begin() as conn:
        for statement in SQLITE_TRIGGERS if sqlite else POSTGRES_TRIGGER:
            conn.execute(text(statement))
    try:
        yield
    finally:
        with db.engine.begin() as conn:
            if sqlite:
                conn.execute(text("DROP TRIGGER disk_full_INSERT"))
                conn.execute(text("DROP TRIGGER disk_full_UPDATE"))
            else:
                conn.execute(text("DROP TRIGGER disk_full ON health_probes"))
                conn.execute(text("DROP FUNCTION disk_full()"))


def test_each_call_commits_the_probe_row(client, clock):
    add_node(clock, timedelta(seconds=10))
    assert client.get("/healthz").status_code == 200
    clock.advance(seconds=5)
    assert client.get("/healthz").status_code == 200
    db.session.remove()
    assert db.session.scalars(select(HealthProbe.written_at)).all() == [clock()]


def test_it_is_unhealthy_when_writes_fail(client, clock, disk_full):
    add_node(clock, timedelta(seconds=10))  # everything else is fine

    started = time.monotonic()
    response = client.get("/healthz")

    assert response.status_code == 503
    body = response.get_json()
    assert body["status"] == "unhealthy"
    write = body["checks"]["database_write"]
    assert write["ok"] is False
    assert write["detail"].startswith("writes fail: ")
    assert "database or disk is full" in write["detail"] or "No space left" in write["detail"]
    assert body["checks"]["database"]["ok"] is True  # reads still work: the old check said 200
    assert time.monotonic() - started < 5


def test_it_is_healthy_again_once_writes_work(client, clock):
    add_node(clock, timedelta(seconds=10))
    assert client.get("/healthz").get_json()["checks"]["database_write"]["ok"] is True
