"""A workspace's health: integrations, setup, scheduled jobs, queue, open alerts, and the
issues they add up to (the rules are in `health_issues`), each with a fix and a link. One
computation for the dashboard widget, the health page, the support view and `/healthz`.

Facts are gathered with a fixed handful of GROUP BY queries whatever the number of
workspaces, so `all_workspaces_health` costs the same 8 statements or so for 1 workspace or
1,000; `workspace_health` runs the same code restricted to one.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask import current_app, has_app_context
from sqlalchemy import and_, case, func, select, true
from sqlalchemy.orm import Session

from webapp.models import (
    CircuitBreaker,
    HealthAlert,
    IntegrationCredential,
    JobRun,
    Organization,
    QueuedJob,
)
from webapp.models.provisioning import ProvisioningRun
from webapp.services import credentials
from webapp.services.health_issues import (
    DEGRADED,
    FAILURE_MIN_SAMPLE,
    FAILURE_RATE,
    HEALTHY,
    QUEUE_BACKED_UP,
    UNHEALTHY,
    Issue,
    decide_status,
    issues_for,
)

__all__ = [
    "DEGRADED",
    "FAILURE_MIN_SAMPLE",
    "FAILURE_RATE",
    "HEALTHY",
    "QUEUE_BACKED_UP",
    "UNHEALTHY",
    "Issue",
    "WorkspaceHealth",
    "all_workspaces_health",
    "decide_status",
    "queue_health",
    "status_counts",
    "workspace_health",
]

RANK = {UNHEALTHY: 0, DEGRADED: 1, HEALTHY: 2}
LABELS = {HEALTHY: "Healthy", DEGRADED: "Degraded", UNHEALTHY: "Unhealthy"}
SENTENCES = {
    HEALTHY: "Everything is working: messages go out, setup is complete and the scheduled jobs run on time.",
    DEGRADED: "Working, with problems to look at: some things are slower or failing more than they should.",
    UNHEALTHY: "Something has stopped working and needs you: see the first issue below.",
}

PROVIDERS = ("smtp", "twilio", "openai")
PROVIDER_LABELS = {
    "smtp": "Email (SMTP)",
    "twilio": "SMS and WhatsApp (Twilio)",
    "openai": "AI writing (OpenAI)",
}
QUEUE_GRACE = timedelta(minutes=15)  # one sequences tick: a job due longer ago than this is late
DAY = timedelta(hours=24)


@dataclass
class IntegrationHealth:
    provider: str
    label: str
    configured: bool
    source: str | None  # "workspace" | "deployment" | None
    state: str  # closed | open | half_open | unused
    consecutive_failures: int = 0
    retry_at: datetime | None = None
    last_success_at: datetime | None = None
    last_failure_at: datetime | None = None
    last_error_class: str | None = None
    last_error: str | None = None
    unreadable: bool = False  # saved credentials that the configured keys cannot decrypt


@dataclass
class ProvisioningHealth:
    status: str  # never | queued | running | succeeded | failed
    progress: int = 0
    current_step: str | None = None
    error: str | None = None
    fix: str | None = None
    attempts: int = 0
    updated_at: datetime | None = None


@dataclass
class JobHealth:
    name: str
    title: str
    last_status: str  # never_ran | running | succeeded | failed
    last_started_at: datetime | None = None
    due_by: datetime | None = None
    overdue: bool = False


@dataclass
class QueueHealth:
    pending: int = 0
    oldest_pending_at: datetime | None = None
    late: int = 0
    finished_24h: int = 0
    failed_24h: int = 0

    def oldest_age(self, now: datetime) -> timedelta | None:
        return now - self.oldest_pending_at if self.oldest_pending_at else None

    @property
    def failure_rate(self) -> float | None:
        return self.failed_24h / self.finished_24h if self.finished_24h else None


@dataclass
class WorkspaceHealth:
    org_id: int
    org_name: str
    status: str
    integrations: list[IntegrationHealth]
    provisioning: ProvisioningHealth
    scheduler: list[JobHealth]
    queue: QueueHealth
    alerts: list[HealthAlert]
    issues: list[Issue]
    checked_at: datetime

    @property
    def label(self) -> str:
        return LABELS[self.status]

    @property
    def sentence(self) -> str:
        return SENTENCES[self.status]

    @property
    def top_issue(self) -> Issue | None:
        return self.issues[0] if self.issues else None

    @property
    def overdue_jobs(self) -> list[JobHealth]:
        return [job for job in self.scheduler if job.overdue]


def workspace_health(
    session: Session, org_id: int, *, now: datetime, jobs: Any = None
) -> WorkspaceHealth:
    """The health of one workspace. `jobs` is the app's job service (default: the current app's)."""
    [health] = _compute(session, [org_id], now=now, jobs=jobs) or [None]
    if health is None:
        raise LookupError(f"no workspace {org_id}")
    return health


def all_workspaces_health(
    session: Session, *, now: datetime, jobs: Any = None
) -> list[WorkspaceHealth]:
    """Every workspace's health, worst first (then most issues, then name)."""
    rows = _compute(session, None, now=now, jobs=jobs)
    return sorted(
        rows, key=lambda h: (RANK[h.status], -len(h.issues), h.org_name.lower(), h.org_id)
    )


