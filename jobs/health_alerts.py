"""The 15-minute health alerts job: for each workspace, open, refresh or resolve its alerts
(queue backed up, failure rate, AI cost spike, delivery rate) and email the owners about
new ones.

Each workspace is committed on its own, and its emails go out after that commit, so no
transaction is open while the mail server is called. Once the tick's time budget
(HEALTH_ALERTS_TICK_SECONDS, default 600 s) is spent, alerts are still evaluated but their
emails wait for the next run: a hanging mail server cannot stretch the job past its
period. A lost lock stops the job at once. Run by hand for one workspace (`ctx.org_id`)
it evaluates only that one.
"""

from __future__ import annotations

import logging
import time

from sqlalchemy import select

from jobs.runner import JobContext, LeaseLost
from webapp.extensions import db
from webapp.models import Organization
from webapp.services import alerts

log = logging.getLogger(__name__)


def run(ctx: JobContext) -> dict:
    org_ids = (
        [ctx.org_id]
        if ctx.org_id is not None
        else list(db.session.scalars(select(Organization.id).order_by(Organization.id)))
    )
    ctx.checkpoint()
    budget = ctx.app.config.get("HEALTH_ALERTS_TICK_SECONDS")
    deadline = time.monotonic() + int(600 if budget in (None, "") else budget)
    opened = open_now = emailed = deferred = 0
    failures: list[str] = []
    for org_id in org_ids:
        try:
            before = alerts.open_alert_ids(db.session, org_id)
            current = alerts.evaluate_alerts(db.session, org_id, now=ctx.now, notify=False)
            opened += len({a.id for a in current} - before)
            open_now += len(current)
            owed = alerts.pending_notifications(db.session, org_id)
            ctx.checkpoint()
            if owed and time.monotonic() >= deadline:
                deferred += len(owed)
            elif owed:
                emailed += alerts.deliver(db.session, org_id, owed, now=ctx.now)
                ctx.checkpoint()
        except LeaseLost:
            raise
        except Exception as exc:  # one workspace's failure must not stop the others
            db.session.rollback()
            log.exception("health alerts failed for workspace %s", org_id)
            failures.append(f"workspace {org_id}: {type(exc).__name__}: {exc}")
    if failures:
        raise RuntimeError(
            f"{len(failures)} of {len(org_ids)} workspaces failed: " + "; ".join(failures[:5])
        )
    summary = {"workspaces": len(org_ids), "opened": opened, "open": open_now, "emailed": emailed}
    if deferred:
        summary["emails_deferred"] = deferred
    return summary
