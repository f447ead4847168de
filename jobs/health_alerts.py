"""The 15-minute health alerts job: for each workspace, open, refresh or resolve its alerts
(queue backed up, failure rate, AI cost spike, delivery rate) and queue the owners' emails
about new ones; then run the due alert emails (`ops.alert_email` jobs of the work engine).

Each workspace is committed on its own, with the emails it queued; the emails run after
that, so no transaction is open while the mail server is called. They include any left
due by earlier runs (a mail server that was down: the engine retries each email with
backoff). Once the tick's time budget (HEALTH_ALERTS_TICK_SECONDS, default 600 s) is spent,
alerts are still evaluated but their emails wait, queued, for the next run: a hanging mail
server cannot stretch the job past its period. A lost lock stops the job at once. Run by
hand for one workspace (`ctx.org_id`) it evaluates, and emails, only that one.
"""

from __future__ import annotations

import logging
import time

from sqlalchemy import select

from jobs.runner import JobContext, LeaseLost
from jobs.schedule import node_id
from webapp.core import clock
from webapp.core.extensions import db
from webapp.models import Organization
from webapp.services.ops import alert_emails, alerts, health_rows

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
    opened = open_now = 0
    failures: list[str] = []
    for org_id in org_ids:
        try:
            before = alerts.open_alert_ids(db.session, org_id)
            current = alerts.evaluate_alerts(db.session, org_id, now=ctx.now, notify=False)
            opened += len({a.id for a in current} - before)
            open_now += len(current)
            alert_emails.queue_alert_emails(db.session, org_id, now=ctx.now)
            ctx.checkpoint()
        except LeaseLost:
            raise
        except Exception as exc:  # one workspace's failure must not stop the others
            db.session.rollback()
            log.exception("health alerts failed for workspace %s", org_id)
            failures.append(f"workspace {org_id}: {type(exc).__name__}: {exc}")
    # Support's all-workspaces view reads these rows (one query), not a recomputation.
    health_rows.refresh_health_rows(
        db.session,
        now=ctx.now,
        jobs=ctx.app.extensions.get("jobs"),
        org_ids=None if ctx.org_id is None else [ctx.org_id],
    )
    db.session.commit()
    ctx.checkpoint()  # a lost lock stops here, before any email
    worked = alert_emails.send_alert_emails(
        db.engine,
        owner=f"runner:{node_id()}:{ctx.run_id}",
        clock=clock.now,
        org_id=ctx.org_id,
        deadline=deadline,
    )
    deferred = alert_emails.due_count(db.session, now=clock.now(), org_id=ctx.org_id)
    db.session.commit()
    if failures:
        raise RuntimeError(
            f"{len(failures)} of {len(org_ids)} workspaces failed: " + "; ".join(failures[:5])
        )
    summary = {
        "workspaces": len(org_ids),
        "opened": opened,
        "open": open_now,
        "emailed": worked.completed,
    }
    if worked.retried or worked.deferred:
        summary["emails_retrying"] = worked.retried + worked.deferred
    if deferred:
        summary["emails_deferred"] = deferred
    return summary
