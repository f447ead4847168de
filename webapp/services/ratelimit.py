"""A sliding-window rate limiter kept in the database, so every process shares it."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from webapp.models import RateLimitHit

PRUNE_EVERY = 200  # on average one hit in this many also clears old rows of every bucket
KEEP = timedelta(days=1)


def hit(session: Session, bucket: str, *, limit: int, window: timedelta, now: datetime) -> timedelta | None:
    """Count one request in `bucket` unless `limit` requests already fell in the last `window`.

    Returns None when allowed (and counted), else how long until the next one is allowed.
    """
    since = now - window
    count = session.scalar(
        select(func.count()).select_from(RateLimitHit).where(RateLimitHit.bucket == bucket, RateLimitHit.at > since)
    ) or 0
    if count >= limit:
        # The window frees a place when the limit-th newest hit leaves it.
        edge = session.scalar(
            select(RateLimitHit.at).where(RateLimitHit.bucket == bucket, RateLimitHit.at > since)
            .order_by(RateLimitHit.at.desc()).offset(limit - 1).limit(1)
        )
        return max(timedelta(seconds=1), (edge or now) + window - now)
    session.add(RateLimitHit(bucket=bucket[:160], at=now))
    session.execute(delete(RateLimitHit).where(RateLimitHit.bucket == bucket, RateLimitHit.at <= since))
    if random.randrange(PRUNE_EVERY) == 0:
        session.execute(delete(RateLimitHit).where(RateLimitHit.at < now - KEEP))
    session.flush()
    return None
