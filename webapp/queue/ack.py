"""Job outcomes as SQL text, for a caller's own raw DBAPI transaction (the hot path).

The dispatcher acknowledges hundreds of messages a second, each in a transaction of its
own. SQLAlchemy's per-statement work (building, caching, processing parameters) would cost
as much as the statements, so it runs fixed SQL on the DBAPI cursor. The engine still owns
every statement that writes `queued_jobs`; the caller adds statements for its own tables:

- SQLite runs in-process, where separate statements cost nothing extra: execute `COMPLETE`
  (or `CANCEL`, `ENQUEUE`) and the caller's statements one by one, named parameters as is.
- PostgreSQL: `one_statement` joins them into ONE statement of data-modifying CTEs, so an
  acknowledgement costs one round trip (`WITH done AS (COMPLETE), … <last statement>`).

`COMPLETE`, `CANCEL` and `START` only touch a job still leased by `:owner`, so a stalled worker
can never overwrite the outcome of the worker that took its job over. `ENQUEUE` is
idempotent on the key (ON CONFLICT DO NOTHING) and returns the new id, or no row.

Parameters, by name (one dict may feed every statement of an acknowledgement):
- COMPLETE: job_id, owner, at, result (JSON text);
- CANCEL: job_id, owner, at, reason, error_class;
- START: start_id, owner, at;
- ENQUEUE: org_id, kind, payload (JSON text), key, max_attempts, run_at, test_mode, at.
Times go in as `stamp(dialect)` makes them, as the models' column types store them.
ON CONFLICT and RETURNING exist in SQLite ≥ 3.35 and PostgreSQL.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from datetime import UTC, datetime

COMPLETE = (
    "UPDATE queued_jobs SET status = 'completed', result = :result, lease_owner = NULL, "
    "lease_expires_at = NULL, completed_at = :at, updated_at = :at, last_error = NULL, "
    "error_class = NULL WHERE id = :job_id AND status = 'processing' AND lease_owner = :owner"
)
CANCEL = (
    "UPDATE queued_jobs SET status = 'cancelled', last_error = :reason, error_class = :error_class, "
    "lease_owner = NULL, lease_expires_at = NULL, updated_at = :at "
    "WHERE id = :job_id AND status = 'processing' AND lease_owner = :owner"
)
# Counts the attempt of a job of a `claim(start=False)` batch as its work begins (once per
# lease), by `:start_id` so it can ride along in the previous job's acknowledgement.
START = (
    "UPDATE queued_jobs SET attempts = attempts + 1, started_at = :at, updated_at = :at "
    "WHERE id = :start_id AND status = 'processing' AND lease_owner = :owner "
    "AND started_at IS NULL"
)
ENQUEUE = (
    "INSERT INTO queued_jobs (org_id, kind, payload, idempotency_key, status, attempts, "
    "max_attempts, run_at, test_mode, created_at, updated_at) VALUES (:org_id, :kind, :payload, "
    ":key, 'pending', 0, :max_attempts, :run_at, :test_mode, :at, :at) "
    "ON CONFLICT (idempotency_key) DO NOTHING RETURNING id"
)


def pyformat(sql: str) -> str:
    """`:name` parameters as psycopg's `%(name)s`."""
    return re.sub(r"(?<!:):(\w+)", r"%(\1)s", sql)


def one_statement(parts: Sequence[tuple[str, str]], last: str) -> str:
    """PostgreSQL: `parts` ((name, statement) pairs) as data-modifying CTEs before `last`,
    in psycopg's parameter style. All of it is one atomic statement: one round trip.

    A later part may read an earlier one's RETURNING rows by its name (`FROM queued`)."""
    ctes = ", ".join(f"{name} AS ({sql})" for name, sql in parts)
    return pyformat(f"WITH {ctes} {last}")


def _sqlite_time(value: datetime) -> str:
    value = value.astimezone(UTC)
    return f"{value:%Y-%m-%d %H:%M:%S}.{value.microsecond:06d}"


def _as_is(value: datetime) -> datetime:
    return value


def stamp(dialect: str) -> Callable[[datetime], object]:
    """How a UTC time goes into raw SQL: `timestamptz` takes the datetime (PostgreSQL); on
    SQLite, the naive "YYYY-MM-DD HH:MM:SS.ffffff" text the models' UTCDateTime stores."""
    return _as_is if dialect == "postgresql" else _sqlite_time
