"""Engine tuning per database. SQLite gets WAL, a busy timeout and a write lock taken late.

SQLite trap (DESIGN.md): Python's sqlite3 opens no transaction before the first write, so
"read a pending row, then update it" can hand one row to two workers. We take over BEGIN
ourselves. Every transaction starts as a plain (deferred) BEGIN: it only reads, and WAL
lets it run beside the one writer. It gets the write lock in one of two ways:

- `begin_write(session)` before its first statement: BEGIN IMMEDIATE, the lock from the
  start, for units whose reads decide their writes under contention (the work engine's
  claims and acknowledgements, the job runner). Keep such units short.
- At its first write statement ("promotion", below). Nothing else needs to think about it.

Promotion. SQLite's own upgrade of a read transaction fails at once with "database is
locked" when another connection holds the lock or committed after our snapshot: the busy
timeout is skipped, as waiting cannot make a stale snapshot current. That turned 403 of 485
API reads under load into 500s. So at the first write of a transaction that has read, we
upgrade ourselves: COMMIT the read part (it wrote nothing), BEGIN IMMEDIATE (this one waits,
under the busy timeout) and compare PRAGMA data_version, which changes only when another
connection commits. Unchanged: nobody wrote since our reads, so they still hold, and the
transaction goes on exactly as an in-place upgrade would. Changed: they may be stale, so we
raise WriteConflict and the unit runs again (`run_unit`, around every view) with each of
its transactions begun IMMEDIATE, which cannot conflict. Optimistic first, because taking
the lock at the start of every POST (the old way) held it for the whole request, sign-in's
password hash included, and queued every other writer, the scheduler's acknowledgements
too, behind it; most units read for a few milliseconds and find nothing changed.

A transaction whose first statement is a write needs none of this: it has no snapshot yet,
so SQLite waits for the lock under the busy timeout.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import TypeVar

from sqlalchemy import event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import ORMExecuteState, Session, scoped_session
from sqlalchemy.sql.expression import Executable

IMMEDIATE = "sqlite_begin_immediate"
_TXN = "autopilot_txn"  # Connection.info key: the open transaction's state
_WRITES_FIRST = "autopilot_writes_first"  # Session.info key: inside writes_first()
_WRITE = re.compile(r"\s*(INSERT|UPDATE|DELETE|REPLACE|CREATE|DROP|ALTER)\b", re.IGNORECASE)
# Write transactions committed in this thread/task: a unit that committed one is not re-run.
_committed_writes: ContextVar[int] = ContextVar("committed_writes", default=0)
T = TypeVar("T")


class WriteConflict(Exception):
    """Another connection committed between this transaction's reads and its first write
    (SQLite): the reads may be stale. Roll back and run the unit again (`run_unit`)."""


@dataclass
class _Txn:
    locked: bool  # holds the write lock (BEGIN IMMEDIATE, or promoted)
    version: int | None = None  # PRAGMA data_version of its snapshot, once it has read
    wrote: bool = False
    blind: bool = False  # its writes do not depend on its reads (see `blind_writes`)


def configure_engine(engine: Engine, busy_timeout_ms: int) -> None:
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        # Let the "begin" hook below emit BEGIN itself.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):
        immediate = bool(conn.get_execution_options().get(IMMEDIATE))
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")
        conn.info[_TXN] = _Txn(locked=immediate)

    @event.listens_for(engine, "before_cursor_execute")
    def _before_statement(conn, _cursor, statement, _params, _context, _many):
        txn = conn.info.get(_TXN)
        if txn is None:
            return
        if _WRITE.match(statement):
            if not txn.locked and txn.version is not None:
                _promote(conn.connection.dbapi_connection, None if txn.blind else txn.version)
            txn.locked = txn.wrote = True
        elif txn.version is None and not txn.locked:
            txn.version = _data_version(conn.connection.dbapi_connection)

    @event.listens_for(engine, "commit")
    def _on_commit(conn):
        txn = conn.info.pop(_TXN, None)
        if txn is not None and txn.wrote:
            _committed_writes.set(_committed_writes.get() + 1)

    @event.listens_for(engine, "rollback")
    def _on_rollback(conn):
        conn.info.pop(_TXN, None)


def _data_version(dbapi_connection) -> int:
    # Run on the raw connection: no statement events, and it starts the read snapshot.
    return dbapi_connection.execute("PRAGMA data_version").fetchone()[0]


def _promote(dbapi_connection, version: int | None) -> None:
    """Turn the open read transaction into a write transaction (see the module docstring);
    `version` None: the writes do not depend on the reads, so no check."""
    dbapi_connection.execute("COMMIT")  # the read part wrote nothing
    dbapi_connection.execute("BEGIN IMMEDIATE")  # waits for the lock, under the busy timeout
    if version is not None and _data_version(dbapi_connection) != version:
        dbapi_connection.execute("ROLLBACK")  # free the lock for whoever is waiting
        raise WriteConflict("the data this transaction read changed before its first write")


def begin_write(session: Session) -> None:
    """Start the session's next transaction as a write transaction (BEGIN IMMEDIATE on SQLite).

    A no-op when a transaction is already open (a read transaction is promoted at its first
    write) and on PostgreSQL.
    """
    if hasattr(session, "registry"):  # a scoped_session: act on the current session
        session = session()
    if session.in_transaction():
        return
    session.connection(execution_options={IMMEDIATE: True})


def blind_writes(session: Session | scoped_session) -> None:
    """Declare that the writes still to come in the session's open transaction do not depend
    on what it read (stamping a sign-in, clearing counted attempts): on SQLite they take the
    write lock without the WriteConflict check, which could not be retried once the unit
    has committed a write of its own (the rate limiter's count). A no-op on PostgreSQL."""
    if hasattr(session, "registry"):
        session = session()
    if not session.in_transaction() or session.get_bind().dialect.name != "sqlite":
        return
    txn = session.connection().info.get(_TXN)
    if txn is not None:
        txn.blind = True


@contextmanager
def writes_first(session: Session) -> Iterator[None]:
    """Within the block, each of the session's transactions begins as a write transaction at
    its first statement (like the job runner's), so none can meet a WriteConflict."""
    if hasattr(session, "registry"):
        session = session()

    def on_statement(state: ORMExecuteState) -> None:
        begin_write(state.session)

    event.listen(session, "do_orm_execute", on_statement)
    session.info[_WRITES_FIRST] = True
    try:
        yield
    finally:
        session.info.pop(_WRITES_FIRST, None)
        event.remove(session, "do_orm_execute", on_statement)


def read(session: Session | scoped_session, statement: Executable, params: dict | None = None):
    """Run a Core statement (columns, no ORM entities) on the session's connection, in its
    transaction: it skips the ORM's statement pipeline, about 60 µs a statement, which the
    many small reads of a page or the health widget add up to. Returns the Result."""
    if hasattr(session, "registry"):
        session = session()
    if session.info.get(_WRITES_FIRST):  # no do_orm_execute event here: begin as writes_first would
        begin_write(session)
    return session.connection().execute(statement, params or {})


def run_unit(session: Session, unit: Callable[..., T], *args, **kwargs) -> T:
    """`unit(*args, **kwargs)`, run once more with `writes_first` if it met a WriteConflict.

    Sound only while the unit has committed no write of its own (the web request of a
    view): then the retry redoes nothing that was kept. Otherwise the conflict is raised.
    """
    if hasattr(session, "registry"):
        session = session()
    committed = _committed_writes.get()
    try:
        return unit(*args, **kwargs)
    except WriteConflict:
        if _committed_writes.get() != committed:
            raise
        session.rollback()
    with writes_first(session):
        return unit(*args, **kwargs)


def write_engine(engine: Engine) -> Engine:
    """The engine whose `begin()` opens write transactions (for lock and run-row statements)."""
    return engine.execution_options(**{IMMEDIATE: True})


def dialect_insert(bind: Session | scoped_session | Engine | Connection) -> Callable:
    """The `insert` of the bind's database: PostgreSQL's or SQLite's, the two that have
    `on_conflict_do_nothing` / `on_conflict_do_update` (the generic `insert` has neither).

    `insert = dialect_insert(session)`, then `insert(Model).on_conflict_do_nothing(...)`.
    """
    dialect = bind.dialect if isinstance(bind, Engine | Connection) else bind.get_bind().dialect
    return postgresql.insert if dialect.name == "postgresql" else sqlite.insert