def status_counts(healths: Iterable[WorkspaceHealth]) -> dict[str, int]:
    counts = {HEALTHY: 0, DEGRADED: 0, UNHEALTHY: 0}
    for health in healths:
        counts[health.status] += 1
    return counts


# --- gathering: one statement per fact, for one workspace or all ------------------------


def _scoped(column, org_ids: list[int] | None):  # noqa: ANN001, ANN202
    return true() if org_ids is None else column.in_(org_ids)


def _compute(
    session: Session, org_ids: list[int] | None, *, now: datetime, jobs: Any
) -> list[WorkspaceHealth]:
    orgs = session.execute(
        select(Organization.id, Organization.name).where(_scoped(Organization.id, org_ids))
    ).all()
    if not orgs:
        return []
    breakers = _breakers(session, org_ids)
    creds = _credentials(session, org_ids)
    runs = _provisioning(session, org_ids)
    scheduler = _scheduler(session, now, jobs)
    queues = queue_health(session, org_ids, now)
    alerts = _open_alerts(session, org_ids)
    env = _env_configured()
    results = []
    for org_id, name in orgs:
        integrations = [
            _integration(
                p,
                breakers.get((org_id, p)),
                breakers.get((0, p)),
                creds.get(org_id, {}).get(p),
                p in env,
            )
            for p in PROVIDERS
        ]
        provisioning = runs.get(org_id) or ProvisioningHealth("never")
        queue = queues.get(org_id) or QueueHealth()
        open_alerts = alerts.get(org_id, [])
        issues = issues_for(integrations, provisioning, scheduler, queue, open_alerts, now)
        results.append(
            WorkspaceHealth(
                org_id,
                name,
                decide_status(issues),
                integrations,
                provisioning,
                scheduler,
                queue,
                open_alerts,
                issues,
                now,
            )
        )
    return results


def _env_configured() -> set[str]:
    """Providers configured for the whole deployment by the environment."""
    if not has_app_context():
        return set()
    config = current_app.config
    found = set()
    if config.get("SMTP_HOST"):
        found.add("smtp")
    if (
        config.get("TWILIO_ACCOUNT_SID")
        and config.get("TWILIO_AUTH_TOKEN")
        and config.get("TWILIO_FROM")
    ):
        found.add("twilio")
    if config.get("OPENAI_API_KEY"):
        found.add("openai")
    return found


BREAKER_COLUMNS = (
    "org_id",
    "provider",
    "state",
    "consecutive_failures",
    "retry_at",
    "last_success_at",
    "last_failure_at",
    "last_error_class",
    "last_error",
)


def _breakers(session: Session, org_ids: list[int] | None) -> dict[tuple[int, str], Any]:
    """Breaker rows (plain rows, not ORM objects: a thousand workspaces load several thousand)."""
    scope = None if org_ids is None else [*org_ids, 0]
    columns = [getattr(CircuitBreaker, name) for name in BREAKER_COLUMNS]
    rows = session.execute(select(*columns).where(_scoped(CircuitBreaker.org_id, scope)))
    return {(row.org_id, row.provider): row for row in rows}


def _credentials(session: Session, org_ids: list[int] | None) -> dict[int, dict[str, bool]]:
    """Per workspace, its saved providers and whether each can be decrypted with the
    configured keys (an unreadable row is ignored by the adapters, so it must show here)."""
    found: dict[int, dict[str, bool]] = defaultdict(dict)
    rows = session.execute(
        select(
            IntegrationCredential.org_id,
            IntegrationCredential.provider,
            IntegrationCredential.ciphertext,
        ).where(_scoped(IntegrationCredential.org_id, org_ids))
    )
    for org_id, provider, ciphertext in rows:
        found[org_id][provider] = credentials.readable(ciphertext)
    return found


def _provisioning(session: Session, org_ids: list[int] | None) -> dict[int, ProvisioningHealth]:
    latest = (
        select(func.max(ProvisioningRun.id).label("id"))
        .where(_scoped(ProvisioningRun.org_id, org_ids))
        .group_by(ProvisioningRun.org_id)
        .subquery()
    )
    r = ProvisioningRun
    rows = session.execute(
        select(
            r.org_id, r.status, r.progress, r.current_step, r.error, r.fix, r.attempts, r.updated_at
        ).join(latest, r.id == latest.c.id)
    )
    return {
        run.org_id: ProvisioningHealth(
            run.status,
            run.progress or 0,
            run.current_step,
            run.error,
            run.fix,
            run.attempts or 0,
            run.updated_at,
        )
        for run in rows
    }


