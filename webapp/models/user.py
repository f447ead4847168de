"""People who sign in, their signed-in sessions and their password-reset links. Failed
sign-ins are rate-limit hits (`webapp.models.ratelimit`)."""

from __future__ import annotations

from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.core.extensions import db
from webapp.models.types import UTCDateTime


class User(UserMixin, db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    password_hash: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    memberships: Mapped[list[Membership]] = relationship(  # noqa: F821
        back_populates="user", cascade="all, delete-orphan"
    )

    # The sign-in session this object was loaded for (its token, kept in the session cookie
    # as Flask-Login's id): set by the loader and at sign-in, never stored on the row.
    session_token = None

    def get_id(self) -> str:
        """Flask-Login's id for the cookie: the session's token, so ending the session on the
        server (sign out, password change) ends the cookie too."""
        if not self.session_token:
            raise RuntimeError("start a sign-in session (accounts.start_session) first")
        return self.session_token

    @property
    def is_support(self) -> bool:
        """Support staff read every workspace's activity and health and change nothing."""
        return any(m.role == "support" for m in self.memberships)


class UserSession(db.Model):
    """One signed-in browser. Only the token's hash is kept; deleting the row signs it out."""

    __tablename__ = "user_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    user: Mapped[User] = relationship()


class PasswordReset(db.Model):
    """An emailed password-reset link: single use, expiring; only the token's hash is kept."""

    __tablename__ = "password_resets"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    user: Mapped[User] = relationship()


class FormSubmission(db.Model):
    """A create form sent once: its one-time token (rendered into the form) and where the
    first submission led, so a double click or a resend lands there instead of creating
    the thing twice."""

    __tablename__ = "form_submissions"
    __table_args__ = (UniqueConstraint("user_id", "token"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    token: Mapped[str] = mapped_column(String(64))
    result_url: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
