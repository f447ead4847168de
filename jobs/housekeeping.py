"""Housekeeping: recover stale queue leases, purge finished queue rows and old history."""

from __future__ import annotations

from datetime import timedelta

from jobs.runner import JobContext
from webapp import queue
from webapp.extensions import db
from webapp.services import scheduler as scheduler_service
from webapp.services.accounts import prune_login_failures


def run(ctx: JobContext) -> dict:
    config = ctx.app.config
    session = db.session
    recovered = queue.recover_stale(session, now=ctx.now)
    ctx.checkpoint()
    purged = queue.purge_completed(
        session, older_than=ctx.now - timedelta(days=config["QUEUE_PURGE_COMPLETED_DAYS"])
    )
    ctx.checkpoint()
    pruned_runs = scheduler_service.prune_runs(
        session, older_than=ctx.now - timedelta(days=config["JOB_RUN_HISTORY_DAYS"]), keep_per_job=20
    )
    pruned_nodes = scheduler_service.prune_nodes(session, older_than=ctx.now - timedelta(hours=1))
    pruned_logins = prune_login_failures(session, older_than=ctx.now - timedelta(days=1))
    return {
        "stale_leases_recovered": recovered,
        "queue_rows_purged": purged,
        "runs_pruned": pruned_runs,
        "scheduler_nodes_pruned": pruned_nodes,
        "login_failures_pruned": pruned_logins,
    }
