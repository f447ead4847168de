"""People, workspaces, memberships, invitations and sign-in rate limiting."""

from __future__ import annotations

import hashlib
import math
import secrets
from datetime import datetime, timedelta
from zoneinfo import available_timezones

from sqlalchemy import delete, func, or_, select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from webapp.models import Invite, LoginFailure, Membership, Organization, User
from webapp.services.activity import log_activity
from webapp.services.errors import DomainError, NotFound, PermissionDenied

INVITE_DAYS = 7
MIN_PASSWORD = 8


class EmailTaken(DomainError):
    pass


class BadCredentials(DomainError):
    pass


class TooManyAttempts(DomainError):
    def __init__(self, retry_after: timedelta):
        minutes = max(1, math.ceil(retry_after.total_seconds() / 60))
        super().__init__(
            f"Too many failed sign-in attempts. Try again in {minutes} minute"
            f"{'s' if minutes != 1 else ''}."
        )
        self.retry_after = retry_after


class InviteInvalid(DomainError):
    pass


def normalise_email(email: str) -> str:
    return email.strip().lower()


def valid_timezone(name: str) -> bool:
    return name in available_timezones()


def create_workspace(session: Session, owner: User, name: str, timezone: str, *, now: datetime) -> Organization:
    """A new workspace with `owner` as its owner."""
    org = Organization(name=name.strip(), timezone=timezone, created_at=now)
    session.add(org)
    session.flush()
    session.add(Membership(org_id=org.id, user_id=owner.id, role="owner", created_at=now))
    log_activity(
        session, org, "workspace.created", f"{owner.name} created the workspace “{org.name}”.",
        now=now, entity=("organization", org.id), actor_id=owner.id,
    )
    session.flush()
    return org


def create_user(session: Session, email: str, name: str, password: str, *, now: datetime) -> User:
    """A new user. Raises EmailTaken."""
    email = normalise_email(email)
    if session.scalar(select(User.id).where(User.email == email)) is not None:
        raise EmailTaken("An account with this email already exists. Sign in instead.")
    user = User(email=email, name=name.strip(), password_hash=generate_password_hash(password), created_at=now)
    session.add(user)
    session.flush()
    return user


def sign_up(
    session: Session, *, email: str, name: str, password: str, workspace: str, timezone: str, now: datetime
) -> tuple[User, Organization]:
    """A new user owning a new workspace. Raises EmailTaken."""
    user = create_user(session, email, name, password, now=now)
    org = create_workspace(session, user, workspace, timezone, now=now)
    return user, org


def authenticate(session: Session, email: str, password: str, *, ip: str, now: datetime, max_failures: int, lockout: timedelta) -> User:
    """The user with these credentials.

    Raises TooManyAttempts once `max_failures` failures for this email or address fell
    within `lockout`, and BadCredentials (recording a failure) otherwise.
    """
    email = normalise_email(email)
    window_start = now - lockout
    recent = or_(LoginFailure.email == email, LoginFailure.ip == ip)
    failures = session.execute(
        select(func.count(), func.min(LoginFailure.at)).where(recent, LoginFailure.at >= window_start)
    ).one()
    if failures[0] >= max_failures:
        oldest = session.scalars(
            select(LoginFailure.at).where(recent, LoginFailure.at >= window_start)
            .order_by(LoginFailure.at.desc()).offset(max_failures - 1).limit(1)
        ).one()
        raise TooManyAttempts(oldest + lockout - now)
    user = session.scalars(select(User).where(User.email == email)).one_or_none()
    if user is None or not check_password_hash(user.password_hash, password):
        session.add(LoginFailure(email=email, ip=ip, at=now))
        session.flush()
        raise BadCredentials("That email and password don't match. Check both and try again.")
    session.execute(delete(LoginFailure).where(LoginFailure.email == email))
    user.last_login_at = now
    return user


def prune_login_failures(session: Session, *, older_than: datetime) -> int:
    result = session.execute(delete(LoginFailure).where(LoginFailure.at < older_than))
    return result.rowcount or 0


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
            select(Organization).join(Membership)
            .where(Membership.user_id == user.id).order_by(Organization.name)
        )
    )


def _require_owner(m: Membership) -> None:
    if m.role != "owner":
        raise PermissionDenied("Only an owner of the workspace can do this.")


def _hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_invite(session: Session, actor: Membership, role: str, note: str, *, now: datetime) -> tuple[Invite, str]:
    """An invite link for the actor's workspace. Returns (invite, token); only the hash is kept."""
    _require_owner(actor)
    if role not in ("owner", "staff"):
        raise DomainError("Invites can make owners or staff.")
    token = secrets.token_urlsafe(24)
    invite = Invite(
        org_id=actor.org_id, token_hash=_hash_token(token), role=role, note=note.strip(),
        created_by_id=actor.user_id, created_at=now, expires_at=now + timedelta(days=INVITE_DAYS),
    )
    session.add(invite)
    session.flush()
    log_activity(
        session, actor.org_id, "member.invited",
        f"{actor.user.name} created an invite link for a new {role}"
        + (f" ({invite.note})" if invite.note else "") + ".",
        now=now, entity=("invite", invite.id), actor_id=actor.user_id,
    )
    return invite, token


def find_invite(session: Session, token: str, *, now: datetime) -> Invite:
    """The open invite for this token. Raises InviteInvalid with the reason."""
    invite = session.scalars(select(Invite).where(Invite.token_hash == _hash_token(token))).one_or_none()
    if invite is None:
        raise InviteInvalid("This invite link is not valid. Ask the workspace owner for a new one.")
    status = invite.status(now)
    if status != "open":
        reason = {"accepted": "has already been used", "expired": "has expired", "revoked": "was revoked"}
        raise InviteInvalid(f"This invite link {reason[status]}. Ask the workspace owner for a new one.")
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
        session, invite.org_id, "member.joined", f"{user.name} joined the workspace as {invite.role}.",
        now=now, entity=("membership", m.id), actor_id=user.id,
    )
    return m


def revoke_invite(session: Session, actor: Membership, invite: Invite, *, now: datetime) -> None:
    _require_owner(actor)
    if invite.status(now) != "open":
        raise DomainError("Only an open invite can be revoked.")
    invite.revoked_at = now
    log_activity(
        session, actor.org_id, "member.invite_revoked", f"{actor.user.name} revoked an invite link.",
        now=now, entity=("invite", invite.id), actor_id=actor.user_id,
    )


def remove_member(session: Session, actor: Membership, target: Membership, *, now: datetime) -> None:
    """Remove a member. The last owner cannot be removed, so a workspace always has one."""
    _require_owner(actor)
    if target.role == "owner":
        owners = session.scalar(
            select(func.count()).where(Membership.org_id == target.org_id, Membership.role == "owner")
        )
        if owners <= 1:
            raise DomainError("A workspace needs at least one owner; make someone else owner first.")
    name = target.user.name
    session.delete(target)
    log_activity(
        session, actor.org_id, "member.removed", f"{actor.user.name} removed {name} from the workspace.",
        now=now, entity=("membership", target.id), actor_id=actor.user_id,
    )


def list_members(session: Session, org_id: int) -> list[Membership]:
    return list(
        session.scalars(
            select(Membership).join(User).where(Membership.org_id == org_id).order_by(User.name)
        )
    )


def list_invites(session: Session, org_id: int) -> list[Invite]:
    return list(session.scalars(select(Invite).where(Invite.org_id == org_id).order_by(Invite.id.desc()).limit(50)))
