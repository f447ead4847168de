"""The resilience layer every adapter call goes through (DESIGN invariant 6).

- One error type, `IntegrationError`, carrying an `ErrorClass`; adapters map provider
  errors (SMTP codes, Twilio and OpenAI statuses) to it inside the adapter.
- A retry policy per class: only transient trouble is retried, with backoff and jitter
  (the job queue applies it: `webapp.queue.fail(..., error_class=...)`).
- A circuit breaker per (workspace, provider) whose state lives in the database, so every
  process shares it: 5 consecutive failures open it; after 60 s one caller gets a trial.
- Token buckets for "N per minute" pacing per provider and per workspace.

State changes use short transactions of their own (never the caller's), so no lock is held
across the network call they surround; the one exception is a caller's SQLite connection
that already holds the write lock (see `Breaker`).
"""

from __future__ import annotations

import enum
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TypeVar

from sqlalchemy import ColumnElement, select, update
from sqlalchemy.engine import Connection, Engine

from webapp.core.db import dialect_insert, write_engine
from webapp.models.integration import CircuitBreaker, TokenBucket

T = TypeVar("T")

FAILURE_THRESHOLD = 5
OPEN_SECONDS = 60
# A hold (see `Breaker.hold`) waits 5 minutes, doubling with each refused trial, up to an hour:
# retrying a refused sign-in every minute gets a relay's address banned (fail2ban and co).
HOLD_SECONDS = 300
HOLD_MAX_SECONDS = 3600


class ErrorClass(enum.StrEnum):
    TRANSIENT_NETWORK = "TRANSIENT_NETWORK"
    RATE_LIMITED = "RATE_LIMITED"
    INTEGRATION_OFFLINE = "INTEGRATION_OFFLINE"
    THIRD_PARTY_AUTH_FAILED = "THIRD_PARTY_AUTH_FAILED"
    CONFIGURATION_ERROR = "CONFIGURATION_ERROR"
    PROVISIONING_ERROR = "PROVISIONING_ERROR"
    # The message itself can never be delivered (bad address, number opted out …).
    INVALID_RECIPIENT = "INVALID_RECIPIENT"


# Retry (by the queue, with backoff) only what may succeed later by itself.
RETRYABLE = frozenset(
    {ErrorClass.TRANSIENT_NETWORK, ErrorClass.RATE_LIMITED, ErrorClass.INTEGRATION_OFFLINE}
)
# Failures that say the provider (not this one message) is in trouble: they trip the breaker.
TRIPS_BREAKER = frozenset(
    {
        ErrorClass.TRANSIENT_NETWORK,
        ErrorClass.RATE_LIMITED,
        ErrorClass.INTEGRATION_OFFLINE,
        ErrorClass.THIRD_PARTY_AUTH_FAILED,
    }
)

FIXES = {
    ErrorClass.TRANSIENT_NETWORK: "Usually clears by itself; messages are retried automatically.",
    ErrorClass.RATE_LIMITED: "The provider asked us to slow down; sending resumes automatically. Lower the per-minute rate if it keeps happening.",
    ErrorClass.INTEGRATION_OFFLINE: "The provider is unreachable; sending resumes when it is back.",
    ErrorClass.THIRD_PARTY_AUTH_FAILED: "The provider refused the credentials: check them in Settings → Integrations.",
    ErrorClass.CONFIGURATION_ERROR: "A setting is missing or wrong: check Settings → Integrations.",
    ErrorClass.PROVISIONING_ERROR: "Setting up the integration failed: re-run setup from Settings.",
    ErrorClass.INVALID_RECIPIENT: "Fix the contact's address or number.",
}


class IntegrationError(Exception):
    """A failed call to an outside system, classified."""

    def __init__(
        self,
        message: str,
        error_class: ErrorClass,
        *,
        retry_after: float | None = None,
        provider_code: str | None = None,
    ) -> None:
        super().__init__(message)
        self.error_class = ErrorClass(error_class)
        self.retry_after = retry_after
        self.provider_code = provider_code

    @property
    def retryable(self) -> bool:
        return self.error_class in RETRYABLE


class CircuitOpen(IntegrationError):
    """Nothing was sent: the breaker is open, or `held` (the provider refused *us*: a sign-in,
    TLS or relay refusal) with `reason` saying why."""

    def __init__(self, provider: str, retry_at: datetime, *, held: str | None = None) -> None:
        why = f"held ({held})" if held else "paused after repeated failures"
        super().__init__(
            f"{provider} is {why}; next try at {retry_at:%H:%M:%S} UTC.",
            ErrorClass.INTEGRATION_OFFLINE,
        )
        self.retry_at = retry_at
        self.held = held


