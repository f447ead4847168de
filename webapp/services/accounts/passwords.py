"""Changing a password, and resetting a forgotten one by an emailed link.

A reset link is single use and expires; only its token's hash is stored. Asking for one
answers the same whether or not the email has an account, and is rate limited per email
typed and per address. The email leaves through the one email path (`send_email`): over
SMTP when configured, else into the local outbox.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from webapp.core.db import blind_writes
from webapp.core.errors import DomainError
from webapp.integrations.email.mime import EmailMessageSpec
from webapp.models import PasswordReset, User
from webapp.services.accounts import limits, sessions
from webapp.services.accounts.people import SIGN_IN_EMAIL, TooManyAttempts, normalise_email
from webapp.services.connections import send_email

RESET_EMAIL = "password-reset:email"  # rate-limit buckets of reset requests
RESET_IP = "password-reset:ip"
RESET_LIMITS = ((RESET_EMAIL, 3, timedelta(hours=1)), (RESET_IP, 10, timedelta(hours=1)))


class WrongPassword(DomainError):
    pass


class ResetInvalid(DomainError):
    pass


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def change_password(
    session: Session, user: User, current: str, new: str, *, keep_session: str | None
) -> int:
    """Set a new password once the current one is confirmed; every other session of the user
    ends. Returns how many ended. Raises WrongPassword."""
    if not check_password_hash(user.password_hash, current):
        raise WrongPassword("That is not your current password.")
    user.password_hash = generate_password_hash(new)
    return sessions.end_sessions(session, user.id, keep=keep_session)


def request_reset(
    session: Session, email: str, *, ip: str, now: datetime, minutes: int
) -> tuple[User, str] | None:
    """A reset link's token for the account with this email, or None when there is none
    (the caller answers the same either way). Raises TooManyAttempts past the limits, which
    count every request, for an account or not."""
    email = normalise_email(email)
    keys = {RESET_EMAIL: email, RESET_IP: ip}
    retry_after = limits.hit_all(
        session,
        [(limits.bucket(name, keys[name]), n, window) for name, n, window in RESET_LIMITS],
        now=now,
    )
    if retry_after is not None:
        raise TooManyAttempts(retry_after, what="password reset requests")
    user = session.scalars(select(User).where(User.email == email)).one_or_none()
    if user is None:
        return None
    blind_writes(session)  # a new link depends on nothing read but the user; see people.py
    token = secrets.token_urlsafe(32)
    session.add(
        PasswordReset(
            user_id=user.id,
            token_hash=_hash(token),
            created_at=now,
            expires_at=now + timedelta(minutes=minutes),
        )
    )
    session.flush()
    return user, token


def find_reset(session: Session, token: str, *, now: datetime) -> PasswordReset:
    """The usable reset for this link's token. Raises ResetInvalid."""
    reset = session.scalars(
        select(PasswordReset).where(PasswordReset.token_hash == _hash(token[:100]))
    ).one_or_none()
    if reset is None or reset.used_at is not None or reset.expires_at <= now:
        raise ResetInvalid(
            "This reset link has expired or was already used. Ask for a new one below."
        )
    return reset


def reset_password(session: Session, token: str, new: str, *, now: datetime) -> User:
    """Set a new password through a reset link. The link and every other open link of the
    user stop working, every session of the user ends and the account's sign-in lockout is
    lifted (the link proved the mailbox). Raises ResetInvalid."""
    reset = find_reset(session, token, now=now)
    user = reset.user
    user.password_hash = generate_password_hash(new)
    session.execute(
        update(PasswordReset)
        .where(PasswordReset.user_id == user.id, PasswordReset.used_at.is_(None))
        .values(used_at=now)
    )
    sessions.end_sessions(session, user.id)
    limits.forget(session, limits.bucket(SIGN_IN_EMAIL, user.email))
    return user


def send_reset_email(
    engine: Engine, *, email: str, name: str, link: str, minutes: int, now: datetime
) -> None:
    """Email the reset link through the one email path, with no transaction of the caller's
    open (an outbox row commits alone). Raises IntegrationError when SMTP fails."""
    text = (
        f"Hello {name},\n\n"
        "Someone (hopefully you) asked to reset the password of your Marketing Autopilot "
        f"account. Choose a new password here (the link works once, for {minutes} minutes):\n\n"
        f"{link}\n\n"
        "If you did not ask for this, ignore this email: your password stays as it is.\n"
    )
    spec = EmailMessageSpec(to=email, subject="Reset your password", text=text)
    send_email(engine, None, spec, purpose="password_reset", now=now)
