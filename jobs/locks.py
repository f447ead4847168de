"""Lease locks in the database, shared by every process and machine.

A lock is a row (name, holder, expires_at). Taking it succeeds when the row is absent or
its lease has expired, in one INSERT … ON CONFLICT DO UPDATE … WHERE statement, so two
processes can never both win. The holder renews the lease by heartbeat while it works;
a holder that died simply stops renewing and the lock is taken over after expiry.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import delete, update
from sqlalchemy.engine import Engine

from webapp.core.db import dialect_insert
from webapp.models import SchedulerLock

log = logging.getLogger(__name__)


def acquire(engine: Engine, name: str, holder: str, *, now: datetime, ttl: timedelta) -> bool:
    """Take the lease if free or expired (or already ours). Commits on its own connection."""
    insert = dialect_insert(engine)
    stmt = insert(SchedulerLock).values(
        name=name, holder=holder, acquired_at=now, expires_at=now + ttl
    )
    stmt = stmt.on_conflict_do_update(
        index_elements=["name"],
        set_={"holder": holder, "acquired_at": now, "expires_at": now + ttl},
        where=(SchedulerLock.expires_at < now) | (SchedulerLock.holder == holder),
    ).returning(SchedulerLock.holder)
    with engine.begin() as conn:
        return conn.execute(stmt).scalar_one_or_none() == holder


def renew(engine: Engine, name: str, holder: str, *, now: datetime, ttl: timedelta) -> bool:
    """Extend our lease. False if another holder has it (ours had expired)."""
    with engine.begin() as conn:
        result = conn.execute(
            update(SchedulerLock)
            .where(SchedulerLock.name == name, SchedulerLock.holder == holder)
            .values(expires_at=now + ttl)
        )
        return result.rowcount == 1


def release(engine: Engine, name: str, holder: str) -> None:
    with engine.begin() as conn:
        conn.execute(
            delete(SchedulerLock).where(SchedulerLock.name == name, SchedulerLock.holder == holder)
        )


class Heartbeat:
    """Renews a lease every `interval` on a daemon thread until stopped.

    `on_beat(now)` runs after each successful renewal (the runner stamps its run row).
    `lost` is set if the lease was taken over, so the job can stop at its next checkpoint.
    """

    def __init__(
        self,
        engine: Engine,
        name: str,
        holder: str,
        *,
        ttl: timedelta,
        interval: float,
        clock: Callable[[], datetime],
        on_beat: Callable[[datetime], None] | None = None,
    ) -> None:
        self.engine, self.name, self.holder = engine, name, holder
        self.ttl, self.interval, self.clock, self.on_beat = ttl, interval, clock, on_beat
        self.lost = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"heartbeat:{name}", daemon=True)

    def start(self) -> Heartbeat:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=self.interval + 5)

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            now = self.clock()
            try:
                if not renew(self.engine, self.name, self.holder, now=now, ttl=self.ttl):
                    log.error("lease %s was taken over; stopping heartbeat", self.name)
                    self.lost.set()
                    return
                if self.on_beat:
                    self.on_beat(now)
            except Exception:  # a busy database must not kill the heartbeat; retry next beat
                log.warning("heartbeat for %s failed; retrying", self.name, exc_info=True)
