"""Putting work on the engine and asking what is due: `submit` (a registered kind's job,
idempotent on its key), `reschedule` (pending jobs to another time) and `due_org_ids`
(which workspaces have claimable work, for a tick that runs them one by one)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from webapp.core.db import begin_write
from webapp.models.queue import QueuedJob
from webapp.queue import store
from webapp.queue.handlers import kind


def submit(
    session: Session,
    name: str,
    payload: dict,
    *,
    key: str,
    now: datetime,
    run_at: datetime | None = None,
    org_id: int | None = None,
    lock_key: str | None = None,
) -> tuple[QueuedJob, bool]:
    """Enqueue a job of a registered kind with the kind's attempts (idempotent on `key`)."""
    spec = kind(name)
    if spec is None:
        raise LookupError(f"unknown job kind {name!r}")
    return store.enqueue(
        session,
        name,
        payload,
        idempotency_key=key,
        now=now,
        run_at=run_at,
        org_id=org_id,
        max_attempts=spec.max_attempts,
        lock_key=lock_key,
    )


def reschedule(session: Session, *conditions, run_at: datetime, now: datetime) -> int:
    """Move the pending jobs matching `conditions` to `run_at` (a message someone asked to
    send now, a schedule that changed). Jobs already running are left alone. Returns how
    many moved."""
    begin_write(session)
    moved = session.execute(
        update(QueuedJob)
        .where(QueuedJob.status == "pending", *conditions)
        .values(run_at=run_at, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    return moved.rowcount or 0


def due_org_ids(session: Session, *, kinds: Sequence[str], now: datetime) -> list[int]:
    """Workspaces with a job of `kinds` that a worker could claim now: due, or abandoned
    (lease expired) with attempts left, its lock key free. A read; it leases nothing."""
    query = select(QueuedJob.org_id).where(store._claimable(now, kinds, None)).distinct()
    return sorted(org_id for org_id in session.scalars(query) if org_id is not None)
