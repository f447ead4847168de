"""The activity log: one row per action, automated or by a person, per workspace."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.core.extensions import db
from webapp.models.types import UTCDateTime


class ActivityLog(db.Model):
    __tablename__ = "activity_log"
    __table_args__ = (
        Index("ix_activity_log_org_recent", "org_id", "id"),
        Index("ix_activity_log_org_created", "org_id", "created_at"),
        Index("ix_activity_log_org_type", "org_id", "type"),
        Index("ix_activity_log_org_entity", "org_id", "entity_type", "entity_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    type: Mapped[str] = mapped_column(String(64))
    description: Mapped[str] = mapped_column(Text)
    entity_type: Mapped[str | None] = mapped_column(String(40))
    entity_id: Mapped[str | None] = mapped_column(String(64))
    details: Mapped[dict] = mapped_column("metadata", JSON, default=dict)
    # None means the autopilot did it, not a person.
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    org = relationship("Organization")
    actor = relationship("User")

    @property
    def automated(self) -> bool:
        return self.actor_id is None