class ProbeFailed(Exception):
    """A connection test failed at `step`; `done` is what had worked before it."""

    def __init__(self, step: str, done: list[str], error: IntegrationError) -> None:
        super().__init__(str(error))
        self.step, self.done, self.error = step, done, error


def classify_exception(exc: BaseException) -> IntegrationError:
    """A generic mapping for exceptions an adapter did not map itself."""
    if isinstance(exc, IntegrationError):
        return exc
    if isinstance(exc, TimeoutError | ConnectionError | OSError):
        return IntegrationError(f"network error: {exc}", ErrorClass.TRANSIENT_NETWORK)
    return IntegrationError(f"{type(exc).__name__}: {exc}", ErrorClass.CONFIGURATION_ERROR)


@dataclass
class Breaker:
    """The circuit breaker of one (workspace, provider), backed by its row.

    With an Engine, each state change is a short write transaction of its own. With a
    Connection (a caller's SQLite connection that already holds the one write lock, where a
    transaction of its own would wait for the caller), each is a SAVEPOINT on it instead.
    """

    engine: Engine | Connection
    org_id: int
    provider: str
    threshold: int = FAILURE_THRESHOLD
    open_seconds: int = OPEN_SECONDS

    def _ensure(self, conn: Connection, now: datetime) -> None:
        conn.execute(
            dialect_insert(self.engine)(CircuitBreaker)
            .values(
                org_id=self.org_id,
                provider=self.provider,
                state="closed",
                consecutive_failures=0,
                updated_at=now,
            )
            .on_conflict_do_nothing(index_elements=["org_id", "provider"])
        )

    @contextmanager
    def _begin(self) -> Iterator[Connection]:
        if isinstance(self.engine, Connection):
            with self.engine.begin_nested():
                yield self.engine
        else:
            with write_engine(self.engine).begin() as conn:
                yield conn

    def _where(self) -> ColumnElement[bool]:
        return (CircuitBreaker.org_id == self.org_id) & (CircuitBreaker.provider == self.provider)

    def before_call(self, now: datetime) -> str | None:
        """Raise CircuitOpen while open. Returns a trial token when this call is the half-open trial."""
        with self._begin() as conn:
            self._ensure(conn, now)
            row = conn.execute(
                select(
                    CircuitBreaker.state, CircuitBreaker.retry_at, CircuitBreaker.last_error
                ).where(self._where())
            ).one()
            if row.state == "closed":
                return None
            if row.retry_at is not None and now < row.retry_at:
                held = row.last_error if row.state == "held" else None
                raise CircuitOpen(self.provider, row.retry_at, held=held)
            # Open (or a half-open trial that never reported back) and due: one caller wins the trial.
            token = uuid.uuid4().hex
            won = conn.execute(
                update(CircuitBreaker)
                .where(
                    self._where(),
                    CircuitBreaker.state.in_(("open", "half_open", "held")),
                    CircuitBreaker.retry_at <= now,
                )
                .values(
                    state="half_open",
                    trial_owner=token,
                    retry_at=now + timedelta(seconds=self.open_seconds),
                    updated_at=now,
                )
            ).rowcount
            if not won:
                raise CircuitOpen(self.provider, row.retry_at or now)
            return token

    def record_success(self, now: datetime, duration_ms: int) -> None:
        with self._begin() as conn:
            self._ensure(conn, now)
            conn.execute(
                update(CircuitBreaker)
                .where(self._where())
                .values(
                    state="closed",
                    consecutive_failures=0,
                    opened_at=None,
                    retry_at=None,
                    trial_owner=None,
                    last_success_at=now,
                    last_duration_ms=duration_ms,
                    updated_at=now,
                )
            )

    def record_failure(self, now: datetime, error: IntegrationError, duration_ms: int) -> str:
        """Count a failure; returns the breaker state afterwards."""
        trips = error.error_class in TRIPS_BREAKER
        with self._begin() as conn:
            self._ensure(conn, now)
            query = select(CircuitBreaker).where(self._where())
            if self.engine.dialect.name == "postgresql":
                query = query.with_for_update()
            row = conn.execute(query).one()
            failures = row.consecutive_failures + 1 if trips else row.consecutive_failures
            values: dict = {
                "consecutive_failures": failures,
                "last_failure_at": now,
                "last_error_class": str(error.error_class),
                "last_error": str(error)[:1000],
                "last_duration_ms": duration_ms,
                "updated_at": now,
            }
            state = row.state
            if trips and (row.state == "half_open" or failures >= self.threshold):
                state = "open"
                values.update(
                    state="open",
                    opened_at=now,
                    retry_at=now + timedelta(seconds=self.open_seconds),
                    trial_owner=None,
                )
            conn.execute(update(CircuitBreaker).where(self._where()).values(**values))
            return state

    def hold(self, now: datetime, error: IntegrationError, reason: str) -> datetime:
        """Hold every call until a backoff has passed: the provider refused us (our sign-in,
        TLS, relaying), not one message, so retrying each message would fail them all.
        `reason` is shown on the health page. Returns when the next trial may run."""
        with self._begin() as conn:
            self._ensure(conn, now)
            query = select(CircuitBreaker.consecutive_failures).where(self._where())
            if self.engine.dialect.name == "postgresql":
                query = query.with_for_update()
            row = conn.execute(query).one()
            # `record_failure` counted the failures that trip the breaker; count the rest.
            failures = row.consecutive_failures + (error.error_class not in TRIPS_BREAKER)
            failures = max(failures, 1)
            seconds = min(HOLD_SECONDS * 2 ** min(failures - 1, 8), HOLD_MAX_SECONDS)
            until = now + timedelta(seconds=seconds)
            conn.execute(
                update(CircuitBreaker)
                .where(self._where())
                .values(
                    state="held",
                    consecutive_failures=failures,
                    opened_at=now,
                    retry_at=until,
                    trial_owner=None,
                    last_failure_at=now,
                    last_error_class=str(error.error_class),
                    last_error=reason[:1000],
                    updated_at=now,
                )
            )
            return until

    def reset(self, now: datetime) -> None:
        """Close the breaker at once (the settings changed): the next call goes through."""
        with self._begin() as conn:
            self._ensure(conn, now)
            conn.execute(
                update(CircuitBreaker)
                .where(self._where(), CircuitBreaker.state != "closed")
                .values(
                    state="closed",
                    consecutive_failures=0,
                    opened_at=None,
                    retry_at=None,
                    trial_owner=None,
                    updated_at=now,
                )
            )

    def call(self, fn: Callable[[], T], *, clock: Callable[[], datetime]) -> T:
        """Run `fn` under the breaker: refuse while open, record the outcome, re-raise classified."""
        self.before_call(clock())
        started = time.monotonic()
        try:
            result = fn()
        except Exception as exc:
            error = classify_exception(exc)
            self.record_failure(clock(), error, int((time.monotonic() - started) * 1000))
            if error is exc:
                raise
            raise error from exc
        self.record_success(clock(), int((time.monotonic() - started) * 1000))
        return result


