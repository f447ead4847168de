"""Workspaces (organizations), their members and invitations."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint, true
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.core.extensions import db
from webapp.models.types import UTCDateTime

ROLES = ("owner", "staff", "support")


class Organization(db.Model):
    __tablename__ = "organizations"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    # How long contacts' events are kept (the events area prunes older ones hourly).
    event_retention_days: Mapped[int] = mapped_column(default=400, server_default="400")
    # The workspace's part of its public addresses (/p/<public_slug>/<page>): set from the
    # name the first time one is needed, editable on the brand page.
    public_slug: Mapped[str | None] = mapped_column(String(60), unique=True)
    # The From of the workspace's mail (asked in the autopilot wizard); empty: the
    # deployment's SMTP_FROM / MAIL_FROM (services/connections/sender.py).
    email_from_name: Mapped[str | None] = mapped_column(String(100))
    email_from_address: Mapped[str | None] = mapped_column(String(254))
    # Email tracking: the open pixel on or off, and the host tracked links and the pixel use
    # instead of PUBLIC_URL's (a CNAME to this deployment), when set.
    track_opens: Mapped[bool] = mapped_column(default=True, server_default=true())
    tracking_domain: Mapped[str | None] = mapped_column(String(253))
    # Form leads confirm their address before any marketing email (services/messaging/optin.py).
    double_optin: Mapped[bool] = mapped_column(default=True, server_default=true())
    # The country of phone numbers typed without a country code (ISO code, "GB");
    # None: the country of the workspace's time zone.
    phone_region: Mapped[str | None] = mapped_column(String(2))
    # Texting hours in the contact's zone (messaging/quiet_hours.py): a narrower window
    # than the legal 08:00–21:00, or None for exactly that.
    texting_from: Mapped[str | None] = mapped_column(String(5))
    texting_until: Mapped[str | None] = mapped_column(String(5))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    memberships: Mapped[list[Membership]] = relationship(
        back_populates="org", cascade="all, delete-orphan"
    )

    def __repr__(self) -> str:
        return f"<Organization {self.id} {self.name!r}>"


class Membership(db.Model):
    __tablename__ = "memberships"
    __table_args__ = (UniqueConstraint("user_id", "org_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    org: Mapped[Organization] = relationship(back_populates="memberships")
    user: Mapped[User] = relationship(back_populates="memberships")  # noqa: F821


class Invite(db.Model):
    """A link that makes whoever opens it (signed in) a member with `role`."""

    __tablename__ = "invites"
    __table_args__ = (Index("ix_invites_org_id", "org_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[str] = mapped_column(String(16))
    note: Mapped[str] = mapped_column(String(200), default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    accepted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    org: Mapped[Organization] = relationship()

    def status(self, now: datetime) -> str:
        if self.revoked_at:
            return "revoked"
        if self.accepted_at:
            return "accepted"
        if self.expires_at <= now:
            return "expired"
        return "open"
