"""The dispatcher's per-message acknowledgement, as plain SQL on the batch's connection.

Each sent message is acknowledged in a transaction of its own: its job completed, its Send
recorded, and the next step queued (or the enrolment completed). At hundreds of messages a
second, SQLAlchemy's per-statement work (building, caching, processing parameters) costs
as much as the statements, so they run as fixed SQL on the DBAPI cursor of the SQLAlchemy
connection, inside the transaction it began. On PostgreSQL the acknowledgement is ONE
statement (data-modifying CTEs), so it costs one round trip; SQLite runs in-process, where
separate statements cost nothing extra. ON CONFLICT and RETURNING exist in SQLite ≥ 3.35
and PostgreSQL. Values are stored exactly as the models' column types store them (UTC
times: `timestamptz` on PostgreSQL, naive "YYYY-MM-DD HH:MM:SS.ffffff" on SQLite; JSON as
its text).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy.engine import Connection

COMPLETE = (
    "UPDATE queued_jobs SET status = 'completed', result = :result, lease_owner = NULL, lease_expires_at = NULL, "
    "completed_at = :at, updated_at = :at, last_error = NULL, error_class = NULL "
    "WHERE id = :job_id AND status = 'processing' AND lease_owner = :owner"
)
# A delivery report can arrive before the acknowledgement commits: what it said is kept.
RECORD = (
    "UPDATE sends SET status = CASE WHEN status IN ('delivered', 'failed') THEN status ELSE 'sent' END, "
    "sent_at = :at, provider = :provider, provider_message_id = :provider_id, message_id = :message_id, "
    "subject = :subject, body_text = :body, \"to\" = :recipient, "
    "error = CASE WHEN status = 'failed' THEN error END, "
    "error_class = CASE WHEN status = 'failed' THEN error_class END WHERE id = :send_id"
)
FINISH = "UPDATE enrollments SET status = 'completed', finished_at = :at WHERE id = :enrollment_id AND status = 'active'"
QUEUE_JOB = (
    "INSERT INTO queued_jobs (org_id, kind, payload, idempotency_key, status, attempts, max_attempts, run_at, "
    "test_mode, created_at, updated_at) VALUES (:org_id, :kind, :payload, :key, 'pending', 0, :max_attempts, "
    ":run_at, :test_mode, :at, :at) ON CONFLICT (idempotency_key) DO NOTHING RETURNING id"
)
SEND_COLUMNS = (
    "org_id, campaign_id, enrollment_id, step_id, lead_id, queued_job_id, channel, \"to\", status, subject, "
    "body_text, due_at, opens, clicks, test_mode, created_at"
)
SEND_VALUES = (
    ":org_id, :campaign_id, :enrollment_id, :next_step_id, :lead_id, {job}, :channel, :next_recipient, 'queued', "
    "'', '', :run_at, 0, 0, :test_mode, :at"
)
QUEUE_SEND = (
    f"INSERT INTO sends ({SEND_COLUMNS}) VALUES ({SEND_VALUES.format(job=':job_id')}) "
    "ON CONFLICT (enrollment_id, step_id) DO NOTHING"
)
# PostgreSQL: everything in one statement.
PG_THEN_NEXT = (
    f"WITH done AS ({COMPLETE}), recorded AS ({RECORD}), queued AS ({QUEUE_JOB}) "
    f"INSERT INTO sends ({SEND_COLUMNS}) SELECT {SEND_VALUES.format(job='queued.id')} FROM queued "
    "ON CONFLICT (enrollment_id, step_id) DO NOTHING"
)
PG_THEN_FINISH = f"WITH done AS ({COMPLETE}), recorded AS ({RECORD}) {FINISH}"


def _pyformat(sql: str) -> str:
    return re.sub(r"(?<!:):(\w+)", r"%(\1)s", sql)


PG = {"next": _pyformat(PG_THEN_NEXT), "finish": _pyformat(PG_THEN_FINISH)}


@dataclass(frozen=True)
class NextStep:
    """The step to queue after this one (its job and its Send)."""

    step_id: int
    key: str
    payload: dict
    run_at: datetime
    channel: str
    recipient: str
    max_attempts: int
    kind: str


@contextmanager
def write_transaction(conn: Connection, *, one_statement: bool = False) -> Iterator[None]:
    """A write transaction on the DBAPI connection itself (BEGIN IMMEDIATE on SQLite; psycopg
    begins on the first statement), committed at the end: no SQLAlchemy bookkeeping per
    message. `conn` must have no SQLAlchemy transaction open.

    `one_statement`: the block runs a single statement, atomic by itself, so on PostgreSQL it
    runs in autocommit — one round trip instead of BEGIN, the statement and COMMIT.
    """
    dbapi = conn.connection.dbapi_connection
    if conn.dialect.name == "sqlite":
        dbapi.execute("BEGIN IMMEDIATE")
    elif one_statement:
        dbapi.autocommit = True
        try:
            yield
        finally:
            dbapi.autocommit = False
        return
    try:
        yield
    except BaseException:
        dbapi.rollback()
        raise
    dbapi.commit()


def _sqlite_time(value: datetime) -> str:
    value = value.astimezone(UTC)
    return f"{value:%Y-%m-%d %H:%M:%S}.{value.microsecond:06d}"


def acknowledge(conn: Connection, *, job_id: int, owner: str, send_id: int, enrollment_id: int, at: datetime,  # noqa: PLR0913
                provider: str, provider_id: str | None, message_id: str | None, subject: str, body: str,
                recipient: str, result: dict, org_id: int, campaign_id: int, lead_id: int, test_mode: bool,
                next_step: NextStep | None) -> None:
    """Mark the job completed, record the Send, and queue `next_step` (or finish the
    enrolment), in the transaction `conn` has open. Queuing is idempotent (its key)."""
    postgres = conn.dialect.name == "postgresql"
    stamp = (lambda v: v) if postgres else _sqlite_time
    params = {
        "job_id": job_id, "owner": owner, "send_id": send_id, "enrollment_id": enrollment_id, "at": stamp(at),
        "provider": provider, "provider_id": provider_id, "message_id": message_id, "subject": subject, "body": body,
        "recipient": recipient, "result": json.dumps(result), "org_id": org_id, "campaign_id": campaign_id,
        "lead_id": lead_id, "test_mode": test_mode,
    }
    if next_step is not None:
        params.update(
            next_step_id=next_step.step_id, key=next_step.key, payload=json.dumps(next_step.payload),
            run_at=stamp(next_step.run_at), channel=next_step.channel, next_recipient=next_step.recipient,
            max_attempts=next_step.max_attempts, kind=next_step.kind,
        )
    cursor = conn.connection.dbapi_connection.cursor()
    if postgres:
        cursor.execute(PG["next" if next_step is not None else "finish"], params)
        return
    cursor.execute(COMPLETE, params)
    cursor.execute(RECORD, params)
    if next_step is None:
        cursor.execute(FINISH, params)
        return
    row = cursor.execute(QUEUE_JOB, params).fetchone()
    if row is not None:  # None: queued already (a re-run after a lost acknowledgement)
        cursor.execute(QUEUE_SEND, {**params, "job_id": row[0]})


SKIP_JOB = (
    "UPDATE queued_jobs SET status = 'cancelled', last_error = :reason, error_class = 'SKIPPED', "
    "lease_owner = NULL, lease_expires_at = NULL, updated_at = :at "
    "WHERE id = :job_id AND status = 'processing' AND lease_owner = :owner"
)
SKIP_SEND = "UPDATE sends SET status = 'cancelled', error = :reason, error_class = 'SKIPPED' WHERE id = :send_id"


def skip_step(conn: Connection, *, job_id: int, owner: str, send_id: int, enrollment_id: int, at: datetime,
              reason: str, org_id: int, campaign_id: int, lead_id: int, test_mode: bool,
              next_step: NextStep | None) -> None:
    """Pass over one step (its job and Send cancelled with `reason`) and queue `next_step`,
    or finish the enrolment, in the transaction `conn` has open."""
    stamp = (lambda v: v) if conn.dialect.name == "postgresql" else _sqlite_time
    params = {"job_id": job_id, "owner": owner, "send_id": send_id, "enrollment_id": enrollment_id,
              "at": stamp(at), "reason": reason, "org_id": org_id, "campaign_id": campaign_id,
              "lead_id": lead_id, "test_mode": test_mode}
    run = (lambda sql, values: cursor.execute(_pyformat(sql), values)) if conn.dialect.name == "postgresql" \
        else (lambda sql, values: cursor.execute(sql, values))
    cursor = conn.connection.dbapi_connection.cursor()
    run(SKIP_JOB, params)
    run(SKIP_SEND, params)
    if next_step is None:
        run(FINISH, params)
        return
    params.update(
        next_step_id=next_step.step_id, key=next_step.key, payload=json.dumps(next_step.payload),
        run_at=stamp(next_step.run_at), channel=next_step.channel, next_recipient=next_step.recipient,
        max_attempts=next_step.max_attempts, kind=next_step.kind,
    )
    row = run(QUEUE_JOB, params).fetchone()
    if row is not None:
        run(QUEUE_SEND, {**params, "job_id": row[0]})
