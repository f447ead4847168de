"""Scheduled analytics reports: every hour, each report whose period is due (yesterday,
last week or last month, once the workspace's local clock passed its send hour) is
computed once for that period and emailed to its recipients.

The hourly tick runs once per hour under the runner's lock and period row; each report's
period is claimed by its own run row (`analytics_report_runs`, unique per report and
period), so a report is computed and emailed once per period however many processes tick
and however many hours it stays due. Each report is committed on its own, so one failure
stops no other; email jobs a mail server refused are retried by later ticks.
"""

from __future__ import annotations

import logging
import time

from jobs.runner import JobContext
from jobs.schedule import node_id
from webapp.core import clock
from webapp.core.extensions import db
from webapp.services import analytics

log = logging.getLogger(__name__)

EMAIL_DRAIN_SECONDS = 120


def run(ctx: JobContext) -> dict:
    owner = f"runner:{node_id()}:{ctx.run_id}"
    public_url = ctx.app.config["PUBLIC_URL"]
    generated: list[int] = []
    failures: list[str] = []
    due = list(analytics.due_reports(db.session, ctx.now, ctx.org_id))
    ctx.checkpoint()  # a job's reads hold SQLite's write lock: end them before any sending
    for report, tz, period in due:
        report_id = report.id
        try:
            report_run = analytics.generate_run(
                db.session, report, tz, period, now=ctx.now, actor_id=ctx.actor_id
            )
            if report_run is None:  # another process claimed this period first
                db.session.rollback()
                continue
            waiting = analytics.queue_run_emails(
                db.session, report, report_run, now=ctx.now, public_url=public_url
            )
            generated.append(report_run.id)  # read before the commit expires it
            ctx.checkpoint()  # the run and its email jobs, before the mail server is called
            analytics.send_run_emails(db.engine, owner=owner, clock=clock.now, job_ids=waiting)
        except Exception as exc:  # one report's failure must not stop the others
            db.session.rollback()
            log.exception("analytics report %s failed", report_id)
            failures.append(f"report {report_id}: {type(exc).__name__}: {exc}")
    ctx.checkpoint()
    earlier = analytics.send_run_emails(
        db.engine,
        owner=owner,
        clock=clock.now,
        org_id=ctx.org_id,
        deadline=time.monotonic() + EMAIL_DRAIN_SECONDS,
    )
    summary: dict = {"reports": len(generated), "run_ids": generated[:50]}
    if earlier.completed:
        summary["earlier_emails_sent"] = earlier.completed
    if failures:
        raise RuntimeError(f"{len(failures)} reports failed: " + "; ".join(failures[:5]))
    return summary
