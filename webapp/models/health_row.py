"""One row per workspace with its last computed health, so support's view of every
workspace is one paginated query (worst first) instead of recomputing them all."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from webapp.core.extensions import db
from webapp.models.types import UTCDateTime


class WorkspaceHealthRow(db.Model):
    __tablename__ = "workspace_health_rows"
    __table_args__ = (Index("ix_workspace_health_rows_order", "rank", "issue_count"),)

    org_id: Mapped[int] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), primary_key=True
    )
    status: Mapped[str] = mapped_column(String(16))
    rank: Mapped[int] = mapped_column(Integer)  # 0 unhealthy, 1 degraded, 2 healthy
    issue_count: Mapped[int] = mapped_column(Integer, default=0)
    top_issue: Mapped[str | None] = mapped_column(String(300))
    checked_at: Mapped[datetime] = mapped_column(UTCDateTime())
