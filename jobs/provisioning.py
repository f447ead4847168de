"""The 10-minute setup runner: runs the due setup steps (queued runs, due retries, steps
whose worker died) through the work engine.

A step whose process died keeps its job's lease until it expires
(PROVISIONING_LEASE_SECONDS); then this job takes it over and resumes it from its last
checkpoint. Run by hand for one workspace (`ctx.org_id`) it touches only that workspace.
"""

from __future__ import annotations

import time

from jobs.runner import JobContext
from jobs.schedule import node_id
from webapp.services.messaging.dispatch import setting
from webapp.services.provisioning import pipeline as provisioning


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