def take_tokens(
    engine: Engine,
    key: str,
    wanted: int,
    *,
    per_minute: float,
    now: datetime,
    burst: float | None = None,
) -> int:
    """Take up to `wanted` tokens from the bucket `key` refilled at `per_minute`.

    Returns how many were granted (0 when empty): callers send that many now and leave the
    rest for the next tick. One short write transaction per batch, not per message.
    """
    capacity = burst if burst is not None else max(per_minute, 1.0)
    with write_engine(engine).begin() as conn:
        conn.execute(
            dialect_insert(engine)(TokenBucket)
            .values(key=key, tokens=capacity, updated_at=now)
            .on_conflict_do_nothing(index_elements=["key"])
        )
        query = select(TokenBucket.tokens, TokenBucket.updated_at).where(TokenBucket.key == key)
        if engine.dialect.name == "postgresql":
            query = query.with_for_update()
        row = conn.execute(query).one()
        elapsed = max((now - row.updated_at).total_seconds(), 0.0)
        tokens = min(capacity, row.tokens + elapsed * per_minute / 60.0)
        granted = int(min(wanted, tokens))
        conn.execute(
            update(TokenBucket)
            .where(TokenBucket.key == key)
            .values(tokens=tokens - granted, updated_at=now)
        )
        return granted


def backlog_eta(pending: int, per_minute: float) -> timedelta | None:
    """How long a backlog takes at the paced rate (None when unpaced)."""
    if per_minute <= 0:
        return None
    return timedelta(minutes=pending / per_minute)
