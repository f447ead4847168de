"""The 10-minute bounce mailbox job: for each workspace with a bounce mailbox, read the
bounces and abuse reports its VERP return path collected and suppress the addresses that
bounced for good or complained. One workspace's unreachable mailbox does not stop the
others (its failure is on its activity feed); a lost lock stops the job at once."""

from __future__ import annotations

import logging

from jobs.runner import JobContext, LeaseLost
from webapp.core.extensions import db
from webapp.services.suppression import mailbox_workspaces, read_bounce_mailbox

log = logging.getLogger(__name__)


def run(ctx: JobContext) -> dict:
    org_ids = mailbox_workspaces(db.session, ctx.org_id)
    ctx.checkpoint()
    read = suppressed = 0
    failures: list[str] = []
    for org_id in org_ids:
        try:
            outcome = read_bounce_mailbox(db.session, org_id, now=ctx.now, commit=ctx.checkpoint)
            ctx.checkpoint()
        except LeaseLost:
            raise
        except Exception as exc:  # one workspace's failure must not stop the others
            db.session.rollback()
            log.exception("bounce mailbox failed for workspace %s", org_id)
            failures.append(f"workspace {org_id}: {type(exc).__name__}: {exc}")
            continue
        if outcome is not None:
            read += outcome.read
            suppressed += len(outcome.suppressed)
            if outcome.error:
                failures.append(f"workspace {org_id}: {outcome.error}")
    return {"workspaces": len(org_ids), "read": read, "suppressed": suppressed,
            "failures": failures[:5]}  # fmt: skip
