"""Deployment health: database, migrations, scheduler, last job runs — one computation used by
`/healthz`, the health page and the dashboard. The workspaces' own health (integrations,
setup, queue, alerts) is `webapp.services.workspace_health`; `health_overview` joins both
for `/healthz`."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import Any

from alembic.config import Config as AlembicConfig
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlalchemy.orm import Session

from webapp.services import scheduler as scheduler_service
from webapp.services import workspace_health


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
    config = AlembicConfig()
    config.set_main_option("script_location", migrations_dir)
    return tuple(ScriptDirectory.from_config(config).get_heads())


def system_health(
    session: Session,
    *,
    now: datetime,
    migrations_dir: str | None = None,
    job_names: list[str] | None = None,
) -> HealthReport:
    """Check what the deployment needs to work. Never raises: a failure is a failed check."""
    report = HealthReport()
    try:
        session.execute(text("SELECT 1"))
        report.checks.append(
            Check("database", True, f"{session.get_bind().dialect.name} is reachable")
        )
    except Exception as exc:  # the point of a health check is to report, not to crash
        session.rollback()
        report.checks.append(
            Check(
                "database",
                False,
                f"cannot reach the database: {type(exc).__name__}",
                "Check DATABASE_URL and that the database server is running.",
            )
        )
        return report

    if migrations_dir:
        heads = migration_heads(migrations_dir)
        current = MigrationContext.configure(session.connection()).get_current_heads()
        at_head = set(current) == set(heads)
        detail = f"at {', '.join(current) or 'nothing'}" + (
            "" if at_head else f"; latest is {', '.join(heads)}"
        )
        report.checks.append(
            Check("migrations", at_head, detail, "" if at_head else "Run: autopilot db upgrade")
        )

    nodes = scheduler_service.live_nodes(session, now=now)
    report.checks.append(
        Check(
            "scheduler",
            bool(nodes),
            f"{len(nodes)} scheduler process{'es' if len(nodes) != 1 else ''} alive"
            if nodes
            else "no scheduler process has checked in for 90 seconds",
            ""
            if nodes
            else "Start the app with make run or autopilot serve, which run the scheduler (or set SCHEDULER_ENABLED=1).",
        )
    )
    if job_names:
        last = scheduler_service.last_runs(session, job_names, None)
        for name in job_names:
            run = last.get(name)
            report.jobs[name] = (
                {
                    "status": run.status,
                    "started_at": run.started_at.isoformat(),
                    "duration_ms": run.duration_ms,
                }
                if run
                else {"status": "never_ran"}
            )
    return report


def health_overview(
    session: Session, *, now: datetime, migrations_dir: str | None = None, jobs: Any = None
) -> tuple[HealthReport, dict[str, int]]:
    """The deployment's checks and how many workspaces are healthy, degraded and unhealthy.

    A workspace's trouble (say its Twilio credentials) is not the deployment's: only the
    deployment checks decide whether the report is healthy.
    """
    report = system_health(
        session, now=now, migrations_dir=migrations_dir, job_names=list(jobs.specs) if jobs else []
    )
    if not report.checks or not report.checks[0].ok:  # no database: nothing more to ask it
        return report, {}
    counts = workspace_health.status_counts(
        workspace_health.all_workspaces_health(session, now=now, jobs=jobs)
    )
    return report, counts
