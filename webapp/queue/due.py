"""The claim's read of due work as two ordered index ranges, so its cost does not grow
with the backlog.

"Pending and due" OR "lease expired" in one WHERE defeats the index: SQLite sorted every
due row for each batch (a 100-job claim cost ~55 ms at 100,000 due, ~0.9 s at 1M) and
PostgreSQL scanned and sorted. Read apart, each is a range of its own index walked in
order — pending jobs by `ix_queued_jobs_status_run_at` (status, run_at, id), already in
the claim's order, so the LIMIT stops the walk; expired leases by
`ix_queued_jobs_status_lease`, a handful of rows — and the two are merged, oldest due
first, as the single query ordered them.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import and_, select
from sqlalchemy.orm import Session

from webapp.models import QueuedJob


def due_rows(
    session: Session, conditions: Sequence, states: dict, *, limit: int
) -> list[tuple[int, str | None]]:
    """(id, lock_key) of up to `limit` claimable jobs, oldest due first, the rows locked
    (PostgreSQL FOR UPDATE SKIP LOCKED; SQLite's write transaction serialises claims).

    `conditions`: what every claimable job meets besides being due or abandoned."""
    rows: list[tuple[datetime, int, str | None]] = []
    for state in (states["due"], states["abandoned"]):
        rows += session.execute(
            select(QueuedJob.run_at, QueuedJob.id, QueuedJob.lock_key)
            .where(and_(state, *conditions))
            .order_by(QueuedJob.run_at, QueuedJob.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        ).all()
    rows.sort(key=lambda row: (row[0], row[1]))
    return [(job_id, key) for _run_at, job_id, key in rows[:limit]]
