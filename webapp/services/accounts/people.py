"""People, workspaces, memberships, invitations, and signing in (with its lockout)."""

from __future__ import annotations

import hashlib
import math
import secrets
from datetime import datetime, timedelta
from zoneinfo import available_timezones

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from webapp.core.db import blind_writes
from webapp.core.errors import DomainError, NotFound, PermissionDenied
from webapp.models import Invite, Membership, Organization, User
from webapp.services.accounts import limits, sessions
from webapp.services.activity import log_activity

INVITE_DAYS = 7
SIGN_IN_EMAIL = "sign-in:email"  # rate-limit buckets of failed sign-ins
SIGN_IN_IP = "sign-in:ip"
MIN_PASSWORD = 8


class EmailTaken(DomainError):
    pass


class BadCredentials(DomainError):
    pass


class TooManyAttempts(DomainError):
    def __init__(self, retry_after: timedelta, what: str = "failed sign-in attempts"):
        minutes = max(1, math.ceil(retry_after.total_seconds() / 60))
        super().__init__(
            f"Too many {what}. Try again in {minutes} minute{'s' if minutes != 1 else ''}."
        )
        self.retry_after = retry_after


class InviteInvalid(DomainError):
    pass


def normalise_email(email: str) -> str:
    return email.strip().lower()


def valid_timezone(name: str) -> bool:
    return name in available_timezones()


def create_workspace(
    session: Session, owner: User, name: str, timezone: str, *, now: datetime
) -> Organization:
    """A new workspace with `owner` as its owner."""
    org = Organization(name=name.strip(), timezone=timezone, created_at=now)
    session.add(org)
    session.flush()
    session.add(Membership(org_id=org.id, user_id=owner.id, role="owner", created_at=now))
    log_activity(
        session,
        org,
        "workspace.created",
        f"{owner.name} created the workspace “{org.name}”.",
        now=now,
        entity=("organization", org.id),
        actor_id=owner.id,
    )
    session.flush()
    return org


def create_user(session: Session, email: str, name: str, password: str, *, now: datetime) -> User:
    """A new user. Raises EmailTaken."""
    email = normalise_email(email)
    if session.scalar(select(User.id).where(User.email == email)) is not None:
        raise EmailTaken("An account with this email already exists. Sign in instead.")
    user = User(
        email=email,
        name=name.strip(),
        password_hash=generate_password_hash(password),
        created_at=now,
    )
    session.add(user)
    session.flush()
    return user


def sign_up(
    session: Session,
    *,
    email: str,
    name: str,
    password: str,
    workspace: str,
    timezone: str,
    now: datetime,
) -> tuple[User, Organization]:
    """A new user owning a new workspace. Raises EmailTaken."""
    user = create_user(session, email, name, password, now=now)
    org = create_workspace(session, user, workspace, timezone, now=now)
    return user, org


def authenticate(
    session: Session,
    email: str,
    password: str,
    *,
    ip: str,
    now: datetime,
    max_failures: int,
    lockout: timedelta,
    address_failures: int,
    address_window: timedelta,
) -> User:
    """The user with these credentials.

    Every attempt counts first (atomically, so simultaneous guesses cannot all slip under
    the limit) and signing in clears this account's attempts. Raises TooManyAttempts once
    `max_failures` attempts on this account fell within `lockout`, or `address_failures`
    from this address (any accounts) within `address_window`; BadCredentials otherwise.
    The account's limit is keyed by the email typed, so guessing made-up emails from one
    address never locks anyone else out.
    """
    email = normalise_email(email)
    account = limits.bucket(SIGN_IN_EMAIL, email)
    retry_after = limits.hit_all(
        session,
        [
            (account, max_failures, lockout),
            (limits.bucket(SIGN_IN_IP, ip), address_failures, address_window),
        ],
        now=now,
    )
    if retry_after is not None:
        raise TooManyAttempts(retry_after)
    user = session.scalars(select(User).where(User.email == email)).one_or_none()
    if user is None or not check_password_hash(user.password_hash, password):
        raise BadCredentials("That email and password don't match. Check both and try again.")
    # What follows (clear the attempts, stamp the sign-in, the caller's session row) holds
    # whatever others wrote since the lookup, and the count above is committed, so a
    # conflict could not be retried: take the write lock without the staleness check.
    blind_writes(session)
    limits.forget(session, account)
    user.last_login_at = now
    return user


def membership(session: Session, user: User, org_id: int) -> Membership:
    """The user's membership of the workspace. Raises NotFound for non-members."""
    m = session.scalars(
        select(Membership).where(Membership.user_id == user.id, Membership.org_id == org_id)
    ).one_or_none()
    if m is None:
        raise NotFound("No such workspace.")
    return m


def user_workspaces(session: Session, user: User) -> list[Organization]:
    return list(
        session.scalars(
            select(Organization)
            .join(Membership)
            .where(Membership.user_id == user.id)
            .order_by(Organization.name)
        )
    )


