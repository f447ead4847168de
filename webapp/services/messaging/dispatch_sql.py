"""The dispatcher's per-message acknowledgement, as plain SQL on the batch's connection.

Each sent message is acknowledged in a transaction of its own: its job completed, its Send
recorded, and the next step queued (or the enrolment completed). At hundreds of messages a
second, SQLAlchemy's per-statement work (building, caching, processing parameters) costs
as much as the statements, so they run as fixed SQL on the DBAPI cursor of the SQLAlchemy
connection, inside the transaction it began. The statements that write `queued_jobs` are
the work engine's (`webapp.queue.ack`); the ones here write `sends` and `enrollments`. On
PostgreSQL the acknowledgement is ONE statement (the engine's and ours as data-modifying
CTEs), so it costs one round trip; SQLite runs in-process, where separate statements cost
nothing extra. Values are stored exactly as the models' column types store them (`ack.stamp`
for times; JSON as its text).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.engine import Connection

from webapp.queue import ack

# A delivery report can arrive before the acknowledgement commits: what it said is kept.
RECORD = (
    "UPDATE sends SET status = CASE WHEN status IN ('delivered', 'failed') THEN status ELSE 'sent' END, "
    "sent_at = :at, provider = :provider, provider_message_id = :provider_id, message_id = :message_id, "
    'subject = :subject, body_text = :body, "to" = :recipient, '
    "error = CASE WHEN status = 'failed' THEN error END, "
    "error_class = CASE WHEN status = 'failed' THEN error_class END WHERE id = :send_id"
)
FINISH = "UPDATE enrollments SET status = 'completed', finished_at = :at WHERE id = :enrollment_id AND status = 'active'"
SEND_COLUMNS = (
    'org_id, campaign_id, enrollment_id, step_id, lead_id, queued_job_id, channel, "to", status, subject, '
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
# PostgreSQL: everything in one statement. The next step's Send takes the new job's id
# from the engine's ENQUEUE (no row, so no Send, when the step was queued already).
# `started` counts the attempt of the batch's next message (ack.START), whose sending begins
# right after: its mark rides along instead of costing a transaction of its own.
PG = {
    "next": ack.one_statement(
        [
            ("done", ack.COMPLETE),
            ("started", ack.START),
            ("recorded", RECORD),
            ("queued", ack.ENQUEUE),
        ],
        f"INSERT INTO sends ({SEND_COLUMNS}) SELECT {SEND_VALUES.format(job='queued.id')} "
        "FROM queued ON CONFLICT (enrollment_id, step_id) DO NOTHING",
    ),
    "finish": ack.one_statement(
        [("done", ack.COMPLETE), ("started", ack.START), ("recorded", RECORD)], FINISH
    ),
}
SKIP_SEND = "UPDATE sends SET status = 'cancelled', error = :reason, error_class = 'SKIPPED' WHERE id = :send_id"


@dataclass(frozen=True)
class StepJob:
    """The claimed job of one sequence step, the rows it belongs to, and when it happens."""

    job_id: int
    owner: str
    send_id: int
    enrollment_id: int
    org_id: int
    campaign_id: int
    lead_id: int
    test_mode: bool
    at: datetime


@dataclass(frozen=True)
class Delivered:
    """What the provider took: recorded on the Send, and the job's result."""

    provider: str
    provider_id: str | None
    message_id: str | None
    subject: str
    body: str
    recipient: str
    result: dict


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


def _params(conn: Connection, step: StepJob, next_step: NextStep | None) -> dict:
    stamp = ack.stamp(conn.dialect.name)
    params = {
        "job_id": step.job_id,
        "start_id": None,
        "owner": step.owner,
        "send_id": step.send_id,
        "enrollment_id": step.enrollment_id,
        "at": stamp(step.at),
        "org_id": step.org_id,
        "campaign_id": step.campaign_id,
        "lead_id": step.lead_id,
        "test_mode": step.test_mode,
    }
    if next_step is not None:
        params.update(
            next_step_id=next_step.step_id,
            key=next_step.key,
            payload=json.dumps(next_step.payload),
            run_at=stamp(next_step.run_at),
            channel=next_step.channel,
            next_recipient=next_step.recipient,
            max_attempts=next_step.max_attempts,
            kind=next_step.kind,
        )
    return params


def start(conn: Connection, job_id: int, owner: str, at: datetime) -> None:
    """Count the attempt of a job whose sending begins (once per lease), in the transaction
    `conn` has open."""
    params = {"start_id": job_id, "owner": owner, "at": ack.stamp(conn.dialect.name)(at)}
    sql = ack.pyformat(ack.START) if conn.dialect.name == "postgresql" else ack.START
    conn.connection.dbapi_connection.cursor().execute(sql, params)


def acknowledge(
    conn: Connection,
    step: StepJob,
    delivered: Delivered,
    next_step: NextStep | None,
    start_next: int | None = None,
) -> None:
    """Mark the job completed, record the Send, and queue `next_step` (or finish the
    enrolment), in the transaction `conn` has open. Queuing is idempotent (its key).
    `start_next`: the job sent next, whose attempt is counted in the same transaction."""
    params = _params(conn, step, next_step)
    params.update(
        start_id=start_next,
        provider=delivered.provider,
        provider_id=delivered.provider_id,
        message_id=delivered.message_id,
        subject=delivered.subject,
        body=delivered.body,
        recipient=delivered.recipient,
        result=json.dumps(delivered.result),
    )
    cursor = conn.connection.dbapi_connection.cursor()
    if conn.dialect.name == "postgresql":
        cursor.execute(PG["next" if next_step is not None else "finish"], params)
        return
    cursor.execute(ack.COMPLETE, params)
    if start_next is not None:
        cursor.execute(ack.START, params)
    cursor.execute(RECORD, params)
    if next_step is None:
        cursor.execute(FINISH, params)
        return
    row = cursor.execute(ack.ENQUEUE, params).fetchone()
    if row is not None:  # None: queued already (a re-run after a lost acknowledgement)
        cursor.execute(QUEUE_SEND, {**params, "job_id": row[0]})


def skip_step(conn: Connection, step: StepJob, reason: str, next_step: NextStep | None) -> None:
    """Pass over one step (its job and Send cancelled with `reason`) and queue `next_step`,
    or finish the enrolment, in the transaction `conn` has open."""
    params = {**_params(conn, step, next_step), "reason": reason, "error_class": "SKIPPED"}
    cursor = conn.connection.dbapi_connection.cursor()
    postgres = conn.dialect.name == "postgresql"

    def run(sql: str, values: dict):  # the cursor: psycopg returns None, sqlite3 itself
        return cursor.execute(ack.pyformat(sql) if postgres else sql, values)

    run(ack.CANCEL, params)
    run(SKIP_SEND, params)
    if next_step is None:
        run(FINISH, params)
        return
    row = run(ack.ENQUEUE, params).fetchone()
    if row is not None:
        run(QUEUE_SEND, {**params, "job_id": row[0]})
