"""The daily ad platforms pull: for every workspace with a linked Google Ads or Meta
campaign and saved credentials, queue the `ads.pull` job of the day (yesterday and the
week before it, see services/ads/pull.py), then run the due ads jobs — the pulls and the
budget pushes each pull queues. Retries are the work engine's (the 5-minute `ads_work` tick
runs them). Workspaces without credentials are left alone: their results come from uploads."""

from __future__ import annotations

import time

from jobs.runner import JobContext
from jobs.schedule import node_id
from webapp.core import clock
from webapp.core.extensions import db
from webapp.services.ads import queue_pulls, run_ads_jobs

TICK_SECONDS = 600


def run(ctx: JobContext) -> dict:
    queued = queue_pulls(db.session, now=ctx.now, org_id=ctx.org_id)
    ctx.checkpoint()  # the pulls are committed before any platform is called
    worked = run_ads_jobs(
        db.engine,
        owner=f"runner:{node_id()}:{ctx.run_id}",
        clock=clock.now,
        org_id=ctx.org_id,
        deadline=time.monotonic() + TICK_SECONDS,
    )
    return {
        "pulls_queued": queued,
        "completed": worked.completed,
        "retried": worked.retried,
        "deferred": worked.deferred,
        "failed": worked.failed,
    }
