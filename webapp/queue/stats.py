"""Reading the queue: jobs per status and the oldest due job (health, alerts, pages)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from webapp.models.queue import QueuedJob


def counts(session: Session, *conditions) -> dict[str, int]:
    """Jobs per status (every status present, zero when none), plus `total`."""
    rows = session.execute(
        select(QueuedJob.status, func.count()).where(*conditions).group_by(QueuedJob.status)
    ).all()
    result = dict.fromkeys(("pending", "processing", "completed", "failed", "cancelled"), 0)
    result.update({status: n for status, n in rows})
    result["total"] = sum(result.values())
    return result


def oldest_pending_due(session: Session, *conditions) -> datetime | None:
    return session.scalar(
        select(func.min(QueuedJob.run_at)).where(QueuedJob.status == "pending", *conditions)
    )
