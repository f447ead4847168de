"""Rows that make a workspace's health change: queue jobs and an open circuit breaker."""

from __future__ import annotations

from datetime import datetime, timedelta

from tests.conftest import START
from webapp.core.extensions import db
from webapp.models import CircuitBreaker, Organization, QueuedJob


def add_jobs(
    org: Organization,
    n: int,
    *,
    status: str = "pending",
    run_at: datetime = START,
    created_at: datetime = START,
    updated_at: datetime | None = None,
    prefix: str = "j",
) -> None:
    """`n` queue jobs of the workspace in `status`, committed."""
    db.session.add_all(
        QueuedJob(
            org_id=org.id,
            kind="send",
            payload={},
            idempotency_key=f"{prefix}-{org.id}-{status}-{i}",
            status=status,
            attempts=0,
            max_attempts=5,
            run_at=run_at,
            created_at=created_at,
            updated_at=updated_at or created_at,
        )
        for i in range(n)
    )
    db.session.commit()


def open_breaker(
    org_id: int, provider: str, error_class: str, error: str, *, at: datetime = START
) -> None:
    """The (workspace, provider) breaker open after five failures at `at` (org_id 0: the deployment's)."""
    db.session.add(
        CircuitBreaker(
            org_id=org_id,
            provider=provider,
            state="open",
            consecutive_failures=5,
            last_failure_at=at,
            last_error_class=error_class,
            last_error=error,
            retry_at=at + timedelta(seconds=60),
            updated_at=at,
        )
    )
    db.session.commit()
