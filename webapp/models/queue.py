"""Rows of the durable job queue (the logic is in `webapp/queue/`)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from webapp.core.extensions import db
from webapp.models.types import UTCDateTime

STATUSES = ("pending", "processing", "completed", "failed", "cancelled")


class QueuedJob(db.Model):
    __tablename__ = "queued_jobs"
    __table_args__ = (
        # The claim scans pending rows by due time; the partial-free index works on both DBs.
        Index("ix_queued_jobs_status_run_at", "status", "run_at", "id"),
        Index("ix_queued_jobs_status_lease", "status", "lease_expires_at"),
        Index("ix_queued_jobs_org_status", "org_id", "status"),
        Index("ix_queued_jobs_kind_status", "kind", "status"),
        # At most one job per lock key is processing at a time (one conversation, one
        # workspace's setup run): the claim skips keys in use, and this index stops two
        # PostgreSQL workers that pick two jobs of one key at the same moment.
        Index(
            "uq_queued_jobs_lock_key_processing",
            "lock_key",
            unique=True,
            sqlite_where=text("status = 'processing' AND lock_key IS NOT NULL"),
            postgresql_where=text("status = 'processing' AND lock_key IS NOT NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int | None] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(64))
    payload: Mapped[dict] = mapped_column(JSON, default=dict)
    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True)
    lock_key: Mapped[str | None] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    max_attempts: Mapped[int] = mapped_column(Integer, default=5)
    run_at: Mapped[datetime] = mapped_column(UTCDateTime())
    lease_owner: Mapped[str | None] = mapped_column(String(120))
    # When the current lease's attempt started (counted in `attempts`); None while leased
    # but not started yet, so a worker that dies first has spent no attempt on this job.
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    lease_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_error: Mapped[str | None] = mapped_column(Text)
    error_class: Mapped[str | None] = mapped_column(String(40))
    result: Mapped[dict | None] = mapped_column(JSON)
    test_mode: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
