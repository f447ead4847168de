"""Housekeeping: recover stale queue leases, purge finished queue rows, old history, old
rate-limit hits, and contacts' events past their workspace's retention."""

from __future__ import annotations

from datetime import timedelta

from jobs.runner import JobContext
from webapp.core.extensions import db
from webapp.services.accounts import limits
from webapp.services.events import prune_events
from webapp.services.ops import job_history as scheduler_service
from webapp.services.ops import work_upkeep

EVENT_PRUNE_MAX_BATCHES = 40  # x PRUNE_BATCH rows per hourly run


def run(ctx: JobContext) -> dict:
    config = ctx.app.config
    session = db.session
    recovered = work_upkeep.recover_abandoned_work(session, now=ctx.now)
    ctx.checkpoint()
    purged = work_upkeep.purge_finished_work(
        session, older_than=ctx.now - timedelta(days=config["QUEUE_PURGE_COMPLETED_DAYS"])
    )
    ctx.checkpoint()
    # Runs whose process died (any period) stop saying "running", then prune like the rest.
    abandoned = scheduler_service.mark_abandoned(session, now=ctx.now)
    pruned_runs = scheduler_service.prune_runs(
        session,
        older_than=ctx.now - timedelta(days=config["JOB_RUN_HISTORY_DAYS"]),
        keep_per_job=20,
    )
    pruned_nodes = scheduler_service.prune_nodes(session, older_than=ctx.now - timedelta(hours=1))
    pruned_hits = limits.prune(session, older_than=ctx.now - limits.KEEP)
    ctx.checkpoint()
    pruned_events = _prune_events(ctx)
    return {
        **recovered,
        "queue_rows_purged": purged,
        "runs_abandoned": len(abandoned),
        "runs_pruned": pruned_runs,
        "scheduler_nodes_pruned": pruned_nodes,
        "rate_limit_hits_pruned": pruned_hits,
        "events_pruned": pruned_events,
    }


def _prune_events(ctx: JobContext, max_batches: int = EVENT_PRUNE_MAX_BATCHES) -> int:
    """Bounded batches, each committed on its own; whatever is left waits for the next hour."""
    total = 0
    for _ in range(max_batches):
        deleted = prune_events(db.session, now=ctx.now)
        ctx.checkpoint()
        total += deleted
        if deleted == 0:
            break
    return total
