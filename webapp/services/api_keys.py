"""Per-workspace API keys for the JSON API. Only a SHA-256 of each key is stored."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from webapp.models import ApiKey, Membership
from webapp.services.activity import log_activity
from webapp.services.errors import DomainError, PermissionDenied

KEY_PREFIX = "ap_"


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def create_api_key(session: Session, actor: Membership, name: str, *, now: datetime) -> tuple[ApiKey, str]:
    """A new key for the actor's workspace. Returns (row, key); the key is shown only once."""
    if actor.role != "owner":
        raise PermissionDenied("Only an owner can create API keys.")
    name = name.strip()
    if not name:
        raise DomainError("Name the key after what will use it, such as “Website”.")
    key = KEY_PREFIX + secrets.token_urlsafe(30)
    row = ApiKey(org_id=actor.org_id, name=name[:80], prefix=key[:10], key_hash=_hash(key), created_by_id=actor.user_id, created_at=now)
    session.add(row)
    session.flush()
    log_activity(
        session, actor.org_id, "api_key.created", f"{actor.user.name} created the API key “{row.name}” ({row.prefix}…).",
        now=now, entity=("api_key", row.id), actor_id=actor.user_id,
    )
    return row, key


def revoke_api_key(session: Session, actor: Membership, row: ApiKey, *, now: datetime) -> None:
    if actor.role != "owner":
        raise PermissionDenied("Only an owner can revoke API keys.")
    if row.revoked_at is None:
        row.revoked_at = now
        log_activity(
            session, actor.org_id, "api_key.revoked", f"{actor.user.name} revoked the API key “{row.name}”.",
            now=now, entity=("api_key", row.id), actor_id=actor.user_id,
        )


def authenticate_api_key(session: Session, key: str, *, now: datetime) -> ApiKey | None:
    """The live key row for this secret, or None. Stamps `last_used_at`."""
    if not key.startswith(KEY_PREFIX):
        return None
    row = session.scalars(select(ApiKey).where(ApiKey.key_hash == _hash(key), ApiKey.revoked_at.is_(None))).one_or_none()
    if row is not None:
        row.last_used_at = now
    return row


def list_api_keys(session: Session, org_id: int) -> list[ApiKey]:
    return list(session.scalars(select(ApiKey).where(ApiKey.org_id == org_id).order_by(ApiKey.id.desc())))
