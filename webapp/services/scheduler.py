"""Reading and pruning scheduled-job history (the cron monitor's data)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, func, or_, select
from sqlalchemy.orm import Session

from webapp.models import JobRun, SchedulerNode

NODE_ALIVE = timedelta(seconds=90)


def _visible(org_ids: list[int] | None):  # noqa: ANN202
    """Deployment-wide runs are visible to everyone; a workspace's runs to its members."""
    if org_ids is None:
        return True
    return or_(JobRun.org_id.is_(None), JobRun.org_id.in_(org_ids))


def last_runs(session: Session, jobs: list[str], org_ids: list[int] | None) -> dict[str, JobRun]:
    """The latest run of each job (by start time)."""
    latest = (
        select(JobRun.job, func.max(JobRun.id).label("id"))
        .where(JobRun.job.in_(jobs), _visible(org_ids))
        .group_by(JobRun.job)
        .subquery()
    )
    rows = session.scalars(select(JobRun).join(latest, JobRun.id == latest.c.id))
    return {run.job: run for run in rows}


def recent_runs(session: Session, job: str, org_ids: list[int] | None, *, limit: int = 10) -> list[JobRun]:
    return list(
        session.scalars(
            select(JobRun).where(JobRun.job == job, _visible(org_ids)).order_by(JobRun.id.desc()).limit(limit)
        )
    )


def prune_runs(session: Session, *, older_than: datetime, keep_per_job: int) -> int:
    """Delete finished runs started before `older_than`, keeping each job's latest few."""
    kept: set[int] = set()
    for job in session.scalars(select(JobRun.job).distinct()):
        kept.update(
            session.scalars(select(JobRun.id).where(JobRun.job == job).order_by(JobRun.id.desc()).limit(keep_per_job))
        )
    stmt = delete(JobRun).where(JobRun.started_at < older_than, JobRun.status != "running")
    if kept:
        stmt = stmt.where(JobRun.id.not_in(kept))
    return session.execute(stmt).rowcount or 0


def prune_nodes(session: Session, *, older_than: datetime) -> int:
    return session.execute(delete(SchedulerNode).where(SchedulerNode.seen_at < older_than)).rowcount or 0


def live_nodes(session: Session, *, now: datetime) -> list[SchedulerNode]:
    return list(
        session.scalars(select(SchedulerNode).where(SchedulerNode.seen_at >= now - NODE_ALIVE).order_by(SchedulerNode.id))
    )
