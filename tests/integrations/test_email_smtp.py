"""Email over real SMTP (aiosmtpd on 127.0.0.1) through the delivery door and the adapter
(`integrations.email`), for batches and for single messages (reports, alerts) alike."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.conftest import START
from tests.fakes import smtp_server
from tests.fakes.smtp_server import use_smtp
from webapp.core.config import ConfigError, delivery_config
from webapp.core.extensions import db
from webapp.integrations.delivery import OutgoingMessage
from webapp.integrations.email import EmailMessageSpec, SmtpConnection, SmtpSettings, message_id_for
from webapp.integrations.resilience import CircuitOpen, ErrorClass, IntegrationError
from webapp.models import CircuitBreaker, OutboxMessage
from webapp.services.connections.channels import open_channel, provider_for, send_email

pytestmark = pytest.mark.filterwarnings(
    "ignore:Session.login_data is deprecated:DeprecationWarning"
)

UNSUBSCRIBE = {
    "List-Unsubscribe": "<https://autopilot.example/u/abc123>",
    "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
}

smtp_sink = smtp_server.smtp_sink  # the fixture


def email(to: str = "dana@example.com", n: int = 1, **over) -> OutgoingMessage:
    fields = {
        "channel": "email",
        "to": to,
        "subject": f"Welcome, Dana ({n})",
        "text": f"Hello Dana, message {n}.",
        "html": f"<p>Hello <b>Dana</b>, message {n}.</p>",
        "headers": dict(UNSUBSCRIBE),
        "message_id": message_id_for(100 + n, START, "autopilot.example"),
        "org_id": 1,
    }
    fields.update(over)
    return OutgoingMessage(**fields)


def send_batch(clock, messages: list[OutgoingMessage], org_id: int = 1) -> list:
    with open_channel(org_id, "email", engine=db.engine, clock=clock) as channel:
        return [channel.send(m) for m in messages]


def failure_of(clock, message: OutgoingMessage) -> IntegrationError:
    with (
        pytest.raises(IntegrationError) as caught,
        open_channel(1, "email", engine=db.engine, clock=clock) as channel,
    ):
        channel.send(message)
    return caught.value


def breaker_row(org_id: int = 1, provider: str = "smtp") -> CircuitBreaker | None:
    db.session.rollback()  # a fresh snapshot: the breaker writes on connections of its own
    return db.session.scalars(
        select(CircuitBreaker).where(
            CircuitBreaker.org_id == org_id, CircuitBreaker.provider == provider
        )
    ).first()


def test_it_sends_text_and_html_with_the_jobs_message_id_and_unsubscribe_headers(
    app, clock, smtp_sink
):
    use_smtp(app, smtp_sink)
    assert provider_for("email") == "smtp"

    [receipt] = send_batch(clock, [email()])

    assert smtp_sink.wait_for(1)
    received = smtp_sink.messages[0]
    msg = received.message
    assert receipt.provider == "smtp"
    assert (
        receipt.message_id == msg["Message-ID"] == message_id_for(101, START, "autopilot.example")
    )
    assert received.rcpt_tos == ["dana@example.com"]
    assert received.mail_from == "hello@alicebakes.example"
    assert msg["From"] == "Alice Bakes <hello@alicebakes.example>"
    assert msg["List-Unsubscribe"] == UNSUBSCRIBE["List-Unsubscribe"]
    assert msg["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert msg.get_content_type() == "multipart/alternative"
    parts = {part.get_content_type(): part.get_content() for part in msg.iter_parts()}
    assert parts["text/plain"].strip() == "Hello Dana, message 1."
    assert parts["text/html"].strip() == "<p>Hello <b>Dana</b>, message 1.</p>"


def test_it_reuses_one_connection_for_a_whole_batch(app, clock, smtp_sink):
    use_smtp(app, smtp_sink)

    receipts = send_batch(clock, [email(f"contact{n}@example.com", n) for n in range(25)])

    assert smtp_sink.wait_for(25)
    assert smtp_sink.connections == 1
    assert [r.message_id for r in receipts] == smtp_sink.message_ids()
    assert len(set(smtp_sink.message_ids())) == 25


def test_it_reconnects_once_when_the_server_dropped_an_idle_connection(app, clock, smtp_sink):
    settings = SmtpSettings(
        host="127.0.0.1", port=smtp_sink.port, starttls=False, timeout=5, helo="localhost"
    )
    with SmtpConnection(settings) as connection:
        connection.send(EmailMessageSpec(to="a@example.com", subject="one", text="1"))
        smtp_sink.drop_connections()
        connection.send(EmailMessageSpec(to="b@example.com", subject="two", text="2"))
        assert connection.connections_opened == 2

    assert smtp_sink.wait_for(2)
    assert [m.rcpt_tos for m in smtp_sink.messages] == [["a@example.com"], ["b@example.com"]]


def test_it_fails_an_invalid_address_at_once_without_any_network(
    app, clock, smtp_sink, monkeypatch
):
    use_smtp(app, smtp_sink)
    monkeypatch.setattr(
        "smtplib.SMTP.connect", lambda *a, **k: pytest.fail("no connection for a bad address")
    )

    error = failure_of(clock, email(to="dana@@example"))

    assert error.error_class == ErrorClass.INVALID_RECIPIENT
    assert not error.retryable
    assert smtp_sink.connections == 0
    row = breaker_row()
    assert row is None or row.consecutive_failures == 0


@pytest.mark.parametrize(
    ("arrange", "expected"),
    [
        (lambda sink: sink.refuse(), ErrorClass.INTEGRATION_OFFLINE),
        (
            lambda sink: setattr(sink, "answer_mail", "421 4.7.0 Too many messages, slow down"),
            ErrorClass.RATE_LIMITED,
        ),
        (
            lambda sink: setattr(sink, "answer_mail", "451 4.3.0 Local error, try later"),
            ErrorClass.TRANSIENT_NETWORK,
        ),
        (
            lambda sink: setattr(sink, "answer_mail", "554 5.7.1 Relay access denied"),
            ErrorClass.CONFIGURATION_ERROR,
        ),
        (lambda sink: sink.reject_recipients.add("dana@example.com"), ErrorClass.INVALID_RECIPIENT),
        (lambda sink: setattr(sink, "data_delay", 3.0), ErrorClass.TRANSIENT_NETWORK),
    ],
    ids=["refused", "421", "451", "554", "550-recipient", "timeout"],
)
def test_it_maps_smtp_failures_to_error_classes(app, clock, smtp_sink, arrange, expected):
    use_smtp(app, smtp_sink, SMTP_TIMEOUT_SECONDS=1)
    arrange(smtp_sink)

    error = failure_of(clock, email())

    assert error.error_class == expected
    assert error.retryable == (
        expected
        in {ErrorClass.TRANSIENT_NETWORK, ErrorClass.RATE_LIMITED, ErrorClass.INTEGRATION_OFFLINE}
    )


def test_it_maps_a_refused_login_to_auth_failed(app, clock, smtp_sink):
    smtp_sink.require_auth("alice", "right-password")
    use_smtp(
        app,
        smtp_sink,
        SMTP_USERNAME="alice",
        SMTP_PASSWORD="wrong-password",
        SMTP_ALLOW_PLAIN_LOGIN=True,  # the sink on loopback has no TLS
    )

    error = failure_of(clock, email())

    assert error.error_class == ErrorClass.THIRD_PARTY_AUTH_FAILED
    assert error.provider_code == "535"

    app.config["SMTP_PASSWORD"] = "right-password"
    send_batch(clock, [email()])
    assert smtp_sink.wait_for(1)


def test_a_refused_recipient_leaves_the_batch_connection_usable(app, clock, smtp_sink):
    use_smtp(app, smtp_sink)
    smtp_sink.reject_recipients.add("gone@example.com")

    with open_channel(1, "email", engine=db.engine, clock=clock) as channel:
        channel.send(email("first@example.com", 1))
        with pytest.raises(IntegrationError) as caught:
            channel.send(email("gone@example.com", 2))
        channel.send(email("third@example.com", 3))

    assert caught.value.error_class == ErrorClass.INVALID_RECIPIENT
    assert smtp_sink.wait_for(2)
    assert smtp_sink.connections == 1


def test_the_breaker_opens_while_the_server_is_down_and_closes_when_it_is_back(
    app, clock, smtp_sink
):
    use_smtp(app, smtp_sink)
    smtp_sink.refuse()

    for n in range(5):
        assert failure_of(clock, email(n=n)).error_class == ErrorClass.INTEGRATION_OFFLINE
    assert breaker_row().state == "open"

    smtp_sink.resume()
    refused = failure_of(clock, email(n=6))
    assert isinstance(refused, CircuitOpen)
    assert smtp_sink.connections == 0  # refused without trying

    clock.advance(seconds=61)
    send_batch(clock, [email(n=7), email(n=8)])
    assert smtp_sink.wait_for(2)
    row = breaker_row()
    assert (row.state, row.consecutive_failures) == ("closed", 0)
    assert row.last_success_at == clock()


def test_without_smtp_the_outbox_is_delivery(app, clock):
    assert provider_for("email") == "outbox"

    [receipt] = send_batch(clock, [email()], org_id=None)

    row = db.session.get(OutboxMessage, int(receipt.provider_message_id))
    assert receipt.provider == "outbox"
    assert (row.channel, row.to, row.message_id) == (
        "email",
        "dana@example.com",
        message_id_for(101, START, "autopilot.example"),
    )
    assert row.headers == UNSUBSCRIBE
    assert row.body_html.startswith("<p>Hello")
    assert row.test_mode is False


def test_test_mode_is_recorded_in_the_outbox_and_never_sent(app, clock, smtp_sink):
    use_smtp(app, smtp_sink)

    [receipt] = send_batch(clock, [email(test_mode=True, org_id=None)], org_id=None)

    assert receipt.provider == "outbox"
    assert db.session.get(OutboxMessage, int(receipt.provider_message_id)).test_mode is True
    assert smtp_sink.messages == [] and smtp_sink.connections == 0


def test_send_email_goes_over_smtp_when_it_is_configured(app, clock, smtp_sink):
    use_smtp(app, smtp_sink)

    row = send_email(
        db.session,
        None,
        EmailMessageSpec(to="owner@example.com", subject="Report", text="Numbers"),
        purpose="weekly_report",
        now=clock(),
    )

    assert row is None
    assert smtp_sink.wait_for(1)
    assert smtp_sink.messages[0].message["Subject"] == "Report"
    assert db.session.scalars(select(OutboxMessage)).all() == []


def test_a_subject_with_a_line_break_cannot_inject_headers(app, clock, smtp_sink):
    use_smtp(app, smtp_sink)

    send_batch(clock, [email(subject="Hi\r\nBcc: victim@example.com")])

    assert smtp_sink.wait_for(1)
    msg = smtp_sink.messages[0].message
    assert msg["Bcc"] is None
    assert msg["Subject"] == "Hi Bcc: victim@example.com"


def test_non_ascii_names_subjects_and_bodies_arrive_intact(app, clock, smtp_sink):
    use_smtp(app, smtp_sink)
    app.config["SMTP_FROM"] = "Café Zoë <hello@alicebakes.example>"

    send_batch(
        clock,
        [
            email(
                subject="Crème brûlée for you, Zoë 🍰",
                text="Bonjour Zoë,\nà bientôt — 10 % off.",
                html="<p>Bonjour Zoë, à bientôt</p>",
            )
        ],
    )

    assert smtp_sink.wait_for(1)
    raw = smtp_sink.messages[0].content
    assert raw.isascii()  # 7-bit clean on the wire: encoded words and quoted-printable
    msg = smtp_sink.messages[0].message
    assert msg["Subject"] == "Crème brûlée for you, Zoë 🍰"
    assert msg["From"].addresses[0].display_name == "Café Zoë"
    plain = (
        msg.get_body(("plain",)).get_content().replace("\r\n", "\n")
    )  # CRLF is the wire's line end
    assert plain.rstrip("\n") == "Bonjour Zoë,\nà bientôt — 10 % off."
    assert msg.get_body(("html",)).get_content().strip() == "<p>Bonjour Zoë, à bientôt</p>"


def test_message_ids_are_the_same_for_a_jobs_attempts_and_new_for_a_reused_row_id(app):
    first = message_id_for(123, START, "autopilot.local")
    assert first == message_id_for(123, START, "autopilot.local")  # a re-send is recognisable
    assert first.endswith("@autopilot.local>") and "123" not in first
    # SQLite hands a purged job's id to a later job: that one's mail must not repeat the id.
    assert message_id_for(123, START.replace(day=25), "autopilot.local") != first


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({}, (587, True, False)),
        ({"SMTP_PORT": "465"}, (465, False, True)),
        ({"SMTP_PORT": "25"}, (25, False, False)),
        ({"SMTP_PORT": "587", "SMTP_STARTTLS": "off"}, (587, False, False)),
    ],
)
def test_smtp_tls_defaults_follow_the_port(monkeypatch, env, expected):
    for name in ("SMTP_PORT", "SMTP_STARTTLS", "SMTP_SSL"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    config = delivery_config()
    assert (config["SMTP_PORT"], config["SMTP_STARTTLS"], config["SMTP_SSL"]) == expected


def test_smtp_ssl_and_starttls_together_is_a_config_error(monkeypatch, tmp_path):
    monkeypatch.setenv("SMTP_SSL", "on")
    monkeypatch.setenv("SMTP_STARTTLS", "on")
    with pytest.raises(ConfigError):
        delivery_config()


def test_the_smtp_password_can_come_from_a_file(monkeypatch, tmp_path):
    secret = tmp_path / "smtp_password"
    secret.write_text("s3cret\n")
    monkeypatch.setenv("SMTP_PASSWORD_FILE", str(secret))
    assert delivery_config()["SMTP_PASSWORD"] == "s3cret"


@pytest.mark.parametrize(
    "tls",
    [{"SMTP_SSL": True}, {"SMTP_STARTTLS": True}],
    ids=["ssl-to-a-plain-server", "starttls-not-offered"],
)
def test_a_tls_setting_the_server_does_not_speak_is_a_configuration_error(
    app, clock, smtp_sink, tls
):
    use_smtp(app, smtp_sink, **tls)

    error = failure_of(clock, email())

    assert error.error_class == ErrorClass.CONFIGURATION_ERROR
    assert "SMTP" in str(error)
    assert smtp_sink.messages == []
