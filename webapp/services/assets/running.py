"""Running asset generations: right after the request that queued them (after its
response), and every minute by the `assets` scheduled job, which also picks up retries
and generations a crash left behind."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from webapp import queue
from webapp.models.queue import QueuedJob
from webapp.services.assets.generation import KIND


def run_asset_jobs(
    engine: Engine,
    *,
    owner: str,
    clock: Callable[[], datetime],
    org_id: int | None = None,
    job_ids: Sequence[int] | None = None,
    deadline: float | None = None,
) -> queue.WorkResult:
    """Run due generations (these ids, else every due one of the workspace, or of all)
    with no transaction of the caller's open. Returns the engine's counts."""
    where = [] if job_ids is None else [QueuedJob.id.in_(list(job_ids))]
    return queue.run_due(
        engine,
        kinds=[KIND],
        owner=owner,
        clock=clock,
        org_id=org_id,
        where=where,
        deadline=deadline,
        batch_size=5,
    )


def pending_job_ids(
    session: Session, asset_ids: Sequence[int], *, due_before: datetime | None = None
) -> list[int]:
    """The queued generation jobs of these assets (to run right after a response); with
    `due_before`, only those due since then that nobody has started (a stalled run)."""
    if not asset_ids:
        return []
    where = [QueuedJob.kind == KIND, QueuedJob.status == "pending"]
    if due_before is not None:
        where.append(QueuedJob.run_at <= due_before)
    rows = session.execute(select(QueuedJob.id, QueuedJob.payload).where(*where))
    wanted = set(asset_ids)
    return [job_id for job_id, payload in rows if (payload or {}).get("asset_id") in wanted]
