"""The one rate limiter: sliding windows of hits kept in the database, so every process
shares them.

It refuses requests: public lead-form posts (per visitor address and per workspace), sign-in
attempts (per account and, more generously, per address), password-reset requests and JSON
API calls (per key). A hit is a row per bucket it counts in; one event may count in several
buckets, and `forget` drops an event from all of them (signing in clears the account's
failures from the address's count too).

Check-and-count is atomic: `hit` and `hit_all` lock the buckets they count in (PostgreSQL: a
transaction-scoped advisory lock per bucket, taken in one order; SQLite: the database's write
lock), count, and add the hit in one short write transaction of their own, committed before
the caller goes on, so 40 simultaneous requests against a limit of 5 let exactly 5 through.
That transaction is never the request's: a read transaction upgraded to a write fails at
once on SQLite ("database is locked") instead of waiting.

On SQLite, a session already in a transaction is counted inside it and commits with it: if it
holds the write lock (a request that writes, BEGIN IMMEDIATE) nothing else can write anyway;
if it only read, a commit of ours would make its own later write fail on a stale snapshot,
and its count-then-add fails on a conflicting writer rather than letting an extra hit
through. So call the limiter before the request's reads (or after ending them): then it
takes its own write transaction, as on PostgreSQL.

Not here, on purpose: the token buckets of `webapp.integrations.resilience` (`take_tokens`).
They pace our own outbound sends (grant up to N of a batch now, send the rest on a later
tick) and never refuse anything, so they answer a different question with another shape.
"""

from __future__ import annotations

import hashlib
import random
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime, timedelta

from sqlalchemy import delete, func, insert, select, text
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session, scoped_session

from webapp.core.db import write_engine
from webapp.models import RateLimitHit

PRUNE_EVERY = 200  # on average one hit in this many also clears old rows of every bucket
KEEP = timedelta(days=1)  # hits older than this are cleared, so every window must be shorter
BUCKET_LENGTH = 320  # RateLimitHit.bucket; longer keys are hashed to fit

Limit = tuple[str, int, timedelta]  # (bucket, at most this many hits, within this window)


def bucket(name: str, key: object) -> str:
    """The bucket of `key` under the limit `name`, such as "lead-form:ip:203.0.113.9"."""
    value = f"{name}:{key}"
    if len(value) <= BUCKET_LENGTH:
        return value
    return f"{name}:#{hashlib.sha256(str(key).encode()).hexdigest()}"


def hit(
    session: Session | scoped_session,
    bucket: str,
    *,
    limit: int,
    window: timedelta,
    now: datetime,
) -> timedelta | None:
    """Count one request in `bucket` unless `limit` requests already fell in the last `window`.

    Returns None when allowed (and counted), else how long until the next one is allowed.
    """
    return hit_all(session, [(bucket, limit, window)], now=now)


def hit_all(
    session: Session | scoped_session, limits: Sequence[Limit], *, now: datetime
) -> timedelta | None:
    """Count one event in every bucket of `limits` unless one of them is full.

    Returns None when allowed (counted in all of them, committed), else the longest wait
    among the full ones (nothing counted).
    """
    with _write(session) as conn:
        _lock(conn, sorted({b for b, _limit, _window in limits}))
        waits = [_wait(conn, b, limit, window, now) for b, limit, window in limits]
        refused = [w for w in waits if w is not None]
        if refused:
            return max(refused)
        for b, _limit, window in limits:
            conn.execute(
                delete(RateLimitHit).where(
                    RateLimitHit.bucket == b, RateLimitHit.at <= now - window
                )
            )
        event = uuid.uuid4().hex
        conn.execute(
            insert(RateLimitHit), [{"bucket": b, "event": event, "at": now} for b, _l, _w in limits]
        )
        if random.randrange(PRUNE_EVERY) == 0:
            conn.execute(delete(RateLimitHit).where(RateLimitHit.at < now - KEEP))
    return None


def forget(session: Session | scoped_session, bucket: str) -> int:
    """Drop every hit counted in `bucket`, in all of its buckets. Returns the rows deleted."""
    with _write(session) as conn:
        events = select(RateLimitHit.event).where(RateLimitHit.bucket == bucket)
        result = conn.execute(delete(RateLimitHit).where(RateLimitHit.event.in_(events)))
    return result.rowcount or 0


def prune(session: Session | scoped_session, *, older_than: datetime) -> int:
    """Drop the hits of every bucket older than `older_than`. Returns the rows deleted."""
    with _write(session) as conn:
        result = conn.execute(delete(RateLimitHit).where(RateLimitHit.at < older_than))
    return result.rowcount or 0


def _wait(
    conn: Connection, bucket: str, limit: int, window: timedelta, now: datetime
) -> timedelta | None:
    """How long until `bucket` takes one more hit, or None when it takes one now."""
    recent = select(RateLimitHit.at).where(
        RateLimitHit.bucket == bucket, RateLimitHit.at > now - window
    )
    count = conn.scalar(select(func.count()).select_from(recent.subquery())) or 0
    if count < limit:
        return None
    # The window frees a place when the limit-th newest hit leaves it.
    edge = conn.scalar(recent.order_by(RateLimitHit.at.desc()).offset(limit - 1).limit(1))
    return max(timedelta(seconds=1), (edge or now) + window - now)


def _lock(conn: Connection, buckets: Sequence[str]) -> None:
    """Serialise check-and-count per bucket until the transaction ends. SQLite's write lock
    already does; on PostgreSQL an advisory lock per bucket, sorted so two events counting
    in the same buckets cannot deadlock."""
    if conn.dialect.name != "postgresql":
        return
    for b in buckets:
        key = int.from_bytes(hashlib.sha256(b.encode()).digest()[:8], "big", signed=True)
        conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})


@contextmanager
def _write(session: Session | scoped_session) -> Iterator[Connection]:
    """A short write transaction of the limiter's own, committed on leaving (see the module
    docstring for the one case that joins the session's transaction instead)."""
    plain = session() if hasattr(session, "registry") else session  # a scoped_session
    engine = plain.get_bind()
    if engine.dialect.name == "sqlite" and plain.in_transaction():
        yield plain.connection()
        return
    with write_engine(engine).begin() as conn:
        yield conn
