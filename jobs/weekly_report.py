"""The weekly report: last week's numbers, insights and recommendations for each workspace
with an autopilot (active or paused), emailed to its owners.

Each owner's email is a `reporting.email` job of the work engine, queued with the report
and run right after its commit (no transaction is open while the mail server is called);
the report's activity row then says whom it was actually emailed to. A mail server that is
down leaves the emails to the engine's retries: each run also sends those left due by
earlier runs, for up to EMAIL_DRAIN_SECONDS.

Run by hand for one workspace (`ctx.org_id`), it reports on that workspace whatever its
autopilot's state. Each workspace is committed on its own, so one failure stops no other.
"""

from __future__ import annotations

import logging
import time

from sqlalchemy import select

from jobs.runner import JobContext
from jobs.schedule import node_id
from webapp.core import clock
from webapp.core.extensions import db
from webapp.models import AutopilotConfig, Organization, WeeklyReport
from webapp.services.activity.log import log_activity
from webapp.services.reporting import reports
from webapp.services.reporting.delivery import (
    log_report_generated,
    queue_report_emails,
    send_report_emails,
)

log = logging.getLogger(__name__)

EMAIL_DRAIN_SECONDS = 300  # how long a run spends on emails left due by earlier runs


def _workspaces(ctx: JobContext) -> list[int]:
    if ctx.org_id is not None:
        return [ctx.org_id]
    return list(
        db.session.scalars(
            select(AutopilotConfig.org_id)
            .where(AutopilotConfig.status.in_(("active", "paused")))
            .order_by(AutopilotConfig.org_id)
        )
    )


def report_workspace(ctx: JobContext, org: Organization) -> int:
    """Build, store and email one workspace's report of last week. Returns the report id."""
    session = db.session
    facts = reports.gather_facts(session, org, None, ctx.now)
    ctx.checkpoint()  # no transaction stays open while the AI provider is called
    words = reports.write_insights(session, org, facts, ctx.now)
    report = reports.save_report(session, org, facts, words, ctx.now)
    report_id, org_id = report.id, org.id
    public_url = ctx.app.config["PUBLIC_URL"]
    waiting = queue_report_emails(session, org, report, now=ctx.now, public_url=public_url)
    ctx.checkpoint()  # the report and its email jobs, before the mail server is called
    sent = send_report_emails(db.engine, owner=_owner(ctx), clock=clock.now, job_ids=waiting)
    org, report = session.get(Organization, org_id), session.get(WeeklyReport, report_id)
    log_report_generated(session, org, report, sent.to, now=ctx.now, actor_id=ctx.actor_id)
    ctx.checkpoint()
    return report_id


def _owner(ctx: JobContext) -> str:
    return f"runner:{node_id()}:{ctx.run_id}"


def run(ctx: JobContext) -> dict:
    report_ids: list[int] = []
    failures: list[str] = []
    for org_id in _workspaces(ctx):
        org = db.session.get(Organization, org_id)
        if org is None:
            continue
        try:
            report_ids.append(report_workspace(ctx, org))
        except Exception as exc:  # one workspace's failure must not stop the others
            db.session.rollback()
            log.exception("weekly report failed for workspace %s", org_id)
            failures.append(f"workspace {org_id}: {type(exc).__name__}: {exc}")
            log_activity(
                db.session,
                org_id,
                "report.failed",
                f"The weekly report could not be generated ({type(exc).__name__}: {exc}). "
                'Press "Generate report now" on the Reports page to try again.',
                now=ctx.now,
                details={"error": f"{type(exc).__name__}: {exc}"},
                actor_id=ctx.actor_id,
            )
            ctx.checkpoint()
    earlier = send_report_emails(
        db.engine,
        owner=_owner(ctx),
        clock=clock.now,
        org_id=ctx.org_id,
        deadline=time.monotonic() + EMAIL_DRAIN_SECONDS,
    )
    summary = {"reports": len(report_ids), "report_ids": report_ids[:50]}
    if earlier.worked.completed:
        summary["earlier_emails_sent"] = earlier.worked.completed
    if failures:
        raise RuntimeError(
            f"{len(failures)} of {len(failures) + len(report_ids)} reports failed: "
            + "; ".join(failures[:5])
        )
    return summary