def _require_owner(m: Membership) -> None:
    if m.role != "owner":
        raise PermissionDenied("Only an owner of the workspace can do this.")


def _hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_invite(
    session: Session, actor: Membership, role: str, note: str, *, now: datetime
) -> tuple[Invite, str]:
    """An invite link for the actor's workspace. Returns (invite, token); only the hash is kept."""
    _require_owner(actor)
    if role not in ("owner", "staff"):
        raise DomainError("Invites can make owners or staff.")
    token = secrets.token_urlsafe(24)
    invite = Invite(
        org_id=actor.org_id,
        token_hash=_hash_token(token),
        role=role,
        note=note.strip(),
        created_by_id=actor.user_id,
        created_at=now,
        expires_at=now + timedelta(days=INVITE_DAYS),
    )
    session.add(invite)
    session.flush()
    log_activity(
        session,
        actor.org_id,
        "member.invited",
        f"{actor.user.name} created an invite link for a new {role}"
        + (f" ({invite.note})" if invite.note else "")
        + ".",
        now=now,
        entity=("invite", invite.id),
        actor_id=actor.user_id,
    )
    return invite, token


def find_invite(session: Session, token: str, *, now: datetime) -> Invite:
    """The open invite for this token. Raises InviteInvalid with the reason."""
    invite = session.scalars(
        select(Invite).where(Invite.token_hash == _hash_token(token))
    ).one_or_none()
    if invite is None:
        raise InviteInvalid("This invite link is not valid. Ask the workspace owner for a new one.")
    status = invite.status(now)
    if status != "open":
        reason = {
            "accepted": "has already been used",
            "expired": "has expired",
            "revoked": "was revoked",
        }
        raise InviteInvalid(
            f"This invite link {reason[status]}. Ask the workspace owner for a new one."
        )
    return invite


def accept_invite(session: Session, token: str, user: User, *, now: datetime) -> Membership:
    """Join the invite's workspace. Raises InviteInvalid; joining twice keeps one membership."""
    invite = find_invite(session, token, now=now)
    existing = session.scalars(
        select(Membership).where(Membership.user_id == user.id, Membership.org_id == invite.org_id)
    ).one_or_none()
    invite.accepted_at = now
    invite.accepted_by_id = user.id
    if existing is not None:
        return existing
    m = Membership(org_id=invite.org_id, user_id=user.id, role=invite.role, created_at=now)
    session.add(m)
    session.flush()
    log_activity(
        session,
        invite.org_id,
        "member.joined",
        f"{user.name} joined the workspace as {invite.role}.",
        now=now,
        entity=("membership", m.id),
        actor_id=user.id,
    )
    return m


def join_by_invite(
    session: Session, token: str, *, email: str, name: str, password: str, now: datetime
) -> tuple[User, Membership]:
    """A new user who joins the invite's workspace and no other (no workspace of their
    own). Raises InviteInvalid before anything is created, EmailTaken."""
    find_invite(session, token, now=now)
    user = create_user(session, email, name, password, now=now)
    return user, accept_invite(session, token, user, now=now)


def revoke_invite(session: Session, actor: Membership, invite: Invite, *, now: datetime) -> None:
    _require_owner(actor)
    if invite.status(now) != "open":
        raise DomainError("Only an open invite can be revoked.")
    invite.revoked_at = now
    log_activity(
        session,
        actor.org_id,
        "member.invite_revoked",
        f"{actor.user.name} revoked an invite link.",
        now=now,
        entity=("invite", invite.id),
        actor_id=actor.user_id,
    )


def remove_member(
    session: Session, actor: Membership, target: Membership, *, now: datetime
) -> None:
    """Remove a member and end their sessions, so a browser they left signed in loses access
    at once. Owners cannot remove themselves, and the last owner cannot be removed, so a
    workspace always has one. Raises PermissionDenied, DomainError."""
    _require_owner(actor)
    if target.user_id == actor.user_id:
        raise DomainError("You can't remove yourself; ask another owner.")
    if target.role == "owner":
        owners = session.scalar(
            select(func.count()).where(
                Membership.org_id == target.org_id, Membership.role == "owner"
            )
        )
        if owners <= 1:
            raise DomainError(
                "A workspace needs at least one owner; make someone else owner first."
            )
    name = target.user.name
    session.delete(target)
    sessions.end_sessions(session, target.user_id)
    log_activity(
        session,
        actor.org_id,
        "member.removed",
        f"{actor.user.name} removed {name} from the workspace.",
        now=now,
        entity=("membership", target.id),
        actor_id=actor.user_id,
    )


def list_members(session: Session, org_id: int) -> list[Membership]:
    return list(
        session.scalars(
            select(Membership).join(User).where(Membership.org_id == org_id).order_by(User.name)
        )
    )


def list_invites(session: Session, org_id: int) -> list[Invite]:
    return list(
        session.scalars(
            select(Invite).where(Invite.org_id == org_id).order_by(Invite.id.desc()).limit(50)
        )
    )
