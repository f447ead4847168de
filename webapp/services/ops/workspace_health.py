"""A workspace's health: integrations, setup, scheduled jobs, queue, open alerts (gathered
in `health_facts`), and the issues they add up to (the rules are in `issues`), each with a
fix and a link. One computation for the dashboard widget, the health page, the support view
and `/healthz`.

Facts are gathered with a fixed handful of GROUP BY queries whatever the number of
workspaces, so `all_workspaces_health` costs the same 8 statements or so for 1 workspace or
1,000; `workspace_health` runs the same code restricted to one.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

from flask import current_app, has_app_context
from sqlalchemy import select
from sqlalchemy.orm import Session

from webapp.integrations.email import insecure_public_url
from webapp.models import Organization
from webapp.services.ops import health_facts as facts
from webapp.services.ops.health_facts import (
    IntegrationHealth,
    JobHealth,
    ProvisioningHealth,
    QueueHealth,
    queue_health,
)
from webapp.services.ops.issues import (
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
    "QueueHealth",
    "WorkspaceHealth",
    "all_workspaces_health",
    "decide_status",
    "queue_health",
    "status_counts",
    "workspace_health",
]

SETUP_PROVIDERS = ("smtp", "twilio", "openai")  # the ads platforms are optional
RANK = {UNHEALTHY: 0, DEGRADED: 1, HEALTHY: 2}
LABELS = {HEALTHY: "Healthy", DEGRADED: "Degraded", UNHEALTHY: "Unhealthy"}
SENTENCES = {
    HEALTHY: "Everything is working: messages go out, setup is complete and the scheduled jobs run on time.",
    DEGRADED: "Working, with problems to look at: some things are slower or failing more than they should.",
    UNHEALTHY: "Something has stopped working and needs you: see the first issue below.",
}


@dataclass
class WorkspaceHealth:
    org_id: int
    org_name: str
    status: str
    integrations: list[IntegrationHealth]
    provisioning: ProvisioningHealth
    scheduler: list[JobHealth]
    queue: QueueHealth
    alerts: list[Any]  # open alerts, plain rows (health_facts.ALERT_COLUMNS)
    issues: list[Issue]
    checked_at: datetime

    @property
    def label(self) -> str:
        return LABELS[self.status]

    @property
    def to_set_up(self) -> list[str]:
        """What is left to set up, in words (a brand-new workspace is not "complete")."""
        left = []
        if self.provisioning.status == "never":
            left.append("run the setup wizard")
        elif self.provisioning.status in ("queued", "running"):
            left.append("let setup finish")
        left += [
            f"connect {i.label}"
            for i in self.integrations
            if i.provider in SETUP_PROVIDERS and not i.configured
        ]
        return left

    @property
    def sentence(self) -> str:
        left = self.to_set_up
        if self.status == HEALTHY and left:
            return f"Nothing is broken, but setup is not finished: {'; '.join(left)}."
        return SENTENCES[self.status]

    @property
    def top_issue(self) -> Issue | None:
        return self.issues[0] if self.issues else None

    @property
    def overdue_jobs(self) -> list[JobHealth]:
        return [job for job in self.scheduler if job.overdue]


def workspace_health(
    session: Session, org_id: int, *, now: datetime, jobs: Any = None, name: str | None = None
) -> WorkspaceHealth:
    """The health of one workspace. `jobs` is the app's job service (default: the current app's);
    `name`: the workspace's name when the caller has it (a page's loaded workspace), which
    spares the statement that reads it."""
    known = [(org_id, name)] if name is not None else None
    [health] = _compute(session, [org_id], now=now, jobs=jobs, orgs=known) or [None]
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


@cache
def _orgs_query(scope: int | None):
    return select(Organization.id, Organization.name).where(facts.in_scope(Organization.id, scope))


def _compute(
    session: Session,
    org_ids: list[int] | None,
    *,
    now: datetime,
    jobs: Any,
    orgs: list[tuple[int, str]] | None = None,
) -> list[WorkspaceHealth]:
    if orgs is None:
        orgs = session.execute(
            _orgs_query(facts.scope_key(org_ids)), facts.scope_params(org_ids)
        ).all()
    if not orgs:
        return []
    breakers = facts.breakers(session, org_ids)
    creds = facts.readable_credentials(session, org_ids)
    runs = facts.provisioning_runs(session, org_ids)
    scheduler = facts.scheduled_jobs(session, now, jobs, org_ids)
    queues = queue_health(session, org_ids, now)
    alerts = facts.open_alerts(session, org_ids)
    env = facts.env_configured()
    public_url = current_app.config.get("PUBLIC_URL") if has_app_context() else None
    mail_held = insecure_public_url(public_url)
    results = []
    for org_id, name in orgs:
        integrations = [
            facts.integration(
                p,
                breakers.get((org_id, p)),
                breakers.get((0, p)),
                creds.get(org_id, {}).get(p),
                p in env,
            )
            for p in facts.PROVIDERS
        ]
        provisioning = runs.get(org_id) or ProvisioningHealth("never")
        queue = queues.get(org_id) or QueueHealth()
        open_alerts = alerts.get(org_id, [])
        issues = issues_for(
            integrations, provisioning, scheduler, queue, open_alerts, now, mail_held
        )
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
