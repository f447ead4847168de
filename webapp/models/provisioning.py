"""Provisioning: the workspace's plan, and the runs of the setup pipeline with their steps.

A run's steps are jobs of the work engine (webapp/services/provisioning/runner.py), whose
leases and the workspace's lock key let one process at a time work on a workspace's
pipeline; each step keeps a JSON checkpoint so a crashed run resumes where it stopped and
never buys a second number or subaccount.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from webapp.core.extensions import db
from webapp.models.types import UTCDateTime

PLAN_STATUSES = ("active", "inactive", "past_due")
RUN_TRIGGERS = ("wizard", "rerun", "stripe", "runner")
RUN_STATUSES = ("queued", "running", "succeeded", "failed")
LIVE_RUN_STATUSES = ("queued", "running")
STEP_STATUSES = ("pending", "running", "done", "skipped", "failed")


class WorkspacePlan(db.Model):
    """The plan a workspace is on; a paid checkout (Stripe) makes it active."""

    __tablename__ = "workspace_plans"

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), unique=True
    )
    plan: Mapped[str] = mapped_column(String(40), default="starter")
    status: Mapped[str] = mapped_column(String(16), default="active")
    stripe_customer_id: Mapped[str | None] = mapped_column(String(120))
    stripe_session_id: Mapped[str | None] = mapped_column(String(200))
    activated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ProvisioningRun(db.Model):
    """One run of the setup pipeline for a workspace, queued → running → succeeded | failed."""

    __tablename__ = "provisioning_runs"
    __table_args__ = (
        Index("ix_provisioning_runs_org_created", "org_id", "created_at"),
        Index("ix_provisioning_runs_status", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    trigger: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), default="queued")
    progress: Mapped[int] = mapped_column(Integer, default=0)  # 0–100: weights of finished steps
    current_step: Mapped[str | None] = mapped_column(String(40))
    attempts: Mapped[int] = mapped_column(Integer, default=0)  # times started or resumed
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime())  # a retry's job
    error: Mapped[str | None] = mapped_column(Text)
    fix: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ProvisioningStep(db.Model):
    """One step of a run; `checkpoint` holds what the step already did (ids it created)."""

    __tablename__ = "provisioning_steps"
    __table_args__ = (UniqueConstraint("run_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("provisioning_runs.id", ondelete="CASCADE"))
    org_id: Mapped[int] = mapped_column(Integer, index=True)  # the run's
    key: Mapped[str] = mapped_column(String(40))
    position: Mapped[int] = mapped_column(Integer)
    weight: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    detail: Mapped[str | None] = mapped_column(Text)
    fix: Mapped[str | None] = mapped_column(Text)
    checkpoint: Mapped[dict] = mapped_column(JSON, default=dict)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
