"""The sign-in lockout on the one rate limiter: per account (the email typed), and a slower,
more generous limit per client address, which is the proxy's only when TRUSTED_PROXIES says
how many proxies to look through."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.conftest import PASSWORD, START, csrf_token
from webapp.core.extensions import db
from webapp.services.accounts import people

LOCKOUT = timedelta(minutes=15)
ADDRESS_WINDOW = timedelta(hours=1)


def _try(email: str, password: str, ip: str, at: timedelta):
    return people.authenticate(
        db.session,
        email,
        password,
        ip=ip,
        now=START + at,
        max_failures=3,
        lockout=LOCKOUT,
        address_failures=10,
        address_window=ADDRESS_WINDOW,
    )


def _fail(email: str, ip: str, at: timedelta) -> None:
    with pytest.raises(people.BadCredentials):
        _try(email, "wrong", ip, at)


def test_it_never_locks_an_account_out_for_guesses_at_other_emails(app, alice):
    # Behind a proxy every client has the same address: made-up emails from it must not
    # lock alice (before: 3 failures from the address locked every account).
    for n in range(9):
        _fail(f"made-up-{n}@example.com", "127.0.0.1", timedelta(minutes=n))
    assert _try(alice.email, PASSWORD, "127.0.0.1", timedelta(minutes=9)).id == alice.id


def test_it_locks_an_account_from_every_address(app, alice):
    for n in range(3):
        _fail(alice.email, f"10.0.0.{n}", timedelta(minutes=n))
    with pytest.raises(people.TooManyAttempts) as locked:
        _try(alice.email, PASSWORD, "10.0.0.9", timedelta(minutes=3))
    assert locked.value.retry_after == timedelta(minutes=12)  # when the first one expires
    assert "Try again in 12 minutes." in str(locked.value)
    assert _try(alice.email, PASSWORD, "10.0.0.9", timedelta(minutes=15, seconds=1)).id == alice.id


def test_it_limits_an_address_more_generously_and_for_longer(app, alice):
    for n in range(10):
        _fail(f"guess-{n}@example.com", "10.0.0.1", timedelta(minutes=n))
    with pytest.raises(people.TooManyAttempts) as locked:
        _try(alice.email, PASSWORD, "10.0.0.1", timedelta(minutes=30))
    assert locked.value.retry_after == timedelta(minutes=30)  # the first leaves the hour
    assert _try(alice.email, PASSWORD, "10.0.0.2", timedelta(minutes=30)).id == alice.id


def test_signing_in_clears_the_accounts_failures_from_the_address_too(app, alice):
    for n in range(2):
        _fail(alice.email, "10.0.0.1", timedelta(minutes=n))
    assert _try(alice.email, PASSWORD, "10.0.0.1", timedelta(minutes=2)).id == alice.id
    for n in range(3, 11):  # eight more from the address: with alice's two that would be ten
        _fail(f"x{n}@y.com", "10.0.0.1", timedelta(minutes=n))
    assert _try(alice.email, PASSWORD, "10.0.0.1", timedelta(minutes=11)).id == alice.id
    for n in range(12, 14):
        _fail(f"x{n}@y.com", "10.0.0.1", timedelta(minutes=n))
    with pytest.raises(people.TooManyAttempts):
        _try(alice.email, PASSWORD, "10.0.0.1", timedelta(minutes=14))


def _post_login(client, email: str, password: str, forwarded_for: str):
    return client.post(
        "/login",
        data={"email": email, "password": password, "csrf_token": csrf_token(client, "/login")},
        headers={"X-Forwarded-For": forwarded_for},
    )


@pytest.fixture
def app_config(app_config):
    return {**app_config, "TRUSTED_PROXIES": 1, "LOGIN_ADDRESS_MAX_FAILURES": 3}


def test_behind_a_trusted_proxy_each_client_has_its_own_address(app, client, alice):
    for n in range(3):
        assert _post_login(client, f"g{n}@example.com", "x", "203.0.113.7").status_code == 401
    assert _post_login(client, alice.email, PASSWORD, "203.0.113.7").status_code == 429
    # Another client behind the same proxy is not affected.
    assert _post_login(client, alice.email, PASSWORD, "203.0.113.8").status_code == 302
