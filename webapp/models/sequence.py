"""Sequences: the steps of a sequence campaign, who is enrolled, and every message sent.

A sequence IS a Campaign with kind="sequence"; its trigger and schedule live in
`Campaign.settings`. One Send per (enrollment, step) — the unique key that keeps a message
from going out twice — and one queue row per Send (`queued_job_id`).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from webapp.core.extensions import db
from webapp.models.types import UTCDateTime

STEP_CHANNELS = ("email", "sms", "whatsapp")
DELAY_UNITS = ("minutes", "hours", "days")
ENROLLMENT_STATUSES = ("active", "completed", "stopped")
SEND_STATUSES = ("queued", "sent", "delivered", "failed", "cancelled")


class SequenceStep(db.Model):
    __tablename__ = "sequence_steps"
    __table_args__ = (Index("ix_sequence_steps_campaign_position", "campaign_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer, default=1)  # 1-based, in sending order
    channel: Mapped[str] = mapped_column(String(16), default="email")
    subject: Mapped[str] = mapped_column(String(300), default="")
    body: Mapped[str] = mapped_column(Text, default="")
    delay_value: Mapped[int] = mapped_column(
        Integer, default=0
    )  # after the previous step (or enrolment)
    delay_unit: Mapped[str] = mapped_column(String(16), default="days")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Enrollment(db.Model):
    __tablename__ = "enrollments"
    __table_args__ = (
        UniqueConstraint("campaign_id", "lead_id", "test_mode"),
        Index("ix_enrollments_org_status", "org_id", "status"),
        Index("ix_enrollments_lead", "lead_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(Integer)  # the campaign's (which goes with its workspace)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"))
    lead_id: Mapped[int] = mapped_column(ForeignKey("leads.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(16), default="active")
    test_mode: Mapped[bool] = mapped_column(default=False)
    enrolled_at: Mapped[datetime] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    stopped_reason: Mapped[str | None] = mapped_column(Text)
    # When the contact became a customer (lead status "won") after enrolling: a conversion.
    converted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class Send(db.Model):
    """One message of one step to one contact, from queued to sent/delivered/failed/cancelled."""

    __tablename__ = "sends"
    __table_args__ = (
        UniqueConstraint("enrollment_id", "step_id"),
        Index("ix_sends_queued_job", "queued_job_id"),
        Index("ix_sends_campaign_status", "campaign_id", "status"),
        Index("ix_sends_org_created", "org_id", "created_at"),
        Index("ix_sends_lead", "lead_id"),
        Index("ix_sends_provider_message", "provider_message_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # Workspace, campaign and contact are the enrolment's: a send goes with its enrolment
    # (and its step). No foreign keys of their own — on PostgreSQL each costs a lookup per
    # row, which an enrolment of 100,000 contacts would pay 300,000 times for nothing.
    org_id: Mapped[int] = mapped_column(Integer)
    campaign_id: Mapped[int] = mapped_column(Integer)
    enrollment_id: Mapped[int] = mapped_column(ForeignKey("enrollments.id", ondelete="CASCADE"))
    step_id: Mapped[int] = mapped_column(ForeignKey("sequence_steps.id", ondelete="CASCADE"))
    lead_id: Mapped[int] = mapped_column(Integer)
    # No foreign key: housekeeping purges finished queue rows while the send is kept.
    queued_job_id: Mapped[int | None] = mapped_column(Integer)
    channel: Mapped[str] = mapped_column(String(16))
    to: Mapped[str] = mapped_column(String(254), default="")
    status: Mapped[str] = mapped_column(String(16), default="queued")
    provider: Mapped[str | None] = mapped_column(String(32))
    provider_message_id: Mapped[str | None] = mapped_column(String(120))
    message_id: Mapped[str | None] = mapped_column(String(200))
    subject: Mapped[str] = mapped_column(String(300), default="")
    body_text: Mapped[str] = mapped_column(Text, default="")
    due_at: Mapped[datetime] = mapped_column(UTCDateTime())
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    opens: Mapped[int] = mapped_column(Integer, default=0)
    clicks: Mapped[int] = mapped_column(Integer, default=0)
    first_opened_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    first_clicked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    error: Mapped[str | None] = mapped_column(Text)
    error_class: Mapped[str | None] = mapped_column(String(40))
    test_mode: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
