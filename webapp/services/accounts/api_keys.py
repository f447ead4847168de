"""Per-workspace API keys for the JSON API, and the request limit of each key.

Only a SHA-256 of each key is stored.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from webapp.core.errors import DomainError, PermissionDenied
from webapp.models import ApiKey, Membership
from webapp.services.accounts import limits
from webapp.services.activity import log_activity

KEY_PREFIX = "ap_"
REQUEST_WINDOW = timedelta(minutes=1)
# `last_used_at` is kept to the minute: a key's requests write it at most once a minute.
LAST_USED_GRAIN = timedelta(minutes=1)


class ApiKeyRateLimited(DomainError):
    """The key made `limit` requests within the last minute; the next is allowed after
    `retry_after`."""

    def __init__(self, limit: int, retry_after: timedelta) -> None:
        self.limit = limit
        self.retry_after = retry_after
        super().__init__(
            f"This API key is limited to {limit} requests per minute. "
            f"Wait {_seconds(retry_after)} and try again."
        )


def _seconds(delta: timedelta) -> str:
    seconds = max(1, int(delta.total_seconds() + 0.999))
    return f"{seconds} second{'s' if seconds != 1 else ''}"


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def create_api_key(
    session: Session, actor: Membership, name: str, *, now: datetime
) -> tuple[ApiKey, str]:
    """A new key for the actor's workspace. Returns (row, key); the key is shown only once."""
    if actor.role != "owner":
        raise PermissionDenied("Only an owner can create API keys.")
    name = name.strip()
    if not name:
        raise DomainError("Name the key after what will use it, such as “Website”.")
    key = KEY_PREFIX + secrets.token_urlsafe(30)
    row = ApiKey(
        org_id=actor.org_id,
        name=name[:80],
        prefix=key[:10],
        key_hash=_hash(key),
        created_by_id=actor.user_id,
        created_at=now,
    )
    session.add(row)
    session.flush()
    log_activity(
        session,
        actor.org_id,
        "api_key.created",
        f"{actor.user.name} created the API key “{row.name}” ({row.prefix}…).",
        now=now,
        entity=("api_key", row.id),
        actor_id=actor.user_id,
    )
    return row, key


def revoke_api_key(session: Session, actor: Membership, row: ApiKey, *, now: datetime) -> None:
    if actor.role != "owner":
        raise PermissionDenied("Only an owner can revoke API keys.")
    if row.revoked_at is None:
        row.revoked_at = now
        log_activity(
            session,
            actor.org_id,
            "api_key.revoked",
            f"{actor.user.name} revoked the API key “{row.name}”.",
            now=now,
            entity=("api_key", row.id),
            actor_id=actor.user_id,
        )


def authenticate_api_key(session: Session, key: str) -> ApiKey | None:
    """The live key row for this secret, or None. Only reads: a GET with a key must not
    turn its read transaction into a write (`stamp_api_key_use` records the use)."""
    if not key.startswith(KEY_PREFIX):
        return None
    return session.scalars(
        select(ApiKey).where(ApiKey.key_hash == _hash(key), ApiKey.revoked_at.is_(None))
    ).one_or_none()


def api_key_use_due(last_used_at: datetime | None, *, now: datetime) -> bool:
    """Whether a request at `now` should record the key's use (once a minute at most)."""
    return last_used_at is None or now - last_used_at >= LAST_USED_GRAIN


def stamp_api_key_use(session: Session, key_id: int, *, now: datetime) -> bool:
    """Set the key's `last_used_at` to `now` unless it was set within the last minute.

    One conditional UPDATE, so processes racing on the same minute write it once. Returns
    whether it wrote.
    """
    result = session.execute(
        update(ApiKey)
        .where(
            ApiKey.id == key_id,
            or_(ApiKey.last_used_at.is_(None), ApiKey.last_used_at <= now - LAST_USED_GRAIN),
        )
        .values(last_used_at=now)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)


def count_api_request(session: Session, key_id: int, *, per_minute: int, now: datetime) -> None:
    """Count one request made with the key. Raises ApiKeyRateLimited past `per_minute`
    requests in the last minute (refused requests are not counted); 0 means no limit."""
    if per_minute <= 0:
        return
    retry_after = limits.hit(
        session,
        limits.bucket("api-key", key_id),
        limit=per_minute,
        window=REQUEST_WINDOW,
        now=now,
    )
    if retry_after is not None:
        raise ApiKeyRateLimited(per_minute, retry_after)


def list_api_keys(session: Session, org_id: int) -> list[ApiKey]:
    return list(
        session.scalars(select(ApiKey).where(ApiKey.org_id == org_id).order_by(ApiKey.id.desc()))
    )