def _scheduler(session: Session, now: datetime, jobs: Any) -> list[JobHealth]:
    """Each scheduled job's last scheduled run, and whether its latest slot was missed."""
    if jobs is None and has_app_context():
        jobs = current_app.extensions.get("jobs")
    if jobs is None:
        return []
    names = list(jobs.specs)
    latest = (
        select(func.max(JobRun.id).label("id"))
        .where(JobRun.job.in_(names), JobRun.org_id.is_(None))
        .group_by(JobRun.job)
        .subquery()
    )
    last = {
        run.job: run
        for run in session.scalars(select(JobRun).join(latest, JobRun.id == latest.c.id))
    }
    result = []
    for name, spec in jobs.specs.items():
        run = last.get(name)
        health = JobHealth(
            name, spec.title, run.status if run else "never_ran", run.started_at if run else None
        )
        slot = _previous_slot(jobs, name, now)
        if run is not None and slot is not None:
            grace = timedelta(seconds=spec.schedule.misfire_grace_seconds) + timedelta(minutes=5)
            health.due_by = slot + grace
            health.overdue = run.started_at < slot and now > health.due_by
        result.append(health)
    return result


def _previous_slot(jobs: Any, name: str, now: datetime) -> datetime | None:
    following = jobs.next_run(name, now)
    if following is None:
        return None
    after = jobs.next_run(name, following + timedelta(seconds=1))
    return following - (after - following) if after else None


def queue_health(
    session: Session, org_ids: list[int] | None, now: datetime
) -> dict[int, QueueHealth]:
    """By workspace: pending, oldest pending and late jobs, and the jobs finished (and failed) in 24 hours."""
    found: dict[int, QueueHealth] = {}
    pending = session.execute(
        select(
            QueuedJob.org_id,
            func.count(),
            func.min(QueuedJob.run_at),
            func.sum(case((QueuedJob.run_at < now - QUEUE_GRACE, 1), else_=0)),
        )
        .where(
            QueuedJob.status == "pending",
            QueuedJob.test_mode.is_(False),
            _scoped(QueuedJob.org_id, org_ids),
        )
        .group_by(QueuedJob.org_id)
    )
    for org_id, count, oldest, late in pending:
        if org_id is not None:
            found[org_id] = QueueHealth(
                pending=count, oldest_pending_at=oldest, late=int(late or 0)
            )
    finished = session.execute(
        select(QueuedJob.org_id, QueuedJob.status, func.count())
        .where(
            and_(QueuedJob.status.in_(("completed", "failed")), QueuedJob.updated_at >= now - DAY),
            QueuedJob.test_mode.is_(False),
            _scoped(QueuedJob.org_id, org_ids),
        )
        .group_by(QueuedJob.org_id, QueuedJob.status)
    )
    for org_id, status, count in finished:
        if org_id is None:
            continue
        queue = found.setdefault(org_id, QueueHealth())
        queue.finished_24h += count
        if status == "failed":
            queue.failed_24h += count
    return found


def _open_alerts(session: Session, org_ids: list[int] | None) -> dict[int, list[HealthAlert]]:
    found: dict[int, list[HealthAlert]] = defaultdict(list)
    rows = session.scalars(
        select(HealthAlert)
        .where(HealthAlert.status == "open", _scoped(HealthAlert.org_id, org_ids))
        .order_by(HealthAlert.first_seen_at)
    )
    for alert in rows:
        found[alert.org_id].append(alert)
    return found


# --- an integration's state from its breaker rows (the workspace's, the deployment's) -----


def _integration(
    provider: str, own: Any, deployment: Any, saved: bool | None, by_env: bool
) -> IntegrationHealth:
    """`saved`: None when the workspace has no credentials of its own for `provider`, else
    whether they can be decrypted."""
    source = "workspace" if saved else "deployment" if by_env else None
    health = IntegrationHealth(
        provider,
        PROVIDER_LABELS[provider],
        source is not None,
        source,
        "unused",
        unreadable=saved is False,
    )
    rows = [row for row in (own, deployment) if row is not None]
    if not rows:
        return health
    ruling = own or deployment  # the workspace's own breaker governs its sends
    health.state = ruling.state
    health.consecutive_failures = ruling.consecutive_failures
    health.retry_at = ruling.retry_at
    successes = [row.last_success_at for row in rows if row.last_success_at]
    health.last_success_at = max(successes) if successes else None
    failed = max(
        (row for row in rows if row.last_failure_at), key=lambda r: r.last_failure_at, default=None
    )
    if failed is not None:
        health.last_failure_at = failed.last_failure_at
        health.last_error_class = failed.last_error_class
        health.last_error = failed.last_error
    return health
