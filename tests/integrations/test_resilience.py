"""The resilience layer: the shared circuit breaker, token buckets, error classification."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from webapp.core.extensions import db
from webapp.integrations.resilience import (
    FIXES,
    RETRYABLE,
    Breaker,
    CircuitOpen,
    ErrorClass,
    IntegrationError,
    backlog_eta,
    classify_exception,
    take_tokens,
)
from webapp.models import CircuitBreaker

ROOT = Path(__file__).resolve().parents[2]


class Provider:
    """A provider call that fails (with `error`) or succeeds, and counts its calls."""

    def __init__(self) -> None:
        self.calls = 0
        self.error: IntegrationError | None = None

    def __call__(self) -> str:
        self.calls += 1
        if self.error is not None:
            raise self.error
        return "ok"


def offline() -> IntegrationError:
    return IntegrationError("connection refused", ErrorClass.INTEGRATION_OFFLINE)


def row(org_id: int = 7, provider: str = "smtp") -> CircuitBreaker:
    db.session.rollback()  # a fresh snapshot: the breaker writes on connections of its own
    return db.session.scalars(
        select(CircuitBreaker).where(
            CircuitBreaker.org_id == org_id, CircuitBreaker.provider == provider
        )
    ).one()


def fail(breaker: Breaker, provider: Provider, clock, times: int = 1) -> None:
    for _ in range(times):
        with pytest.raises(IntegrationError):
            breaker.call(provider, clock=clock)


@pytest.fixture
def breaker(app) -> Breaker:
    return Breaker(db.engine, 7, "smtp")


def test_it_opens_after_five_consecutive_failures(breaker, clock):
    provider = Provider()
    provider.error = offline()

    fail(breaker, provider, clock, times=4)
    assert (row().state, row().consecutive_failures) == ("closed", 4)

    fail(breaker, provider, clock)
    state = row()
    assert state.state == "open"
    assert state.retry_at == clock() + timedelta(seconds=60)
    assert state.last_error_class == "INTEGRATION_OFFLINE"


def test_a_success_resets_the_count(breaker, clock):
    provider = Provider()
    provider.error = offline()
    fail(breaker, provider, clock, times=4)
    provider.error = None
    assert breaker.call(provider, clock=clock) == "ok"
    provider.error = offline()
    fail(breaker, provider, clock, times=4)

    assert (row().state, row().consecutive_failures) == ("closed", 4)


def test_while_open_it_refuses_without_calling_the_provider(breaker, clock):
    provider = Provider()
    provider.error = offline()
    fail(breaker, provider, clock, times=5)

    clock.advance(seconds=59)
    with pytest.raises(CircuitOpen) as refused:
        breaker.call(provider, clock=clock)

    assert provider.calls == 5
    assert refused.value.error_class == ErrorClass.INTEGRATION_OFFLINE
    assert refused.value.retryable


def test_after_60_seconds_one_trial_and_a_success_closes_it(breaker, clock):
    provider = Provider()
    provider.error = offline()
    fail(breaker, provider, clock, times=5)
    clock.advance(seconds=60)

    other = Breaker(db.engine, 7, "smtp")
    seen_during_trial = []

    def trial() -> str:
        # While the trial is out, every other caller is still refused.
        with pytest.raises(CircuitOpen):
            other.call(Provider(), clock=clock)
        seen_during_trial.append(row().state)
        return "ok"

    assert breaker.call(trial, clock=clock) == "ok"

    assert seen_during_trial == ["half_open"]
    assert (row().state, row().consecutive_failures, row().retry_at) == ("closed", 0, None)
    provider.error = None
    assert other.call(provider, clock=clock) == "ok"


def test_a_failed_trial_opens_it_again_for_another_60_seconds(breaker, clock):
    provider = Provider()
    provider.error = offline()
    fail(breaker, provider, clock, times=5)
    clock.advance(seconds=61)

    fail(breaker, provider, clock)  # the trial

    assert row().state == "open"
    assert row().retry_at == clock() + timedelta(seconds=60)
    with pytest.raises(CircuitOpen):
        breaker.call(provider, clock=clock)
    assert provider.calls == 6


def test_invalid_recipients_and_configuration_errors_do_not_trip_it(breaker, clock):
    provider = Provider()
    for error_class in (ErrorClass.INVALID_RECIPIENT, ErrorClass.CONFIGURATION_ERROR):
        provider.error = IntegrationError("no", error_class)
        fail(breaker, provider, clock, times=6)

    state = row()
    assert (state.state, state.consecutive_failures) == ("closed", 0)
    assert state.last_error_class == "CONFIGURATION_ERROR"


def test_auth_failures_trip_it(breaker, clock):
    provider = Provider()
    provider.error = IntegrationError("535", ErrorClass.THIRD_PARTY_AUTH_FAILED)
    fail(breaker, provider, clock, times=5)
    assert row().state == "open"


def test_breakers_are_per_workspace_and_provider(breaker, clock):
    provider = Provider()
    provider.error = offline()
    fail(breaker, provider, clock, times=5)

    provider.error = None
    assert Breaker(db.engine, 8, "smtp").call(provider, clock=clock) == "ok"
    assert Breaker(db.engine, 7, "twilio").call(provider, clock=clock) == "ok"


def test_an_unclassified_exception_is_classified_and_counted(breaker, clock):
    def boom() -> None:
        raise ConnectionResetError("peer reset")

    with pytest.raises(IntegrationError) as caught:
        breaker.call(boom, clock=clock)

    assert caught.value.error_class == ErrorClass.TRANSIENT_NETWORK
    assert isinstance(caught.value.__cause__, ConnectionResetError)
    assert row().consecutive_failures == 1


BREAKER_SCRIPT = textwrap.dedent(
    """
    import sys
    from datetime import datetime
    from sqlalchemy import create_engine
    from webapp.core.db import configure_engine
    from webapp.integrations.resilience import Breaker, CircuitOpen, ErrorClass, IntegrationError

    url, action, at = sys.argv[1], sys.argv[2], datetime.fromisoformat(sys.argv[3])
    engine = create_engine(url)
    configure_engine(engine, 15000)
    breaker = Breaker(engine, 7, "twilio")

    def failing():
        raise IntegrationError("down", ErrorClass.TRANSIENT_NETWORK)

    if action == "break":
        for _ in range(5):
            try:
                breaker.call(failing, clock=lambda: at)
            except IntegrationError:
                pass
        print("broke")
    else:
        try:
            breaker.call(lambda: "sent", clock=lambda: at)
            print("closed")
        except CircuitOpen as exc:
            print("open until", exc.retry_at.isoformat())
    """
)


def run_breaker_process(database_url: str, action: str, at) -> str:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-c", BREAKER_SCRIPT, database_url, action, at.isoformat()],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        cwd=ROOT,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


@pytest.mark.slow
def test_the_breaker_state_is_shared_between_processes(app, clock, database_url):
    assert run_breaker_process(database_url, "break", clock()) == "broke"

    seen = run_breaker_process(database_url, "check", clock() + timedelta(seconds=30))
    assert seen == f"open until {(clock() + timedelta(seconds=60)).isoformat()}"
    with pytest.raises(CircuitOpen):
        Breaker(db.engine, 7, "twilio").call(lambda: "sent", clock=clock)

    assert run_breaker_process(database_url, "check", clock() + timedelta(seconds=61)) == "closed"
    assert Breaker(db.engine, 7, "twilio").call(lambda: "sent", clock=clock) == "sent"


def test_take_tokens_grants_at_most_the_refill(app, clock):
    engine = db.engine
    assert (
        take_tokens(engine, "smtp:email", 100, per_minute=60, now=clock()) == 60
    )  # a full bucket: one minute's worth
    assert take_tokens(engine, "smtp:email", 100, per_minute=60, now=clock()) == 0

    clock.advance(seconds=10)
    assert take_tokens(engine, "smtp:email", 100, per_minute=60, now=clock()) == 10
    clock.advance(seconds=10)
    assert take_tokens(engine, "smtp:email", 4, per_minute=60, now=clock()) == 4
    assert take_tokens(engine, "smtp:email", 100, per_minute=60, now=clock()) == 6

    clock.advance(hours=5)  # never more than the bucket holds
    assert take_tokens(engine, "smtp:email", 1000, per_minute=60, now=clock()) == 60
    assert (
        take_tokens(engine, "smtp:email:org:7", 5, per_minute=60, now=clock()) == 5
    )  # buckets are separate


def test_classification_of_plain_exceptions():
    assert classify_exception(TimeoutError()).error_class == ErrorClass.TRANSIENT_NETWORK
    assert classify_exception(OSError("unreachable")).error_class == ErrorClass.TRANSIENT_NETWORK
    assert classify_exception(ValueError("bad")).error_class == ErrorClass.CONFIGURATION_ERROR
    known = IntegrationError("x", ErrorClass.RATE_LIMITED, retry_after=3)
    assert classify_exception(known) is known


def test_only_transient_classes_are_retried_and_every_class_has_a_fix():
    assert RETRYABLE == {
        ErrorClass.TRANSIENT_NETWORK,
        ErrorClass.RATE_LIMITED,
        ErrorClass.INTEGRATION_OFFLINE,
    }
    assert set(FIXES) == set(ErrorClass)


def test_backlog_eta():
    assert backlog_eta(600, 60) == timedelta(minutes=10)
    assert backlog_eta(10, 0) is None
