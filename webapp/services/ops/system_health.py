"""Deployment health: database, migrations, scheduler, last job runs — one computation used by
`/healthz` (which also proves the database takes writes), the health page and the dashboard.
The workspaces' own health (integrations, setup, queue, alerts) is
`webapp.services.ops.workspace_health`; `/healthz` never reads it, so its cost does not grow
with the number of workspaces (anyone may poll it: it needs no sign-in)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache

from alembic.config import Config as AlembicConfig
from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from webapp.core.db import IMMEDIATE, dialect_insert, read
from webapp.models import HealthProbe
from webapp.services.ops import job_history as scheduler_service

PROBE_NAME = "healthz"
PROBE_WAIT_MS = 2000  # the longest the write probe waits for a lock
SELECT_ONE = text("SELECT 1")
ALEMBIC_VERSIONS = text("SELECT version_num FROM alembic_version")


@dataclass
class Check:
    name: str
    ok: bool
    detail: str
    fix: str = ""


@dataclass
class HealthReport:
    checks: list[Check] = field(default_factory=list)
    jobs: dict[str, dict] = field(default_factory=dict)

    @property
    def healthy(self) -> bool:
        return all(c.ok for c in self.checks)

    def as_json(self) -> dict:
        return {
            "status": "ok" if self.healthy else "unhealthy",
            "checks": {c.name: {"ok": c.ok, "detail": c.detail} for c in self.checks},
            "jobs": self.jobs,
        }


@lru_cache(maxsize=4)
def migration_heads(migrations_dir: str) -> tuple[str, ...]:
    """The head revisions of the migration scripts: read from disk once per process (the
    scripts do not change under a running app), never per request."""
    config = AlembicConfig()
    config.set_main_option("script_location", migrations_dir)
    return tuple(ScriptDirectory.from_config(config).get_heads())


def system_health(
    session: Session,
    *,
    now: datetime,
    migrations_dir: str | None = None,
    job_names: list[str] | None = None,
    probe_writes: bool = False,
) -> HealthReport:
    """Check what the deployment needs to work. Never raises: a failure is a failed check.

    `probe_writes` (for `/healthz`): also commit one tiny write, so that a database that
    answers reads but refuses writes (a full disk) is reported unhealthy.
    """
    report = HealthReport()
    reachable = database_check(session)
    report.checks.append(reachable)
    if not reachable.ok:
        return report
    if probe_writes:
        report.checks.append(write_check(session.get_bind(), now=now))
    if migrations_dir:
        report.checks.append(migrations_check(session, migrations_dir))
    report.checks.append(scheduler_check(session, now=now))
    if job_names:
        report.jobs = last_job_runs(session, job_names)
    return report


def database_check(session: Session) -> Check:
    try:
        read(session, SELECT_ONE)
    except Exception as exc:  # the point of a health check is to report, not to crash
        session.rollback()
        return Check(
            "database",
            False,
            f"cannot reach the database: {type(exc).__name__}",
            "Check DATABASE_URL and that the database server is running.",
        )
    return Check("database", True, f"{session.get_bind().dialect.name} is reachable")


def write_check(engine: Engine, *, now: datetime) -> Check:
    """One tiny write in its own transaction: a full disk or a read-only database still
    answers SELECT 1, and then every change anyone makes fails."""
    try:
        with _probe_transaction(engine) as conn:
            insert = dialect_insert(conn)
            conn.execute(
                insert(HealthProbe)
                .values(name=PROBE_NAME, written_at=now)
                .on_conflict_do_update(index_elements=["name"], set_={"written_at": now})
            )
    except DBAPIError as exc:
        if _busy(exc):  # writes wait their turn: slow, not failing
            return Check("database_write", True, f"writes are queued (waited {PROBE_WAIT_MS} ms)")
        reason = str(exc.orig).strip().splitlines()[0][:200] if exc.orig else type(exc).__name__
        return Check(
            "database_write",
            False,
            f"writes fail: {reason}",
            "Check the database server's disk space and that the database accepts writes.",
        )
    return Check("database_write", True, "a write committed")


@contextmanager
def _probe_transaction(engine: Engine) -> Iterator[Connection]:
    """A write transaction that waits at most PROBE_WAIT_MS for a lock, so /healthz stays fast."""
    with engine.connect() as conn:
        if conn.dialect.name != "sqlite":
            with conn.begin():
                conn.exec_driver_sql(f"SET LOCAL lock_timeout = {PROBE_WAIT_MS}")
                conn.exec_driver_sql(f"SET LOCAL statement_timeout = {PROBE_WAIT_MS * 2}")
                yield conn
            return
        raw = conn.connection.dbapi_connection
        saved = raw.execute("PRAGMA busy_timeout").fetchone()[0]
        raw.execute(f"PRAGMA busy_timeout = {PROBE_WAIT_MS}")
        try:
            with conn.execution_options(**{IMMEDIATE: True}).begin():
                yield conn
        finally:
            raw.execute(f"PRAGMA busy_timeout = {int(saved)}")


def _busy(exc: DBAPIError) -> bool:
    """A lock wait that ran out (SQLite's busy timeout, PostgreSQL's lock or statement timeout)."""
    code = getattr(exc.orig, "sqlstate", None)
    return code in ("55P03", "57014") or "database is locked" in str(exc.orig)


def migrations_check(session: Session, migrations_dir: str) -> Check:
    heads = migration_heads(migrations_dir)
    # Alembic's own table, read with one plain query: building a migration context per
    # request costs more than every other check together.
    try:
        current = sorted(read(session, ALEMBIC_VERSIONS).scalars())
    except DBAPIError:  # never migrated: the table does not exist yet
        session.rollback()
        current = []
    at_head = set(current) == set(heads)
    detail = f"at {', '.join(current) or 'nothing'}" + (
        "" if at_head else f"; latest is {', '.join(heads)}"
    )
    return Check("migrations", at_head, detail, "" if at_head else "Run: autopilot db upgrade")


def scheduler_check(session: Session, *, now: datetime) -> Check:
    nodes = scheduler_service.live_node_count(session, now=now)
    if nodes:
        plural = "es" if nodes != 1 else ""
        return Check("scheduler", True, f"{nodes} scheduler process{plural} alive")
    return Check(
        "scheduler",
        False,
        "no scheduler process has checked in for 90 seconds",
        "Start the app with make run or autopilot serve: both run the scheduler.",
    )


def last_job_runs(session: Session, job_names: list[str]) -> dict[str, dict]:
    """Each job's last run (status, start, duration), or "never_ran"."""
    last = scheduler_service.last_run_states(session, job_names, None)
    jobs: dict[str, dict] = {}
    for name in job_names:
        run = last.get(name)
        jobs[name] = (
            {
                "status": run.status,
                "started_at": run.started_at.isoformat(),
                "duration_ms": run.duration_ms,
            }
            if run
            else {"status": "never_ran"}
        )
    return jobs
