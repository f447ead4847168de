"""A lost database connection costs a worker one batch, not its run.

When the server restarts or the worker's backend is terminated mid-batch, the worker
gives the batch's jobs it still leases back at once (`give_back`: pending, due now, no
attempt spent) and goes on with the next batch on a new connection (the pool's
pre-ping replaces dead ones), instead of aborting and leaving the jobs to wait out their
leases. `lost_connection` tells such an error from a bug.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable, Sequence
from datetime import datetime

from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.orm import Session

from webapp.models.queue import QueuedJob
from webapp.queue.leases import release

RECONNECTS = 5  # lost connections in a row before a run gives up (the database is down)


def lost_connection(exc: BaseException) -> bool:
    """A database error a new connection may not meet: the connection dropped (the server
    restarted, the backend was terminated) or the database was busy or unreachable. Raw
    DBAPI errors count too (a hot path's own cursor, as the dispatcher's)."""
    if isinstance(exc, DBAPIError):
        return exc.connection_invalidated or isinstance(exc, OperationalError | InterfaceError)
    if isinstance(exc, sqlite3.OperationalError | sqlite3.InterfaceError):
        return True
    try:
        import psycopg
    except ImportError:  # pragma: no cover - psycopg is installed wherever PostgreSQL is used
        return False
    return isinstance(exc, psycopg.OperationalError | psycopg.InterfaceError)


def pause(lost: int) -> None:
    """A moment before the next try, longer after each loss in a row (a restarting server)."""
    time.sleep(min(2.0, 0.1 * 2**lost))


def give_back(
    engine: Engine, owner: str, jobs: Sequence[QueuedJob], clock: Callable[[], datetime]
) -> int:
    """Jobs of a broken batch that `owner` still leases: pending, due now, their attempts
    given back. Returns how many went back."""
    now = clock()
    with Session(engine) as session:
        back = release(session, owner, [(job.id, now) for job in jobs], now=now)
        session.commit()
    return back
