"""Sign-in sessions kept on the server: the session cookie holds a random token, the database
its hash. A cookie counts only while its row exists, so signing out (that session), changing
the password (every other session), resetting it and being removed from a workspace (every
session) end cookies that were copied or saved, which a signed cookie alone cannot do.

Each browser has its own row, so signing out ends that browser only and a password change
keeps the browser that made it signed in.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta
from functools import cache

from sqlalchemy import bindparam, delete, select
from sqlalchemy.orm import Session, joinedload

from webapp.models import Membership, User, UserSession

SESSION_DAYS = 30  # the longest a sign-in lasts, however the browser keeps its cookie


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start_session(session: Session, user: User, *, now: datetime) -> str:
    """A new session for `user` (also set as `user.session_token`). Returns its token.

    Clears the user's expired sessions, so abandoned ones do not pile up.
    """
    session.execute(
        delete(UserSession).where(
            UserSession.user_id == user.id,
            UserSession.created_at < now - timedelta(days=SESSION_DAYS),
        )
    )
    token = secrets.token_urlsafe(32)
    session.add(UserSession(user_id=user.id, token_hash=_hash(token), created_at=now))
    session.flush()
    user.session_token = token
    return token


@cache
def _user_query():
    """`session_user`'s statement, built once per process (every signed-in request runs it)."""
    return (
        select(User)
        .join(UserSession, UserSession.user_id == User.id)
        .where(
            UserSession.token_hash == bindparam("token_hash", type_=UserSession.token_hash.type),
            UserSession.created_at >= bindparam("since", type_=UserSession.created_at.type),
        )
        .options(joinedload(User.memberships).joinedload(Membership.org))
    )


def session_user(session: Session, token: str, *, now: datetime) -> User | None:
    """The user signed in with this session token, or None once the session ended. Reads only.

    One statement: the user comes with their memberships and each membership's workspace,
    which every signed-in page reads (the chosen workspace, the switcher, `is_support`)."""
    if not token or len(token) > 100:
        return None
    since = now - timedelta(days=SESSION_DAYS)
    user = session.scalars(_user_query(), {"token_hash": _hash(token), "since": since})
    user = user.unique().one_or_none()
    if user is not None:
        user.session_token = token
    return user


def end_session(session: Session, token: str | None) -> None:
    """Sign this one session out."""
    if token:
        session.execute(delete(UserSession).where(UserSession.token_hash == _hash(token)))


def end_sessions(session: Session, user_id: int, *, keep: str | None = None) -> int:
    """Sign the user out everywhere, except the session `keep`. Returns how many ended."""
    query = delete(UserSession).where(UserSession.user_id == user_id)
    if keep:
        query = query.where(UserSession.token_hash != _hash(keep))
    return session.execute(query).rowcount or 0
