"""The weekly report: last week's numbers, insights and recommendations for each workspace
with an autopilot (active or paused), emailed to its owners.

Run by hand for one workspace (`ctx.org_id`), it reports on that workspace whatever its
autopilot's state. Each workspace is committed on its own, so one failure stops no other.
"""

from __future__ import annotations

import logging

from sqlalchemy import select

from jobs.runner import JobContext
from webapp.extensions import db
from webapp.models import AutopilotConfig, Organization
from webapp.services import reports
from webapp.services.activity import log_activity
from webapp.services.report_delivery import email_report, log_report_generated

log = logging.getLogger(__name__)


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
    sent = email_report(session, org, report, now=ctx.now, public_url=ctx.app.config["PUBLIC_URL"])
    log_report_generated(session, org, report, sent, now=ctx.now, actor_id=ctx.actor_id)
    ctx.checkpoint()
    return report.id


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
    summary = {"reports": len(report_ids), "report_ids": report_ids[:50]}
    if failures:
        raise RuntimeError(
            f"{len(failures)} of {len(failures) + len(report_ids)} reports failed: "
            + "; ".join(failures[:5])
        )
    return summary
