"""`reporting.weekly`: build (or rebuild) the workspace's weekly report for one week — the
last complete week by default — the same report the Monday job writes and the Reports page
shows. Owners are not emailed from here: the scheduled job does that once a week.

The figures are read, then the insights are written by the AI layer with nothing held
(its usage rows committed at once, so a lost lease never hides what was spent), then the
report is stored in a short write under the lease. Storing is an upsert per week, so a
retried job rebuilds the same row; the job's result names it.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy.orm import Session

from webapp import queue
from webapp.models import Organization
from webapp.models.queue import QueuedJob
from webapp.queue import Done, Failed, JobContext, Outcome
from webapp.services.api_jobs.errors import JobRefused
from webapp.services.reporting import (
    gather_facts,
    last_complete_week,
    log_report_generated,
    save_report,
    write_insights,
)

KIND = "reporting.weekly"


def check(session: Session, org_id: int, payload: dict, now: datetime) -> None:
    """Raises JobRefused naming `payload.week_start` unless it is a Monday of a finished week."""
    raw = payload.get("week_start")
    if raw is None:
        return
    week_start = date.fromisoformat(raw)
    if week_start.weekday() != 0:
        raise JobRefused(
            "payload.week_start", f"a report week starts on a Monday, not a {week_start:%A}"
        )
    org = session.get(Organization, org_id)
    if org is not None and week_start > last_complete_week(org, now):
        raise JobRefused("payload.week_start", "that week has not finished yet")


@queue.register(KIND, max_attempts=3, lease_seconds=300)
def build(job: QueuedJob, ctx: JobContext) -> Outcome:
    session, now = ctx.session, ctx.now()
    org = session.get(Organization, job.org_id)
    if org is None:
        return Failed("the workspace is gone", "CONFIGURATION_ERROR", retryable=False)
    raw = job.payload.get("week_start")
    facts = gather_facts(session, org, date.fromisoformat(raw) if raw else None, now)
    session.rollback()  # nothing is held while the AI provider is called
    words = write_insights(session, org, facts, now)
    session.commit()  # the AI layer's usage rows, whatever happens to the lease
    stored: dict = {}

    def store(writer: Session) -> None:
        workspace = writer.get(Organization, job.org_id)
        report = save_report(writer, workspace, facts, words, now)
        log_report_generated(writer, workspace, report, [], now=now)
        stored["report_id"] = report.id

    ctx.write(store)
    totals = facts["totals"]
    return Done({
        "report_id": stored["report_id"],
        "week_start": facts["week_start"],
        "week_end": facts["week_end"],
        "leads": totals["leads"],
        "spend": totals["spend"],
        "revenue": totals["revenue"],
        "roi": totals["roi"],
        "top_channel": facts["top_channel"],
        "insights": list(words.insights),
        "recommendations": list(words.recommendations),
        "written_by": words.written_by,
    })  # fmt: skip
