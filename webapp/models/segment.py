"""Segments (saved rule sets over contacts), their stored membership, contact tags and the
declared types of contacts' custom attributes."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from webapp.core.extensions import db
from webapp.models.types import UTCDateTime

ATTRIBUTE_TYPES = ("string", "number", "boolean", "date")


class Segment(db.Model):
    __tablename__ = "segments"
    __table_args__ = (Index("ix_segments_org_name", "org_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(120))
    rules: Mapped[dict] = mapped_column(JSON, default=dict)
    # What the rules read ({"fields": [...], "attributes": [...], "tags": [...], "events":
    # [...], "segments": [...]}), so a change re-evaluates only the segments it can affect.
    depends_on: Mapped[dict] = mapped_column(JSON, default=dict)
    # The rules read "now" (a relative date, an event window): re-evaluated hourly.
    time_relative: Mapped[bool] = mapped_column(default=False)
    member_count: Mapped[int] = mapped_column(default=0)
    evaluated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class SegmentMember(db.Model):
    """One contact's membership of one segment: a member while `exited_at` is NULL; a
    contact who leaves keeps the row (with the exit time) until they enter again."""

    __tablename__ = "segment_members"
    __table_args__ = (
        # "is this contact in segment S" and the member list of S, current members first.
        Index("ix_segment_members_current", "segment_id", "exited_at", "lead_id"),
        # Every segment one contact is in (incremental re-evaluation, deleting a contact).
        Index("ix_segment_members_lead", "lead_id"),
    )

    segment_id: Mapped[int] = mapped_column(
        ForeignKey("segments.id", ondelete="CASCADE"), primary_key=True
    )
    lead_id: Mapped[int] = mapped_column(
        ForeignKey("leads.id", ondelete="CASCADE"), primary_key=True
    )
    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    entered_at: Mapped[datetime] = mapped_column(UTCDateTime())
    exited_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class LeadTag(db.Model):
    """A tag on a contact ("vip", "newsletter"), stored lower-cased."""

    __tablename__ = "lead_tags"
    __table_args__ = (
        UniqueConstraint("org_id", "lead_id", "tag"),
        # "who has tag X" for a whole segment.
        Index("ix_lead_tags_org_tag", "org_id", "tag", "lead_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    lead_id: Mapped[int] = mapped_column(ForeignKey("leads.id", ondelete="CASCADE"))
    tag: Mapped[str] = mapped_column(String(50))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class CustomField(db.Model):
    """The declared type of a custom attribute kept in `Lead.extra` under `key`, so rules
    can compare it as a number, a yes/no, a date or text."""

    __tablename__ = "custom_fields"
    __table_args__ = (UniqueConstraint("org_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(60))
    label: Mapped[str] = mapped_column(String(80))
    type: Mapped[str] = mapped_column(String(16))  # ATTRIBUTE_TYPES
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
