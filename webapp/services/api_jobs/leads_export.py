"""`leads.export`: the workspace's leads (optionally one status or source) as CSV, the same
file the inbox's export gives, kept with the job for download
(`GET /api/v1/jobs/<id>/download`) until housekeeping purges finished jobs.

The file is built with no write transaction open and stored by the job's outcome. At most
MAX_ROWS leads, so one job's result stays a few megabytes; a bigger export names a filter.
"""

from __future__ import annotations

from datetime import datetime
from itertools import islice
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from webapp import queue
from webapp.models import Lead, Organization
from webapp.models.queue import QueuedJob
from webapp.queue import Done, Failed, JobContext, Outcome
from webapp.services.api_jobs.errors import JobRefused
from webapp.services.leads import LeadFilter, export_csv, iter_leads

KIND = "leads.export"
MAX_ROWS = 50_000


def check(session: Session, org_id: int, payload: dict, now: datetime) -> None:
    """Raises JobRefused when the export would be larger than MAX_ROWS."""
    count = session.scalar(
        select(func.count()).select_from(Lead).where(*_conditions(org_id, payload))
    )
    if count > MAX_ROWS:
        raise JobRefused(
            "payload",
            f"{count} leads match; export at most {MAX_ROWS} (filter by status or source)",
        )


def _conditions(org_id: int, payload: dict) -> list:
    conds = [Lead.org_id == org_id]
    if payload.get("status"):
        conds.append(Lead.status == payload["status"])
    if payload.get("source"):
        conds.append(Lead.source == payload["source"])
    return conds


@queue.register(KIND, max_attempts=3, lease_seconds=600)
def export(job: QueuedJob, ctx: JobContext) -> Outcome:
    org = ctx.session.get(Organization, job.org_id)
    if org is None:
        return Failed("the workspace is gone", "CONFIGURATION_ERROR", retryable=False)
    payload = job.payload
    filters = LeadFilter(
        status=payload.get("status"), source=payload.get("source"), tz=org.timezone
    )
    leads = islice(iter_leads(ctx.session, org.id, None, filters, "oldest"), MAX_ROWS)
    counted = _Counted(leads)
    text = "".join(export_csv(counted, ZoneInfo(org.timezone)))
    ctx.session.rollback()
    return Done({"rows": counted.n, "bytes": len(text.encode()), "csv": text})


class _Counted:
    """Iterates `items`, counting them."""

    def __init__(self, items) -> None:
        self.items, self.n = items, 0

    def __iter__(self):
        for item in self.items:
            self.n += 1
            yield item


def export_csv_of(job: QueuedJob) -> str | None:
    """The CSV a completed export job made, else None."""
    if job.kind != KIND or job.status != "completed":
        return None
    return (job.result or {}).get("csv")
