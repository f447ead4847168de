"""SMS and WhatsApp through the real `twilio` client, talking to a local fake Twilio server."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from tests.fakes import twilio_server
from tests.fakes.twilio_server import FROM_NUMBER, use_twilio
from webapp.core.extensions import db
from webapp.integrations.delivery import OutgoingMessage, rate_per_minute, status_callback_url
from webapp.integrations.resilience import CircuitOpen, ErrorClass, IntegrationError
from webapp.integrations.twilio.messaging import RoutingHttpClient, TwilioSender
from webapp.models import CircuitBreaker, OutboxMessage
from webapp.services.connections.channels import open_channel, provider_for, twilio_settings

DANA = "+14155552671"

fake_twilio = twilio_server.fake_twilio  # the fixture


def sms(to: str = DANA, channel: str = "sms", **over) -> OutgoingMessage:
    fields = {
        "channel": channel,
        "to": to,
        "text": "Hi Dana, your table is ready.",
        "org_id": 1,
        "status_callback": status_callback_url(4242),
    }
    fields.update(over)
    return OutgoingMessage(**fields)


def send(clock, message: OutgoingMessage, org_id: int = 1):
    with open_channel(org_id, message.channel, engine=db.engine, clock=clock) as channel:
        return channel.send(message)


def failure(clock, message: OutgoingMessage) -> IntegrationError:
    with pytest.raises(IntegrationError) as caught:
        send(clock, message)
    return caught.value


def test_it_sends_an_sms_with_the_send_id_in_the_status_callback(app, clock, fake_twilio):
    use_twilio(app, fake_twilio, PUBLIC_URL="https://autopilot.example")
    assert provider_for("sms") == "twilio"

    receipt = send(clock, sms())

    [request] = fake_twilio.posted()
    assert request.path == f"/2010-04-01/Accounts/{fake_twilio.account_sid}/Messages.json"
    assert request.auth == (fake_twilio.account_sid, fake_twilio.auth_token)
    assert request.form["To"] == DANA
    assert request.form["From"] == FROM_NUMBER
    assert request.form["Body"] == "Hi Dana, your table is ready."
    assert request.form["StatusCallback"] == "https://autopilot.example/webhooks/twilio/status/4242"
    assert receipt.provider == "twilio"
    assert receipt.provider_message_id == fake_twilio.messages[0]["sid"]
    assert receipt.provider_message_id.startswith("SM")


def test_it_sends_whatsapp_from_the_whatsapp_sender(app, clock, fake_twilio):
    use_twilio(app, fake_twilio, TWILIO_WHATSAPP_FROM="+14155238886")

    receipt = send(clock, sms("+44 7911 123456", channel="whatsapp"))

    [request] = fake_twilio.posted()
    assert request.form["To"] == "whatsapp:+447911123456"
    assert request.form["From"] == "whatsapp:+14155238886"
    assert receipt.provider_message_id == fake_twilio.messages[0]["sid"]


def test_a_batch_reuses_one_client(app, clock, fake_twilio):
    use_twilio(app, fake_twilio)

    with open_channel(1, "sms", engine=db.engine, clock=clock) as channel:
        sids = [channel.send(sms(text=f"message {n}")).provider_message_id for n in range(5)]

    assert len(set(sids)) == 5
    assert [r.form["Body"] for r in fake_twilio.posted()] == [f"message {n}" for n in range(5)]


def test_an_invalid_number_fails_before_any_request(app, clock, fake_twilio):
    use_twilio(app, fake_twilio)

    for bad in ("12345", "+1 000", "", "not a number"):
        error = failure(clock, sms(bad))
        assert error.error_class == ErrorClass.INVALID_RECIPIENT
        assert not error.retryable

    assert fake_twilio.requests == []
    db.session.rollback()
    assert db.session.scalars(select(CircuitBreaker)).all() == []


@pytest.mark.parametrize(
    ("status", "code", "expected"),
    [
        (429, 20429, ErrorClass.RATE_LIMITED),
        (500, None, ErrorClass.TRANSIENT_NETWORK),
        (503, None, ErrorClass.TRANSIENT_NETWORK),
        (401, 20003, ErrorClass.THIRD_PARTY_AUTH_FAILED),
        (403, None, ErrorClass.THIRD_PARTY_AUTH_FAILED),
        (400, 21211, ErrorClass.INVALID_RECIPIENT),
        (400, 21614, ErrorClass.INVALID_RECIPIENT),
        (400, 21610, ErrorClass.INVALID_RECIPIENT),
        (400, 21606, ErrorClass.CONFIGURATION_ERROR),
    ],
)
def test_it_maps_twilio_errors_to_error_classes(app, clock, fake_twilio, status, code, expected):
    use_twilio(app, fake_twilio)
    fake_twilio.fail_next(status, code=code)

    error = failure(clock, sms())

    assert error.error_class == expected
    assert error.provider_code == str(code or status)


def test_a_429_carries_retry_after(app, clock, fake_twilio):
    use_twilio(app, fake_twilio)
    fake_twilio.fail_next(429, code=20429, retry_after=7)

    error = failure(clock, sms())

    assert error.error_class == ErrorClass.RATE_LIMITED
    assert error.retry_after == 7.0


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (429, ErrorClass.RATE_LIMITED),
        (500, ErrorClass.TRANSIENT_NETWORK),
        (401, ErrorClass.THIRD_PARTY_AUTH_FAILED),
    ],
)
def test_a_failed_list_request_keeps_its_status(app, clock, fake_twilio, status, expected):
    """The client reports a failed list page as a bare TwilioException; it is classified by its status."""
    use_twilio(app, fake_twilio)
    fake_twilio.fail_next(status, code=20429 if status == 429 else None)
    sender = TwilioSender(twilio_settings())
    with pytest.raises(IntegrationError) as caught:
        sender.find_recent(DANA, "Hi", since=clock() - timedelta(minutes=5))
    assert caught.value.error_class == expected


def test_a_wrong_auth_token_is_auth_failed(app, clock, fake_twilio):
    use_twilio(app, fake_twilio, TWILIO_AUTH_TOKEN="not-the-token")

    assert failure(clock, sms()).error_class == ErrorClass.THIRD_PARTY_AUTH_FAILED


def test_recipients_twilio_rejects_are_invalid(app, clock, fake_twilio):
    use_twilio(app, fake_twilio)
    fake_twilio.invalid_numbers.add(DANA)
    fake_twilio.unsubscribed.add("+447911123456")

    assert failure(clock, sms()).error_class == ErrorClass.INVALID_RECIPIENT
    assert failure(clock, sms("+447911123456")).error_class == ErrorClass.INVALID_RECIPIENT


def test_an_unreachable_twilio_is_a_transient_failure(app, clock, fake_twilio):
    use_twilio(app, fake_twilio)
    fake_twilio.stop()

    assert failure(clock, sms()).error_class == ErrorClass.TRANSIENT_NETWORK


def test_an_ambiguous_timeout_can_be_looked_up_before_a_retry(app, clock, fake_twilio):
    use_twilio(app, fake_twilio, TWILIO_TIMEOUT_SECONDS=1)
    fake_twilio.delay_next(2.5)  # Twilio creates the message, then answers too late

    message = sms()
    with open_channel(1, "sms", engine=db.engine, clock=clock) as channel:
        with pytest.raises(IntegrationError) as caught:
            channel.send(message)
        assert caught.value.error_class == ErrorClass.TRANSIENT_NETWORK
        assert caught.value.ambiguous is True
        found = channel.already_sent(message, since=clock() - timedelta(hours=1))
        assert (
            channel.already_sent(sms(text="something else"), since=clock() - timedelta(hours=1))
            is None
        )

    assert found is not None
    assert found.provider_message_id == fake_twilio.messages[0]["sid"]
    assert len(fake_twilio.posted()) == 1


def test_lookup_reads_a_message_back(app, fake_twilio):
    use_twilio(app, fake_twilio)
    sender = TwilioSender(twilio_settings(1))
    receipt = sender.send(DANA, "hello")

    assert sender.lookup(receipt.provider_message_id).status == "queued"
    fake_twilio.set_status(receipt.provider_message_id, "delivered")
    assert sender.lookup(receipt.provider_message_id).status == "delivered"
    assert sender.lookup("SM" + "0" * 32) is None


def test_the_twilio_breaker_opens_after_five_failures_and_refuses_without_a_request(
    app, clock, fake_twilio
):
    use_twilio(app, fake_twilio)
    fake_twilio.fail_next(500, times=5)

    for _ in range(5):
        assert failure(clock, sms()).error_class == ErrorClass.TRANSIENT_NETWORK
    refused = failure(clock, sms())

    assert isinstance(refused, CircuitOpen)
    assert len(fake_twilio.requests) == 5

    clock.advance(seconds=61)
    assert send(clock, sms()).provider == "twilio"
    db.session.rollback()
    row = db.session.scalars(
        select(CircuitBreaker).where(CircuitBreaker.provider == "twilio")
    ).one()
    assert (row.state, row.consecutive_failures) == ("closed", 0)


def test_without_twilio_messages_go_to_the_outbox(app, clock):
    assert provider_for("sms") == provider_for("whatsapp") == "outbox"

    receipt = send(clock, sms("+1 (415) 555-2671", org_id=None), org_id=None)

    row = db.session.get(OutboxMessage, int(receipt.provider_message_id))
    assert (receipt.provider, row.channel, row.to, row.body_text) == (
        "outbox",
        "sms",
        DANA,
        "Hi Dana, your table is ready.",
    )


def test_test_mode_never_calls_twilio(app, clock, fake_twilio):
    use_twilio(app, fake_twilio)

    receipt = send(clock, sms(channel="whatsapp", test_mode=True, org_id=None), org_id=None)

    assert receipt.provider == "outbox"
    row = db.session.get(OutboxMessage, int(receipt.provider_message_id))
    assert (row.channel, row.test_mode) == ("whatsapp", True)
    assert fake_twilio.requests == []


def test_the_http_client_only_reroutes_twilios_own_address(fake_twilio):
    client = RoutingHttpClient(timeout=2, base=fake_twilio.base_url)
    response = client.request(
        "GET",
        f"https://api.twilio.com/2010-04-01/Accounts/{fake_twilio.account_sid}.json",
        auth=(fake_twilio.account_sid, fake_twilio.auth_token),
    )
    assert response.status_code == 200
    assert fake_twilio.requests[-1].path == f"/2010-04-01/Accounts/{fake_twilio.account_sid}.json"


def test_pacing_comes_from_configuration(app):
    assert rate_per_minute("email") == 600
    assert rate_per_minute("sms") == rate_per_minute("whatsapp") == 60
    app.config["SMS_PER_MINUTE"] = 0
    assert rate_per_minute("sms") == 0


def test_the_fake_speaks_enough_for_provisioning(fake_twilio):
    from twilio.rest import Client

    def client(account_sid: str | None = None) -> Client:
        return Client(
            fake_twilio.account_sid,
            fake_twilio.auth_token,
            account_sid=account_sid,
            http_client=RoutingHttpClient(timeout=2, base=fake_twilio.base_url),
        )

    sub = client().api.v2010.accounts.create(friendly_name="Alice Bakes")
    assert sub.sid.startswith("AC") and sub.friendly_name == "Alice Bakes"
    as_sub = client(sub.sid)
    [offer] = as_sub.available_phone_numbers("US").local.list(limit=1)
    bought = as_sub.incoming_phone_numbers.create(
        phone_number=offer.phone_number, sms_url="https://autopilot.example/webhooks/twilio/inbound"
    )

    assert bought.phone_number == offer.phone_number
    assert bought.sms_url == "https://autopilot.example/webhooks/twilio/inbound"
    assert [n.sid for n in as_sub.incoming_phone_numbers.list()] == [bought.sid]
    assert client(sub.sid).api.v2010.accounts(sub.sid).fetch().status == "active"
