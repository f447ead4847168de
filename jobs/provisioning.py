"""The 10-minute setup runner: runs queued setup pipelines, due retries and abandoned runs.

A run whose process died keeps its lease until it expires (PROVISIONING_LEASE_SECONDS);
then this job takes it over and resumes it from its last checkpoint. Run by hand for one
workspace (`ctx.org_id`) it touches only that workspace.
"""

from __future__ import annotations

import time

from jobs.runner import JobContext
from jobs.schedule import node_id
from webapp.services import provisioning
from webapp.services.dispatch import setting


def run(ctx: JobContext) -> dict:
    ctx.checkpoint()  # nothing stays open: the pipeline commits in its own session
    deadline = time.monotonic() + setting(ctx.app, "PROVISIONING_TICK_SECONDS", 480)
    return provisioning.run_due(
        ctx.app,
        now=ctx.now,
        owner=f"runner:{node_id()}:{ctx.run_id}",
        deadline=deadline,
        org_ids=[ctx.org_id] if ctx.org_id else None,
    )
