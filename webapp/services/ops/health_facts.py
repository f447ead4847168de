"""The facts a workspace's health is made of (integrations, setup, scheduled jobs, queue,
open alerts), each gathered with one statement for one workspace or for all of them.

`workspace_health` adds them up into a status and issues.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from typing import Any

from flask import current_app, has_app_context
from sqlalchemy import ColumnElement, and_, bindparam, case, func, select, true
from sqlalchemy.orm import Session

from webapp.core.db import read
from webapp.models import CircuitBreaker, HealthAlert, IntegrationCredential, QueuedJob
from webapp.models.provisioning import ProvisioningRun
from webapp.services.connections import readable
from webapp.services.ops import job_history

PROVIDERS = ("smtp", "twilio", "openai", "google_ads", "meta_ads")
PROVIDER_LABELS = {
    "smtp": "Email (SMTP)",
    "twilio": "SMS and WhatsApp (Twilio)",
    "openai": "AI writing (OpenAI)",
    "google_ads": "Ad results and budgets (Google Ads)",
    "meta_ads": "Ad results and budgets (Meta)",
}
QUEUE_GRACE = timedelta(minutes=15)  # one sequences tick: a job due longer ago than this is late
DAY = timedelta(hours=24)


@dataclass
class IntegrationHealth:
    provider: str
    label: str
    configured: bool
    source: str | None  # "workspace" | "deployment" | None
    state: str  # closed | open | half_open | held | unused
    consecutive_failures: int = 0
    retry_at: datetime | None = None
    last_success_at: datetime | None = None
    last_failure_at: datetime | None = None
    last_error_class: str | None = None
    last_error: str | None = None
    unreadable: bool = False  # saved credentials that the configured keys cannot decrypt

    @property
    def working(self) -> bool:
        """Working only when the last call succeeded (failures alone are not "working")."""
        if self.state != "closed" or self.last_success_at is None:
            return False
        return self.last_failure_at is None or self.last_success_at >= self.last_failure_at

    @property
    def used(self) -> bool:
        return self.last_success_at is not None or self.last_failure_at is not None


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


def scoped(column: Any, org_ids: list[int] | None) -> ColumnElement[bool]:
    """A condition keeping the rows of these workspaces (None: every workspace)."""
    return true() if org_ids is None else column.in_(org_ids)


# The statements below are built once per process (with the workspaces and moments as
# parameters): a widget every open tab polls pays for running them, not for building them.
# A few workspaces (one page's, plus the deployment's 0) are that many plain parameters:
# an "expanding" IN list is rewritten into the SQL at every execution, which cost the
# widget more than some of its statements took to run.
ORG_IDS = "org_ids"
FIXED_SCOPE = 4


def scope_key(org_ids: list[int] | None) -> int | None:
    """Which built statement serves `org_ids`: None every workspace, n ≥ 0 that many fixed
    parameters, -1 one expanding list."""
    if org_ids is None:
        return None
    return len(org_ids) if len(org_ids) <= FIXED_SCOPE else -1


def in_scope(column: Any, scope: int | None) -> ColumnElement[bool]:
    """`scoped` for a statement built once (`scope` from `scope_key`)."""
    if scope is None:
        return true()
    if scope < 0:
        return column.in_(bindparam(ORG_IDS, expanding=True))
    if scope == 1:
        return column == bindparam(f"{ORG_IDS}_0")
    return column.in_([bindparam(f"{ORG_IDS}_{i}") for i in range(scope)])


def scope_params(org_ids: list[int] | None, **more: Any) -> dict[str, Any]:
    if org_ids is None:
        return more
    if len(org_ids) > FIXED_SCOPE:
        return {**more, ORG_IDS: list(org_ids)}
    return {**more, **{f"{ORG_IDS}_{i}": org_id for i, org_id in enumerate(org_ids)}}


def env_configured() -> set[str]:
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


def breakers(session: Session, org_ids: list[int] | None) -> dict[tuple[int, str], Any]:
    """Breaker rows (plain rows, not ORM objects: a thousand workspaces load several thousand)."""
    scope = None if org_ids is None else [*org_ids, 0]
    rows = read(session, _breakers_query(scope_key(scope)), scope_params(scope))
    return {(row.org_id, row.provider): row for row in rows}


@cache
def _breakers_query(scope: int | None):
    columns = [getattr(CircuitBreaker, name) for name in BREAKER_COLUMNS]
    return select(*columns).where(in_scope(CircuitBreaker.org_id, scope))


def readable_credentials(session: Session, org_ids: list[int] | None) -> dict[int, dict[str, bool]]:
    """Per workspace, its saved providers and whether each can be decrypted with the
    configured keys (an unreadable row is ignored by the adapters, so it must show here)."""
    found: dict[int, dict[str, bool]] = defaultdict(dict)
    rows = read(session, _credentials_query(scope_key(org_ids)), scope_params(org_ids))
    for org_id, provider, ciphertext in rows:
        found[org_id][provider] = readable(ciphertext)
    return found


@cache
def _credentials_query(scope: int | None):
    c = IntegrationCredential
    return select(c.org_id, c.provider, c.ciphertext).where(in_scope(c.org_id, scope))


def provisioning_runs(session: Session, org_ids: list[int] | None) -> dict[int, ProvisioningHealth]:
    rows = read(session, _provisioning_query(scope_key(org_ids)), scope_params(org_ids))
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


@cache
def _provisioning_query(scope: int | None):
    latest = (
        select(func.max(ProvisioningRun.id).label("id"))
        .where(in_scope(ProvisioningRun.org_id, scope))
        .group_by(ProvisioningRun.org_id)
        .subquery()
    )
    r = ProvisioningRun
    return select(
        r.org_id, r.status, r.progress, r.current_step, r.error, r.fix, r.attempts, r.updated_at
    ).join(latest, r.id == latest.c.id)


def scheduled_jobs(
    session: Session, now: datetime, jobs: Any, org_ids: list[int] | None = None
) -> list[JobHealth]:
    """Each scheduled job's last run, and whether its latest slot was missed. The runs are the
    Scheduler page's (`job_history.last_runs`): the deployment's and, for one workspace, its
    own, whether scheduled or run by hand."""
    if jobs is None and has_app_context():
        jobs = current_app.extensions.get("jobs")
    if jobs is None:
        return []
    last = job_history.last_run_states(session, list(jobs.specs), org_ids or [])
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
    # Kept on the job service: name -> (computed at, next firing, previous slot). The slot
    # stays the same until the next firing, so the widget every tab polls each minute
    # computes it once per period instead of twice per job per request.
    slots = vars(jobs).setdefault("_health_slots", {})
    cached = slots.get(name)
    if cached is not None and cached[0] <= now < cached[1]:
        return cached[2]
    following = jobs.next_run(name, now)
    if following is None:
        return None
    after = jobs.next_run(name, following + timedelta(seconds=1))
    slot = following - (after - following) if after else None
    slots[name] = (now, following, slot)
    return slot


def queue_health(
    session: Session, org_ids: list[int] | None, now: datetime
) -> dict[int, QueueHealth]:
    """By workspace: pending, oldest pending and late jobs, and the jobs finished (and failed) in 24 hours."""
    found: dict[int, QueueHealth] = {}
    pending, finished = _queue_queries(scope_key(org_ids))
    late = now - QUEUE_GRACE
    for org_id, count, oldest, n_late in read(session, pending, scope_params(org_ids, late=late)):
        if org_id is not None:
            found[org_id] = QueueHealth(
                pending=count, oldest_pending_at=oldest, late=int(n_late or 0)
            )
    for org_id, status, count in read(session, finished, scope_params(org_ids, since=now - DAY)):
        if org_id is None:
            continue
        queue = found.setdefault(org_id, QueueHealth())
        queue.finished_24h += count
        if status == "failed":
            queue.failed_24h += count
    return found


@cache
def _queue_queries(scope: int | None):
    q = QueuedJob
    pending = (
        select(
            q.org_id,
            func.count(),
            func.min(q.run_at),
            func.sum(case((q.run_at < bindparam("late", type_=q.run_at.type), 1), else_=0)),
        )
        .where(q.status == "pending", q.test_mode.is_(False), in_scope(q.org_id, scope))
        .group_by(q.org_id)
    )
    finished = (
        select(q.org_id, q.status, func.count())
        .where(
            and_(
                q.status.in_(("completed", "failed")),
                q.updated_at >= bindparam("since", type_=q.updated_at.type),
            ),
            q.test_mode.is_(False),
            in_scope(q.org_id, scope),
        )
        .group_by(q.org_id, q.status)
    )
    return pending, finished


ALERT_COLUMNS = ("org_id", "kind", "detail", "first_seen_at", "last_seen_at", "notified_at")


def open_alerts(session: Session, org_ids: list[int] | None) -> dict[int, list[Any]]:
    """Open alerts by workspace, oldest first (plain rows of ALERT_COLUMNS)."""
    found: dict[int, list[Any]] = defaultdict(list)
    for alert in read(session, _alerts_query(scope_key(org_ids)), scope_params(org_ids)):
        found[alert.org_id].append(alert)
    return found


@cache
def _alerts_query(scope: int | None):
    columns = [getattr(HealthAlert, name) for name in ALERT_COLUMNS]
    return (
        select(*columns)
        .where(HealthAlert.status == "open", in_scope(HealthAlert.org_id, scope))
        .order_by(HealthAlert.first_seen_at)
    )


# --- an integration's state from its breaker rows (the workspace's, the deployment's) -----


def integration(
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
