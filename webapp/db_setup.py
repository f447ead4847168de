"""Engine tuning per database. SQLite gets WAL, a busy timeout and explicit BEGINs.

SQLite trap (DESIGN.md): Python's sqlite3 opens no transaction before the first write, so
"read a pending row, then update it" can hand one row to two workers. We take over BEGIN
ourselves: a plain (deferred) BEGIN for transactions that only read — WAL lets them run
beside a writer — and BEGIN IMMEDIATE for write transactions, which takes the write lock
up front so a read-then-write transaction can neither race nor fail with a stale snapshot.
Ask for one with `begin_write(session)` at the start of a transaction.
"""

from __future__ import annotations

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

IMMEDIATE = "sqlite_begin_immediate"


def configure_engine(engine: Engine, busy_timeout_ms: int) -> None:
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):  # noqa: ANN001
        # Let the "begin" hook below emit BEGIN itself.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):  # noqa: ANN001
        immediate = conn.get_execution_options().get(IMMEDIATE)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def begin_write(session: Session) -> None:
    """Start the session's next transaction as a write transaction (BEGIN IMMEDIATE on SQLite).

    A no-op when a transaction is already open (its kind is decided) and on PostgreSQL.
    """
    if hasattr(session, "registry"):  # a scoped_session: act on the current session
        session = session()
    if session.in_transaction():
        return
    session.connection(execution_options={IMMEDIATE: True})


def write_engine(engine: Engine) -> Engine:
    """The engine whose `begin()` opens write transactions (for lock and run-row statements)."""
    return engine.execution_options(**{IMMEDIATE: True})
