"""A relay that refuses *us* (sign-in 535, TLS, "relay access denied") holds the workspace's
email: no contact fails, the messages wait with the reason, the health page says so with the
fix, and sending resumes after the backoff or at once when the settings are saved; no
password is ever sent over a connection that is not encrypted unless the owner allowed it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from tests.conftest import START
from tests.fakes import smtp_server
from tests.messaging.factories import (
    WELCOME,
    enrollments_of,
    job_of,
    make_contact,
    make_sequence,
    sends_of,
)
from webapp.core.extensions import db
from webapp.integrations.email import EmailMessageSpec
from webapp.integrations.resilience import CircuitOpen
from webapp.models import CircuitBreaker
from webapp.services.connections import save_credentials, send_email
from webapp.services.messaging.dispatch import process_due
from webapp.services.ops.workspace_health import workspace_health
from webapp.services.suppression import blocked

pytestmark = pytest.mark.filterwarnings(
    "ignore:Session.login_data is deprecated:DeprecationWarning"
)

smtp_sink = smtp_server.smtp_sink  # the fixture
FIRST = WELCOME[:1]


def relay(org, sink, **over: str) -> None:
    values = {"host": "127.0.0.1", "port": str(sink.port), "starttls": "0", "use_ssl": "0",
              "username": "shop", "password": "wrong", "allow_plain_login": "1",
              "sender": "Alice Bakes <hello@alicebakes.example>"}  # fmt: skip
    save_credentials(db.session, org.id, "smtp", {**values, **over}, actor_id=None, now=START)
    db.session.commit()


def two_contacts(org):
    campaign = make_sequence(org, steps=FIRST)
    make_contact(org, email="dana@example.org", name="Dana")
    make_contact(org, email="eli@example.org", name="Eli")
    db.session.commit()
    return campaign


def breaker(org_id: int) -> CircuitBreaker:
    db.session.rollback()  # a fresh read: the breaker is written on connections of its own
    return db.session.scalar(
        select(CircuitBreaker).where(
            CircuitBreaker.org_id == org_id, CircuitBreaker.provider == "smtp"
        )
    )


def test_a_535_holds_sending_without_failing_a_contact_and_a_save_resumes_it(
    app, alice_org, smtp_sink, clock
):
    smtp_sink.require_auth("shop", "right")  # a wrong password gets 535
    relay(alice_org, smtp_sink)
    campaign = two_contacts(alice_org)

    result = process_due(app, now=START)

    assert (result.sent, result.failed, result.deferred) == (0, 0, 2)
    sends = sends_of(campaign)
    assert len(sends) == 2
    for send in sends:
        assert send.status == "queued" and send.error.startswith("Held: ")
        assert "sign-in" in send.error and "535" in send.error
        job = job_of(send)
        assert (job.status, job.attempts) == ("pending", 0)
        assert job.run_at == START + timedelta(minutes=5) and "Held: " in job.last_error
    assert all(e.status == "active" for e in enrollments_of(campaign))
    for address in ("dana@example.org", "eli@example.org"):
        assert blocked(db.session, alice_org.id, "email", address) is None
    assert breaker(alice_org.id).state == "held"
    [issue] = [i for i in workspace_health(db.session, alice_org.id, now=START).issues
               if i.key == "integration:smtp"]  # fmt: skip
    assert (
        issue.severity == "critical"
        and "held" in issue.title
        and "not your contacts" in issue.title
    )
    assert "sign-in" in issue.detail and "Settings → Integrations" in issue.fix

    # Still held a minute later: nothing is tried (no new connection to the relay).
    clock.set(START + timedelta(minutes=1))
    opened = smtp_sink.connections
    assert process_due(app, now=clock()).sent == 0
    assert smtp_sink.connections == opened

    # The owner fixes the password: the hold ends and the messages go out at once.
    relay(alice_org, smtp_sink, password="right")
    assert breaker(alice_org.id).state == "closed"
    result = process_due(app, now=clock())
    assert (result.sent, result.failed) == (2, 0)
    assert smtp_sink.wait_for(2)
    db.session.rollback()
    assert [s.status for s in sends_of(campaign)] == ["sent", "sent"]


def test_relay_access_denied_holds_and_resumes_by_itself_after_the_backoff(
    app, alice_org, smtp_sink, clock
):
    relay(alice_org, smtp_sink, username="", password="")
    smtp_sink.answer_mail = "554 5.7.1 <hello@alicebakes.example>: Relay access denied"
    two_contacts(alice_org)

    assert process_due(app, now=START).failed == 0
    assert breaker(alice_org.id).retry_at == START + timedelta(minutes=5)
    assert "relay" in breaker(alice_org.id).last_error

    clock.set(START + timedelta(minutes=6))  # the trial is refused again: twice as long
    assert process_due(app, now=clock()).failed == 0
    assert breaker(alice_org.id).retry_at == clock() + timedelta(minutes=10)

    smtp_sink.answer_mail = None  # the relay's owner allowed us
    clock.set(START + timedelta(minutes=17))
    assert process_due(app, now=clock()).sent == 2
    assert breaker(alice_org.id).state == "closed"


def test_no_password_travels_unencrypted_unless_the_owner_allowed_it(
    app, alice_org, smtp_sink, clock
):
    smtp_sink.require_auth("shop", "right")
    relay(alice_org, smtp_sink, password="right", allow_plain_login="0")
    two_contacts(alice_org)

    result = process_due(app, now=START)

    assert (result.sent, result.failed) == (0, 0)
    assert smtp_sink.messages == []  # it would have signed in (and sent) had AUTH been sent
    assert "unencrypted" in breaker(alice_org.id).last_error

    relay(alice_org, smtp_sink, password="right", allow_plain_login="1")
    assert process_due(app, now=clock()).sent == 2


def test_a_failed_starttls_holds_sending(app, alice_org, smtp_sink):
    relay(alice_org, smtp_sink, starttls="1")  # the sink offers no STARTTLS
    two_contacts(alice_org)

    result = process_due(app, now=START)

    assert (result.sent, result.failed) == (0, 0)
    assert breaker(alice_org.id).state == "held"
    assert "TLS" in breaker(alice_org.id).last_error


def test_a_report_or_alert_email_is_held_not_failed(app, alice_org, smtp_sink):
    smtp_sink.require_auth("shop", "right")
    relay(alice_org, smtp_sink)
    spec = EmailMessageSpec(to="alice@alicebakes.example", subject="Weekly report", text="Hi")

    with pytest.raises(CircuitOpen) as held:
        send_email(db.engine, alice_org.id, spec, purpose="weekly_report", now=START)

    assert held.value.held and held.value.retry_at == START + timedelta(minutes=5)
    assert breaker(alice_org.id).state == "held"


def test_a_550_still_suppresses_the_address(app, alice_org, smtp_sink):
    relay(alice_org, smtp_sink, username="", password="")
    two_contacts(alice_org)
    smtp_sink.reject_recipients.add("eli@example.org")

    result = process_due(app, now=START)

    assert (result.sent, result.failed) == (1, 1)
    assert blocked(db.session, alice_org.id, "email", "eli@example.org") == "hard_bounce"
    assert breaker(alice_org.id).state == "closed"


def test_a_passing_connection_test_lifts_the_hold(app, alice_org, smtp_sink, clock):
    from webapp.services.connections import test_connection

    smtp_sink.require_auth("shop", "right")
    relay(alice_org, smtp_sink)
    campaign = two_contacts(alice_org)
    assert process_due(app, now=START).deferred == 2

    smtp_sink.require_auth("shop", "wrong")  # the relay's owner fixed the account instead
    clock.set(START + timedelta(minutes=1))
    org_id = alice_org.id
    db.session.rollback()
    assert test_connection(db.session, org_id, "smtp", now=clock()).ok
    db.session.commit()

    assert breaker(org_id).state == "closed"
    assert [job_of(s).run_at for s in sends_of(campaign)] == [clock(), clock()]
    assert process_due(app, now=clock()).sent == 2
