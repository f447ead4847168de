"""Reading and pruning scheduled-job history (the cron monitor's data), and closing the
runs whose process died (`mark_abandoned`): a run row says `running` only while its holder
holds the job's lease lock (jobs/runner.py, jobs/locks.py)."""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import cache, lru_cache

from sqlalchemy import (
    String,
    bindparam,
    delete,
    exists,
    false,
    func,
    literal,
    or_,
    select,
    true,
    update,
)
from sqlalchemy.engine import Row
from sqlalchemy.orm import Session

from webapp.core.db import read
from webapp.models import JobRun, SchedulerLock, SchedulerNode

NODE_ALIVE = timedelta(seconds=90)
LOCK_PREFIX = "job:"  # a job's lease lock is named "job:<name>"
ABANDONED = "The process running it stopped before finishing (its lease ran out)."


def lock_name(job: str) -> str:
    """The name of `job`'s lease lock (jobs/runner.py takes it for each run)."""
    return f"{LOCK_PREFIX}{job}"


def mark_abandoned(session: Session, *, now: datetime) -> list[tuple[str, str]]:
    """Mark `abandoned` every run still `running` whose holder no longer holds its job's
    lease (the process died; the lease ran out or passed to another run), whatever its
    period. Returns the (job, period) of the runs marked. A holder that was only slow and
    finishes after all still records its outcome over this (its row keeps its holder)."""
    held = exists().where(
        SchedulerLock.name == literal(LOCK_PREFIX, String) + JobRun.job,
        SchedulerLock.holder == JobRun.holder,
        SchedulerLock.expires_at >= now,
    )
    marked = session.execute(
        update(JobRun)
        .where(JobRun.status == "running", ~held)
        .values(status="abandoned", finished_at=JobRun.heartbeat_at, error=ABANDONED)
        .returning(JobRun.job, JobRun.period)
        .execution_options(synchronize_session=False)
    ).all()
    return [(job, period) for job, period in marked]


def _visible(org_ids: list[int] | None):
    """Deployment-wide runs are visible to everyone; a workspace's runs to its members."""
    if org_ids is None:
        return True
    return or_(JobRun.org_id.is_(None), JobRun.org_id.in_(org_ids))


def last_runs(session: Session, jobs: list[str], org_ids: list[int] | None) -> dict[str, JobRun]:
    """The latest run of each job (by start time)."""
    scope, params = _scope(org_ids)
    rows = session.scalars(_last_runs_query(scope, tuple(jobs)), params)
    return {run.job: run for run in rows}


def last_run_states(session: Session, jobs: list[str], org_ids: list[int] | None) -> dict[str, Row]:
    """`last_runs` as plain rows of (job, status, started_at, duration_ms): what the health
    checks read, without building a JobRun (its summary and error decoded) per job."""
    scope, params = _scope(org_ids)
    rows = read(session, _last_runs_query(scope, tuple(jobs), states=True), params)
    return {row.job: row for row in rows}


def _scope(org_ids: list[int] | None) -> tuple[int | None, dict]:
    if org_ids is None:
        return None, {}
    return len(org_ids), {f"org_{i}": org_id for i, org_id in enumerate(org_ids)}


@lru_cache(maxsize=32)
def _last_runs_query(scope: int | None, jobs: tuple[str, ...], *, states: bool = False):
    """`last_runs`' statement, built once per set of jobs (the process's) and number of
    workspaces: plain parameters, as an expanding IN list is rewritten at each execution.
    `states`: the columns of `last_run_states` only."""
    if scope is None:
        visible = true()
    else:
        ids = [bindparam(f"org_{i}") for i in range(scope)]
        visible = (
            or_(JobRun.org_id.is_(None), JobRun.org_id.in_(ids)) if ids else JobRun.org_id.is_(None)
        )
    named = [bindparam(f"job_{i}", job) for i, job in enumerate(jobs)]
    latest = (
        select(JobRun.job, func.max(JobRun.id).label("id"))
        .where(JobRun.job.in_(named) if named else false(), visible)
        .group_by(JobRun.job)
        .subquery()
    )
    columns = (JobRun.job, JobRun.status, JobRun.started_at, JobRun.duration_ms)
    return select(*columns if states else (JobRun,)).join(latest, JobRun.id == latest.c.id)


def recent_runs(
    session: Session, job: str, org_ids: list[int] | None, *, limit: int = 10
) -> list[JobRun]:
    return list(
        session.scalars(
            select(JobRun)
            .where(JobRun.job == job, _visible(org_ids))
            .order_by(JobRun.id.desc())
            .limit(limit)
        )
    )


def prune_runs(session: Session, *, older_than: datetime, keep_per_job: int) -> int:
    """Delete finished (or abandoned) runs started before `older_than`, keeping each job's
    latest few. A row still `running` is a live run: `mark_abandoned` closes dead ones."""
    kept: set[int] = set()
    for job in session.scalars(select(JobRun.job).distinct()):
        kept.update(
            session.scalars(
                select(JobRun.id)
                .where(JobRun.job == job)
                .order_by(JobRun.id.desc())
                .limit(keep_per_job)
            )
        )
    stmt = delete(JobRun).where(JobRun.started_at < older_than, JobRun.status != "running")
    if kept:
        stmt = stmt.where(JobRun.id.not_in(kept))
    return session.execute(stmt).rowcount or 0


def prune_nodes(session: Session, *, older_than: datetime) -> int:
    return (
        session.execute(delete(SchedulerNode).where(SchedulerNode.seen_at < older_than)).rowcount
        or 0
    )


def live_node_count(session: Session, *, now: datetime) -> int:
    """How many scheduler processes checked in lately (the health checks' question)."""
    return read(session, _alive_query(), {"since": now - NODE_ALIVE}).scalar_one()


@cache
def _alive_query():
    # Built once: every dashboard and /healthz asks; building it cost more than running it.
    return select(func.count()).where(SchedulerNode.seen_at >= bindparam("since"))


def live_nodes(session: Session, *, now: datetime) -> list[SchedulerNode]:
    return list(
        session.scalars(
            select(SchedulerNode)
            .where(SchedulerNode.seen_at >= now - NODE_ALIVE)
            .order_by(SchedulerNode.id)
        )
    )
