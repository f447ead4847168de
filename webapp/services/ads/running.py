"""Running the ads area's queue jobs (pulls and budget pushes) for the scheduler's ticks."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy.engine import Engine

from webapp import queue
from webapp.services.ads import pull, push

KINDS = (pull.KIND, push.KIND)


def run_ads_jobs(
    engine: Engine,
    *,
    owner: str,
    clock: Callable[[], datetime],
    org_id: int | None = None,
    deadline: float | None = None,
) -> queue.WorkResult:
    """Run the due ads jobs (every workspace's, or one's) with no caller transaction open."""
    return queue.run_due(
        engine,
        kinds=list(KINDS),
        owner=owner,
        clock=clock,
        org_id=org_id,
        deadline=deadline,
        batch_size=10,
    )
