"""Workflows: a trigger and steps (JSON, stable step ids), kept as immutable versions; one
execution per run of a contact through a version, and a step log.

An execution stays on the version it started with. The step log is unique on
(execution, step id, visit): the row a step visit writes before it acts is also the guard
that stops the same visit running twice.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from webapp.core.extensions import db
from webapp.models.types import UTCDateTime

WORKFLOW_STATUSES = ("draft", "active", "paused")
REENTRY = ("once", "after_exit", "always")
EXECUTION_STATUSES = ("running", "waiting", "completed", "failed", "cancelled", "paused")
OPEN_STATUSES = ("running", "waiting", "paused")


class Workflow(db.Model):
    __tablename__ = "workflows"
    __table_args__ = (Index("ix_workflows_org_trigger", "org_id", "trigger_kind", "trigger_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(120))
    status: Mapped[str] = mapped_column(String(16), default="draft")
    reentry: Mapped[str] = mapped_column(String(16), default="once")
    # The current version's trigger, copied here so a trigger finds its workflows by index.
    trigger_kind: Mapped[str] = mapped_column(String(16), default="manual")
    trigger_key: Mapped[str] = mapped_column(String(120), default="")
    current_version_id: Mapped[int | None] = mapped_column(Integer)
    # The inbound webhook: the URL's token and the HMAC key (never shown in logs).
    hook_token: Mapped[str] = mapped_column(String(64), unique=True)
    hook_secret: Mapped[str] = mapped_column(String(64))
    # The last cron firing handled (schedule triggers).
    fired_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The sequence campaign that carries this workflow's messages (the one send path).
    carrier_campaign_id: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class WorkflowVersion(db.Model):
    __tablename__ = "workflow_versions"
    __table_args__ = (UniqueConstraint("workflow_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(Integer)
    workflow_id: Mapped[int] = mapped_column(ForeignKey("workflows.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    definition: Mapped[dict] = mapped_column(JSON)
    # Set when the first execution starts on it: from then on it is never changed.
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class WorkflowExecution(db.Model):
    __tablename__ = "workflow_executions"
    __table_args__ = (
        UniqueConstraint("workflow_id", "dedup_key"),
        Index("ix_workflow_executions_org_lead_status", "org_id", "lead_id", "status"),
        Index("ix_workflow_executions_workflow_status", "workflow_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(Integer)
    workflow_id: Mapped[int] = mapped_column(ForeignKey("workflows.id", ondelete="CASCADE"))
    version_id: Mapped[int] = mapped_column(ForeignKey("workflow_versions.id", ondelete="CASCADE"))
    lead_id: Mapped[int] = mapped_column(ForeignKey("leads.id", ondelete="CASCADE"))
    dedup_key: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(16), default="running")
    paused_from: Mapped[str | None] = mapped_column(String(16))
    current_step: Mapped[str | None] = mapped_column(String(64))
    # What a waiting execution waits on: its step, until when, and (wait for event) the event.
    waiting_step: Mapped[str | None] = mapped_column(String(64))
    waiting_event: Mapped[str | None] = mapped_column(String(100))
    wake_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Who resolved the last wait: "timer", "timeout" or "event:<id>" (one conditional UPDATE).
    resolved_by: Mapped[str | None] = mapped_column(String(40))
    trigger: Mapped[dict] = mapped_column(JSON, default=dict)
    test_mode: Mapped[bool] = mapped_column(default=False)
    error: Mapped[str | None] = mapped_column(Text)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class WorkflowStepLog(db.Model):
    __tablename__ = "workflow_step_logs"
    __table_args__ = (UniqueConstraint("execution_id", "step_id", "visit"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(Integer)
    execution_id: Mapped[int] = mapped_column(
        ForeignKey("workflow_executions.id", ondelete="CASCADE")
    )
    step_id: Mapped[str] = mapped_column(String(64))
    visit: Mapped[int] = mapped_column(Integer, default=1)
    kind: Mapped[str] = mapped_column(String(24))
    outcome: Mapped[str] = mapped_column(String(16), default="done")  # done | waiting | failed
    reason: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
