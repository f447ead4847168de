"""Scheduler bookkeeping shared by every process: lease locks, run rows, live schedulers."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from webapp.core.extensions import db
from webapp.models.types import UTCDateTime


class SchedulerLock(db.Model):
    """A lease: held by `holder` until `expires_at`, renewed by the holder's heartbeat."""

    __tablename__ = "scheduler_locks"

    name: Mapped[str] = mapped_column(String(120), primary_key=True)
    holder: Mapped[str] = mapped_column(String(120))
    acquired_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())


class JobRun(db.Model):
    """One run of a scheduled job. (job, period) is unique, so a period runs once."""

    __tablename__ = "job_runs"
    __table_args__ = (
        UniqueConstraint("job", "period"),
        Index("ix_job_runs_job_started", "job", "started_at"),
        Index("ix_job_runs_org_started", "org_id", "started_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    job: Mapped[str] = mapped_column(String(64))
    period: Mapped[str] = mapped_column(String(80))
    # Set when a person ran the job for one workspace; None for deployment-wide runs.
    org_id: Mapped[int | None] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    trigger: Mapped[str] = mapped_column(String(16))  # schedule | manual | cli | http
    status: Mapped[str] = mapped_column(String(16))  # running | succeeded | failed
    holder: Mapped[str] = mapped_column(String(120))
    attempt: Mapped[int] = mapped_column(Integer, default=1)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    heartbeat_at: Mapped[datetime] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    duration_ms: Mapped[int | None] = mapped_column(Integer)
    summary: Mapped[dict] = mapped_column(JSON, default=dict)
    error: Mapped[str | None] = mapped_column(Text)
    started_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


class SchedulerNode(db.Model):
    """A process running the scheduler; `seen_at` is its heartbeat (for health)."""

    __tablename__ = "scheduler_nodes"

    id: Mapped[str] = mapped_column(String(120), primary_key=True)
    hostname: Mapped[str] = mapped_column(String(120))
    pid: Mapped[int] = mapped_column(Integer)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    seen_at: Mapped[datetime] = mapped_column(UTCDateTime())


class HealthProbe(db.Model):
    """The row `/healthz` writes (one small write in its own transaction) to prove that the
    database still takes writes: a full disk or a read-only file still answers reads."""

    __tablename__ = "health_probes"

    name: Mapped[str] = mapped_column(String(120), primary_key=True)
    written_at: Mapped[datetime] = mapped_column(UTCDateTime())
